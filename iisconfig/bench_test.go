package iisconfig

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

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
