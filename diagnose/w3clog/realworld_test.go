package w3clog

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realWorld lists testdata/realworld (see its PROVENANCE) with the
// conclusion a correct reader reaches on each file.
var realWorld = []struct {
	file string
	// Totals.
	requests, unread, assumed, n401, hs, failed int64
	// warnLines are the line numbers of all warnings, in order;
	// warnHas a substring of each.
	warnLines []int64
	warnHas   []string
	// failures are "uri client user status.sub win32name" of Failures().
	failures []string
}{
	{
		// WMSvc excerpt without #Fields, no final newline: read with the
		// WMSvc field set, with a warning saying so; a real failure.
		file:     "iisdocs-wmsvc-sample19-401-1-1326.log",
		requests: 2, assumed: 2, n401: 2, hs: 1, failed: 1,
		warnLines: []int64{1, 2},
		warnHas:   []string{"no #Fields directive: lines read as the IIS 7-8.0 default field set, also the Web Management Service (WMSvc) log", "last line has no line terminator (file truncated?): classified"},
		failures:  []string{"/msdeploy.axd 192.168.0.203 user1 401.1 ERROR_LOGON_FAILURE"},
	},
	{
		// IIS 6 file (no time-taken), page-extraction space before
		// #Software, trailing space after #Fields: normal NTLM handshake.
		file:     "davidwang-401x-iis6.log",
		requests: 4, n401: 2, hs: 2,
	},
	{
		// Headerless IIS 8.5+ default lines with a blank line between:
		// challenge leg answered by a 200.
		file:     "qna-exchange-autodiscover-401-1-2148074254.log",
		requests: 2, assumed: 2, n401: 1, hs: 1,
		warnLines: []int64{1},
		warnHas:   []string{"IIS 8.5+ default field set"},
	},
	{
		// Documentation template ("DateTime IP" placeholders, trailing
		// double spaces): nothing read, every line reported.
		file:      "supportarticles-ie-kerberos-401-2-5.log",
		unread:    2,
		warnLines: []int64{2, 3},
		warnHas:   []string{`first field "DateTime" is not a date: a template line with placeholders`, `"DateTime" is not a date`},
	},
	{
		// One IPv6 line wrapped over 4 physical lines: rejected line by
		// line, never mis-split into a request.
		file:      "supportarticles-ipv6-wrapped-401-1.log",
		unread:    4,
		warnLines: []int64{1, 2, 3, 4},
		warnHas:   []string{"has 9 fields whose values fit no default IIS field set", "continuation of a wrapped line", "continuation of a wrapped line", "continuation of a wrapped line"},
	},
}

func TestRealWorld(t *testing.T) {
	prov, err := os.ReadFile("testdata/realworld/PROVENANCE")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/realworld/*.log")
	if len(files) != len(realWorld) {
		t.Fatalf("%d files in testdata/realworld, %d cases", len(files), len(realWorld))
	}
	for _, c := range realWorld {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/realworld", c.file))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if !strings.Contains(string(prov), c.file+"\n  sha256: "+hex.EncodeToString(sum[:])+"\n") {
				t.Fatalf("%s: not listed in PROVENANCE with this sha256 (copies must stay byte for byte)", c.file)
			}
			s := checkBothPaths(t, data, []int64{4096})
			if s.Requests != c.requests || s.Unread != c.unread || s.Assumed != c.assumed || s.Unauthorized != c.n401 ||
				s.Handshake != c.hs || s.Failed != c.failed {
				t.Fatalf("totals %s unread %d assumed %d", brief(s), s.Unread, s.Assumed)
			}
			if (c.assumed > 0) != (len(s.AssumedLayouts) == 1) {
				t.Fatalf("assumed layouts %q", s.AssumedLayouts)
			}
			if s.WarningCount != int64(len(c.warnLines)) || len(s.Warnings) != len(c.warnLines) {
				t.Fatalf("warnings %d %v, want lines %v", s.WarningCount, s.Warnings, c.warnLines)
			}
			for i, w := range s.Warnings {
				if w.Line != c.warnLines[i] || !strings.Contains(w.Message, c.warnHas[i]) {
					t.Fatalf("warning %d: %v, want line %d with %q", i, w, c.warnLines[i], c.warnHas[i])
				}
			}
			var got []string
			for _, g := range s.Failures() {
				got = append(got, strings.Join([]string{g.URI, g.ClientIP, g.User, itoa(int64(g.Status)) + "." + itoa(int64(g.SubStatus)), g.Win32Name}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(c.failures, "\n") {
				t.Fatalf("failures %q, want %q", got, c.failures)
			}
			// The copies are the shared corpus's bytes, where it exists.
			if shared, err := os.ReadFile(filepath.Join("../../../shared/corpus/realworld/w3c", c.file)); err == nil && string(shared) != string(data) {
				t.Fatalf("%s differs from the shared corpus", c.file)
			}
		})
	}
}
