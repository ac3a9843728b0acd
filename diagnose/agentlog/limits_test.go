package agentlog

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// A line over 1 MiB is counted, named in a warning with its line number,
// cut to its first 1 MiB, and costs no more than that in memory.
func TestLongLineCounted(t *testing.T) {
	head := "The logon attempt failed (0x8009030C)\nsecond line\n"
	tail := "\nThe logon attempt failed (0x8009030C)\n"
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	s, err := Scan(context.Background(), "l.log", io.MultiReader(strings.NewReader(head), &testenv.Endless{N: 16 << 20, B: 'a'}, strings.NewReader(tail)))
	runtime.ReadMemStats(&b)
	if err != nil {
		t.Fatal(err)
	}
	if s.LongLines != 1 || s.Lines != 4 || len(s.Warnings) != 1 || s.Warnings[0].Line != 3 || !strings.Contains(s.Warnings[0].Message, "longer than") {
		t.Fatalf("long lines %d, lines %d, warnings %v", s.LongLines, s.Lines, s.Warnings)
	}
	if m := s.Match(HTTP0x8009030C); m == nil || m.Count != 2 {
		t.Fatalf("match %+v", m)
	}
	if d := b.TotalAlloc - a.TotalAlloc; d > 8<<20 {
		t.Errorf("allocated %d bytes for a 16 MiB line", d)
	}
	// A line of exactly 1 MiB is not long.
	s, err = Scan(context.Background(), "e.log", strings.NewReader(strings.Repeat("b", maxLine)+"\r\n"[1:]+"x\n"))
	if err != nil || s.LongLines != 0 || s.Lines != 2 {
		t.Fatalf("exact: %+v %v", s, err)
	}
	var m Summary
	m.Merge(&Summary{LongLines: 2})
	if m.LongLines != 2 {
		t.Error("Merge drops LongLines")
	}
}

// Ever new status codes do not grow Codes without bound, and the codes
// this package names are kept past the bound.
func TestCodesBounded(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "Unable to register with task server 0x%08X\n", 0x10000000+i)
	}
	b.WriteString("Unable to register with task server 0x8FA10191\n")
	s, err := Scan(context.Background(), "c.log", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	m := s.Match(RegistrationFailed)
	if m == nil || m.Count != 501 || len(m.Codes) != maxCodes+1 || !m.HasCode(CodeTaskServer401) {
		t.Fatalf("match %+v", m)
	}
}

func TestScanLinear(t *testing.T) {
	testenv.CheckLinear(t, "Scan", 20000, func(n int) func() {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<event date='5/16/2024 11:51:05 -07:00' hostName='h%d'><![CDATA[Unable to register with task server 0x%08X (401)]]></event>\n%s\n", i, i, strings.Repeat("w", i%300))
		}
		in := b.String()
		return func() {
			if _, err := Scan(context.Background(), "x", strings.NewReader(in)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
