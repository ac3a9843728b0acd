package iisconfig

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/iisconfig/internal/gen"
)

// genFile writes a generated configuration with n sites into dir.
func genFile(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, "applicationHost-"+strconv.Itoa(n)+".config")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := gen.Write(f, n); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

var benchSizes = []int{1000, 2000, 10000, 20000}

// BenchmarkEtree is the baseline: a bare etree ReadFromFile of the file.
func BenchmarkEtree(b *testing.B) {
	for _, n := range benchSizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			path := genFile(b, b.TempDir(), n)
			b.ResetTimer()
			for b.Loop() {
				doc := etree.NewDocument()
				if err := doc.ReadFromFile(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResolveAll parses the file and resolves every application and
// location path.
func BenchmarkResolveAll(b *testing.B) {
	for _, n := range benchSizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			path := genFile(b, b.TempDir(), n)
			b.ResetTimer()
			for b.Loop() {
				c, err := ParseFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(c.Applications()); got != 4*n {
					b.Fatalf("resolved %d paths, want %d", got, 4*n)
				}
			}
		})
	}
}

// BenchmarkRatio measures the bare etree parse and parse+resolve-all of the
// same file alternately in each iteration (each after a forced GC, so both
// start from the same heap). It reports wall and process CPU time of both
// (CPU time includes the garbage collector's threads and is far less
// sensitive to other load on the machine) and the median per-iteration
// ratios. Pairing makes the ratios robust to load that drifts during the run.
func BenchmarkRatio(b *testing.B) {
	for _, n := range benchSizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) {
			path := genFile(b, b.TempDir(), n)
			var et, rs, etCPU, rsCPU time.Duration
			var ratios, cpuRatios []float64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				c0, t0 := processCPU(), time.Now()
				doc := etree.NewDocument()
				if err := doc.ReadFromFile(path); err != nil {
					b.Fatal(err)
				}
				t1, c1 := time.Now(), processCPU()
				b.StopTimer()
				doc = nil
				runtime.GC()
				b.StartTimer()
				c2, t2 := processCPU(), time.Now()
				c, err := ParseFile(path)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(c.Applications()); got != 4*n {
					b.Fatalf("resolved %d paths, want %d", got, 4*n)
				}
				t3, c3 := time.Now(), processCPU()
				et += t1.Sub(t0)
				rs += t3.Sub(t2)
				etCPU += c1 - c0
				rsCPU += c3 - c2
				ratios = append(ratios, float64(t3.Sub(t2))/float64(t1.Sub(t0)))
				if c1 > c0 {
					cpuRatios = append(cpuRatios, float64(c3-c2)/float64(c1-c0))
				}
				_ = doc
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			b.ReportMetric(per(et), "etree-ns/op")
			b.ReportMetric(per(rs), "resolve-ns/op")
			b.ReportMetric(median(ratios), "median-ratio")
			if len(cpuRatios) > 0 {
				b.ReportMetric(per(etCPU), "etree-cpu-ns/op")
				b.ReportMetric(per(rsCPU), "resolve-cpu-ns/op")
				b.ReportMetric(median(cpuRatios), "median-cpu-ratio")
			}
		})
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

// TestGenerated checks the generator's output parses and resolves as
// designed (so the benchmark measures real work).
func TestGenerated(t *testing.T) {
	c, err := ParseFile(genFile(t, t.TempDir(), 30))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	apps := c.Applications()
	if len(apps) != 120 {
		t.Fatalf("%d paths", len(apps))
	}
	s := mustEffective(t, c, "Site 5/app/folder/x")
	if !s.WindowsAuth.Enabled || s.WindowsAuth.Providers[0] != "NTLM" || s.Anonymous.Enabled || s.AppPool.Name != "Pool1" {
		t.Errorf("%+v %+v", s.WindowsAuth, s.AppPool)
	}
	// Site 3/app has inheritInChildApplications=false: /app/api does not get its providers.
	if s := mustEffective(t, c, "Site 3/app/api"); s.WindowsAuth.UseAppPoolCredentials || s.Origin("windowsAuthentication", "providers").Kind != ServerLevel {
		t.Errorf("Site 3/app/api: %+v", s.WindowsAuth)
	}
	if s := mustEffective(t, c, "Site 4/app/api"); !s.WindowsAuth.UseAppPoolCredentials || s.Origin("windowsAuthentication", "providers").LocationPath != "Site 4/app" {
		t.Errorf("Site 4/app/api: %+v", s.WindowsAuth)
	}
}
