package iisconfig

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func limitErr(t *testing.T, err error, kind LimitKind) *ParseError {
	t.Helper()
	var pe *ParseError
	var le *LimitError
	if !errors.As(err, &pe) || !errors.As(err, &le) || le.Limit != kind {
		t.Fatalf("want a %v limit error, got %v", kind, err)
	}
	return pe
}

// A file of one endless line is rejected once MaxConfigToken bytes of it
// were read, with its position, at a small bounded cost.
func TestLimitToken(t *testing.T) {
	head := "<?xml version=\"1.0\"?>\n<configuration>\n<x a=\""
	src := &testenv.Endless{N: 16 << 20, B: 'a'}
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	_, err := Parse(io.MultiReader(strings.NewReader(head), src))
	runtime.ReadMemStats(&b)
	pe := limitErr(t, err, LimitToken)
	// The run starts after the last '<': "x a=\"" counts.
	if pe.Line != 3 || pe.Offset != int64(strings.LastIndexByte(head, '<')+1)+MaxConfigToken {
		t.Errorf("position line %d offset %d", pe.Line, pe.Offset)
	}
	if read := 16<<20 - src.N; read > MaxConfigToken+2*readChunk {
		t.Errorf("read %d bytes", read)
	}
	if d := b.TotalAlloc - a.TotalAlloc; d > 3*MaxConfigToken {
		t.Errorf("allocated %d bytes", d)
	}
	// Long lines made of short tokens are fine.
	ok := mini(stdPools, stdSites, stdServer, strings.Repeat(`<location path="Default Web Site"/>`, 200000))
	if _, err := Parse(strings.NewReader(strings.ReplaceAll(ok, "\n", " "))); err != nil {
		t.Fatal(err)
	}
}

func TestLimitDepth(t *testing.T) {
	deep := func(n int) string {
		// <configuration> is depth 1.
		return mini(stdPools, stdSites, stdServer, "\n"+strings.Repeat("<d>", n-1)+strings.Repeat("</d>", n-1))
	}
	if _, err := Parse(strings.NewReader(deep(MaxConfigDepth))); err != nil {
		t.Fatalf("depth %d: %v", MaxConfigDepth, err)
	}
	pe := limitErr(t, func() error { _, err := Parse(strings.NewReader(deep(MaxConfigDepth + 1))); return err }(), LimitDepth)
	if want := strings.Count(mini(stdPools, stdSites, stdServer, ""), "\n"); pe.Line != want || pe.Offset <= 0 {
		t.Errorf("position line %d (want %d) offset %d", pe.Line, want, pe.Offset)
	}
}

func TestLimitSize(t *testing.T) {
	// ParseFile rejects from the size alone (a sparse file: nothing is
	// written or read).
	path := filepath.Join(t.TempDir(), "applicationHost.config")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, MaxConfigSize+1); err != nil {
		t.Fatal(err)
	}
	pe := limitErr(t, func() error { _, err := ParseFile(path); return err }(), LimitSize)
	if pe.File != path || pe.Offset != MaxConfigSize || !strings.Contains(pe.Error(), "100 MiB") {
		t.Errorf("error %v", pe)
	}
	if testing.Short() {
		return
	}
	// A reader is read up to the cap and no further.
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("<add name=\"x\" />\n")
	}
	unit := b.String()
	src := &repeat{unit: unit, n: MaxConfigSize + 8<<20}
	var a, z runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	_, err := Parse(io.MultiReader(strings.NewReader("<configuration>\n"), src))
	runtime.ReadMemStats(&z)
	pe = limitErr(t, err, LimitSize)
	if pe.Offset != MaxConfigSize || pe.Line <= 1 {
		t.Errorf("position line %d offset %d", pe.Line, pe.Offset)
	}
	if d := z.TotalAlloc - a.TotalAlloc; d > MaxConfigSize+16<<20 {
		t.Errorf("allocated %d bytes", d)
	}
}

type repeat struct {
	unit string
	n    int64
	off  int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(int64(len(p)), r.n)], r.unit[r.off:])
	r.off = (r.off + k) % len(r.unit)
	r.n -= int64(k)
	return k, nil
}

// Parsing twice the configuration takes about twice the time.
func TestParseLinear(t *testing.T) {
	gen := func(n int) string {
		var sites, locs strings.Builder
		for i := range n {
			fmt.Fprintf(&sites, `<site name="s%d" id="%d"><application path="/" applicationPool="DefaultAppPool"><virtualDirectory path="/" physicalPath="c:\s%d" /></application><bindings><binding protocol="http" bindingInformation="*:80:s%d" /></bindings></site>`+"\n", i, i+10, i, i)
			fmt.Fprintf(&locs, `<location path="s%d"><system.webServer><security><authentication><windowsAuthentication enabled="true" password="p%d" /></authentication></security></system.webServer></location>`+"\n", i, i)
		}
		return mini(stdPools, stdSites+sites.String(), stdServer, locs.String())
	}
	testenv.CheckLinear(t, "Parse", 4000, func(n int) func() {
		in := gen(n)
		return func() {
			c, err := Parse(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			_ = c.Line(c.Sites[len(c.Sites)-1].Locator)
		}
	})
}
