package testenv

import "flag"

// ShortFuzzMinimize bounds the minimization of each new fuzz input to 2 s
// unless -fuzzminimizetime is given. Minimizing a kilobyte input (seeds
// are real traces, logs and exports) tries a quadratic number of
// candidates, and the fuzzer reports no executions until it is done (60 s
// by default), so a 30 s run would seem to stop executing. Call it first in
// a Fuzz function, before f.Fuzz.
func ShortFuzzMinimize() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set && flag.Lookup("test.fuzzminimizetime") != nil {
		_ = flag.Set("test.fuzzminimizetime", "2s")
	}
}
