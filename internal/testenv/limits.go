package testenv

import (
	"io"
	"runtime"
	"testing"
	"time"
)

// Endless yields N copies of the byte B (a line without a line feed, for
// the size-limit tests), generated as it is read, holding nothing; N counts
// down, so a test can see how much a reader consumed.
type Endless struct {
	N int64
	B byte
}

// Read implements io.Reader.
func (e *Endless) Read(p []byte) (int, error) {
	if e.N <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), e.N))
	for i := range k {
		p[i] = e.B
	}
	e.N -= int64(k)
	return k, nil
}

// Allocated returns the bytes f allocates.
func Allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// CheckLinear fails t unless the work on twice the input takes at most
// three times as long (plus 20 ms). prepare builds the input of size n
// (untimed) and returns the work to time; each size is timed as the best of
// three runs and the comparison retried three times, because the machine may
// be busy. It is skipped under -short.
func CheckLinear(t *testing.T, name string, n int, prepare func(n int) func()) {
	t.Helper()
	if testing.Short() {
		t.Skip("timing")
	}
	timeIt := func(n int) time.Duration {
		run := prepare(n)
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			run()
			best = min(best, time.Since(start))
		}
		return best
	}
	var a, b time.Duration
	for range 3 {
		a, b = timeIt(n), timeIt(2*n)
		if b <= 3*a+20*time.Millisecond {
			return
		}
	}
	t.Errorf("%s: twice the input took %v after %v", name, b, a)
}
