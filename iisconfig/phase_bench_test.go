package iisconfig

import "testing"

func BenchmarkPhaseParse(b *testing.B) {
	path := genFile(b, b.TempDir(), 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPhaseApps(b *testing.B) {
	path := genFile(b, b.TempDir(), 10000)
	c, _ := ParseFile(path)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.Applications()
	}
}
