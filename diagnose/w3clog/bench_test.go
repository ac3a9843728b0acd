package w3clog

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

// The full 1 GiB comparison with grep is scripts/bench-w3clog.sh.

func benchData(b *testing.B, profile string) ([]byte, string) {
	c := gen.Config{Seed: 1, Size: 32 << 20}
	if profile == gen.FailureHeavy {
		c = gen.Config{Seed: 1, Size: 64 << 20, HeaderLines: 2_000_000, Profile: gen.FailureHeavy}
	}
	data, _ := generate(b, c)
	return data, writeTemp(b, data)
}

func benchAnalyzeFile(b *testing.B, profile string) {
	data, path := benchData(b, profile)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := AnalyzeFile(context.Background(), path, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyzeFile(b *testing.B) { benchAnalyzeFile(b, gen.ProfileDefault) }

// BenchmarkAnalyzeFileFailureHeavy: ~32% 401s, many failing groups.
func BenchmarkAnalyzeFileFailureHeavy(b *testing.B) { benchAnalyzeFile(b, gen.FailureHeavy) }

func benchStream(b *testing.B, profile string) {
	data, _ := benchData(b, profile)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		a := NewAnalyzer(nil)
		if err := a.Add(context.Background(), "x", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) { benchStream(b, gen.ProfileDefault) }

func BenchmarkStreamFailureHeavy(b *testing.B) { benchStream(b, gen.FailureHeavy) }

// BenchmarkAnalyzeFileEnv analyses the file named by $IISKERB_W3C_BENCH_FILE
// (a 1 GiB log of scripts/bench-w3clog.sh, for profiles of the real run).
func BenchmarkAnalyzeFileEnv(b *testing.B) {
	path := os.Getenv("IISKERB_W3C_BENCH_FILE")
	if path == "" {
		b.Skip("IISKERB_W3C_BENCH_FILE not set")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := AnalyzeFile(context.Background(), path, nil); err != nil {
			b.Fatal(err)
		}
	}
}
