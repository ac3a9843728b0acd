// Command w3cbench generates deterministic W3C logs and times w3clog on
// them; scripts/bench-w3clog.sh drives it.
//
//	w3cbench gen -o FILE -size BYTES [-seed N] [-profile failure-heavy]
//	w3cbench analyze [-stream] FILE
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/iiskerb/iiskerb/diagnose/w3clog"
	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "w3cbench:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: w3cbench gen|analyze [flags]")
	}
	switch args[0] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ContinueOnError)
		out := fs.String("o", "", "output file")
		size := fs.Int64("size", 1<<30, "approximate size in bytes")
		seed := fs.Uint64("seed", 1, "seed")
		profile := fs.String("profile", "", `traffic mix: "" (healthy) or "failure-heavy"`)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 4<<20)
		cfg := gen.Config{Seed: *seed, Size: *size, HeaderEvery: 256 << 20}
		switch *profile {
		case gen.ProfileDefault:
		case gen.FailureHeavy:
			// A new header block every ~2M lines (IIS restarts).
			cfg = gen.Config{Seed: *seed, Size: *size, HeaderLines: 2_000_000, Profile: gen.FailureHeavy}
		default:
			return fmt.Errorf("unknown profile %q", *profile)
		}
		st, err := gen.Write(w, cfg)
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Printf("generated %s: %d bytes, %d lines, %d directives, %d requests, %d 401 (%.1f%%: %d handshake, %d failed; %d distinct 401 groups, %d failing groups), failing by win32 %v\n",
			*out, st.Bytes, st.Lines, st.Directives, st.Requests, st.Status401, 100*float64(st.Status401)/float64(max(st.Requests, 1)),
			st.Handshake, st.Failed, st.Groups401, st.FailGroups, st.ByWin32)
		return nil
	case "analyze":
		fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
		stream := fs.Bool("stream", false, "use the streaming path")
		cpuprof := fs.String("cpuprofile", "", "write a CPU profile to `FILE`")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("analyze needs one file")
		}
		ctx := context.Background()
		if *cpuprof != "" {
			pf, err := os.Create(*cpuprof)
			if err != nil {
				return err
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		start := time.Now()
		var s *w3clog.Summary
		if *stream {
			f, err := os.Open(fs.Arg(0))
			if err != nil {
				return err
			}
			defer f.Close()
			a := w3clog.NewAnalyzer(nil)
			if err := a.Add(ctx, fs.Arg(0), f); err != nil {
				return err
			}
			s = a.Result()
		} else {
			var err error
			s, err = w3clog.AnalyzeFile(ctx, fs.Arg(0), nil)
			if err != nil {
				return err
			}
		}
		el := time.Since(start)
		fmt.Printf("analyzed: %d lines, %d requests, %d unread, %d 401 (%d handshake, %d failed), %d groups, %d warnings in %.3fs\n",
			s.Lines, s.Requests, s.Unread, s.Unauthorized, s.Handshake, s.Failed, len(s.Groups), s.WarningCount, el.Seconds())
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}
