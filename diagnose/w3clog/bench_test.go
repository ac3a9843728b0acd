package w3clog

import (
	"bytes"
	"context"
	"testing"

	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

// The full 1 GiB comparison with grep is scripts/bench-w3clog.sh.

func benchData(b *testing.B) ([]byte, string) {
	data, _ := generate(b, gen.Config{Seed: 1, Size: 32 << 20})
	return data, writeTemp(b, data)
}

func BenchmarkAnalyzeFile(b *testing.B) {
	data, path := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := AnalyzeFile(context.Background(), path, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStream(b *testing.B) {
	data, _ := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		a := NewAnalyzer(nil)
		if err := a.Add(context.Background(), "x", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
