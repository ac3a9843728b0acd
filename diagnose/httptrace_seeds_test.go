package diagnose

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The seed corpus of FuzzParseHTTPTrace (testdata/fuzz) parses or fails
// cleanly, and the format seeds are recognised.
func TestFuzzSeedsParse(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParseHTTPTrace/*")
	if err != nil || len(files) < 10 {
		t.Fatalf("%d seeds: %v", len(files), err)
	}
	for _, f := range files {
		raw := readFile(t, f)
		i := strings.Index(raw, "[]byte(")
		if !strings.HasPrefix(raw, "go test fuzz v1\n") || i < 0 {
			t.Fatalf("%s: not a fuzz corpus file", f)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(raw[i+len("[]byte("):]), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		tr, err := ParseHTTPTrace(filepath.Base(f), strings.NewReader(data))
		if strings.Contains(f, "seed-") && err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if err == nil {
			tr.Tokens(context.Background())
			analyzeTrace(tr)
		}
	}
	// The real-world seeds are the test files, byte for byte.
	for _, name := range []string{"curl12511-h2-negotiate-raw-ntlm", "quarkus-curl-v-negotiate-mit"} {
		want, err := os.ReadFile(filepath.Join("testdata", "http", "realworld", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		short := strings.SplitN(name, "-", 2)[0]
		raw := readFile(t, filepath.Join("testdata", "fuzz", "FuzzParseHTTPTrace", "seed-realworld-"+short))
		if !strings.Contains(raw, strconv.Quote(string(want))) {
			t.Errorf("seed %s differs from testdata/http/realworld", short)
		}
	}
}
