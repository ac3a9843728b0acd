package diagnose

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the expected.json golden files of the scenario suite")

// scenarioOptions is the optional options.json of a scenario directory.
type scenarioOptions struct {
	// Profile is "itms" or "generic" (default: detected).
	Profile string `json:"profile"`
	// Checks selects checks by ID or glob.
	Checks []string `json:"checks"`
	// Disable disables checks (ID -> reason).
	Disable map[string]string `json:"disable"`
	// Why documents the scenario for readers; not used by the test.
	Why string `json:"why"`
}

// TestScenarios runs the scenario suite: every directory under
// testdata/scenarios is an evidence bundle (LoadBundle layout) with an
// expected.json golden report, and optionally options.json. Run
//
//	go test ./diagnose -run TestScenarios/NAME -update
//
// to (re)write a golden file after checking the report is right.
func TestScenarios(t *testing.T) {
	n := 0
	for _, dir := range scenarioDirs(t) {
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := runScenario(t, dir)
			golden := filepath.Join(dir, "expected.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n")), got) {
				t.Errorf("report differs from %s (run with -update after checking the new report):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
	if n < 5 {
		t.Errorf("only %d scenarios; the knowledge article's table alone has five rows", n)
	}
}

// scenarioDirs returns the scenario bundle directories.
func scenarioDirs(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("testdata/scenarios/*")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			dirs = append(dirs, p)
		}
	}
	return dirs
}

// diagnoseBundle loads the bundle at dir and diagnoses it with default
// options.
func diagnoseBundle(t *testing.T, dir string) *Report {
	t.Helper()
	ev, err := LoadBundle(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func runScenario(t *testing.T, dir string) []byte {
	t.Helper()
	opts := &Options{}
	if b, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		var so scenarioOptions
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&so); err != nil {
			t.Fatalf("options.json: %v", err)
		}
		if so.Profile != "" {
			p, err := ProfileByName(so.Profile)
			if err != nil {
				t.Fatal(err)
			}
			opts.Profile = p
		}
		opts.Checks, opts.Disable = so.Checks, so.Disable
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	ev, err := LoadBundle(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(context.Background(), ev, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The time and the tool version vary by run and build: fixed in goldens.
	rep.GeneratedAt = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	rep.Tool.Version = "(test)"
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lineDiff shows the first differing lines of two texts with context.
func lineDiff(a, b string) string {
	al, bl := strings.Split(strings.ReplaceAll(a, "\r\n", "\n"), "\n"), strings.Split(b, "\n")
	i := 0
	for i < len(al) && i < len(bl) && al[i] == bl[i] {
		i++
	}
	var out strings.Builder
	from := max(i-3, 0)
	for j := from; j < i; j++ {
		out.WriteString("  " + al[j] + "\n")
	}
	for j := i; j < min(i+8, len(al)); j++ {
		out.WriteString("- " + al[j] + "\n")
	}
	for j := i; j < min(i+8, len(bl)); j++ {
		out.WriteString("+ " + bl[j] + "\n")
	}
	return out.String()
}
