package w3clog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

const cutHead = "#Software: Microsoft Internet Information Services 10.0\r\n" +
	"#Fields: date time cs-method cs-uri-stem s-port cs-username c-ip sc-status sc-substatus sc-win32-status\r\n"

// TestUnterminatedLastLine covers the rule of "Truncated files" in the
// package doc on both paths.
func TestUnterminatedLastLine(t *testing.T) {
	ok := "2026-01-20 08:00:01 GET /app/ 443 CORP\\alice 10.0.1.21 200 0 0\r\n"
	leg := "2026-01-20 08:00:02 GET /app/ 443 - 10.0.1.22 401 1 2148074254\r\n"
	cases := []struct {
		name, tail string
		requests   int64
		n401       int64
		warn       string // substring of the only warning, "" for none
	}{
		// The bundle case: the cut win32 status still parses as a number.
		{"cut-in-last-field", "2026-01-20 08:00:02 GET /app/ 443 - 10.0.1.22 401 1 21480", 1, 0, "last line has no line terminator (file truncated?): not classified"},
		{"cut-field-count", "2026-01-20 08:00:02 GET /app/ 443 - 10.0.1.22 401", 1, 0, "line has 8 fields, #Fields declares 10; last line has no line terminator"},
		{"cut-after-cr", strings.TrimSuffix(leg, "\n"), 2, 1, ""},
		{"complete", leg, 2, 1, ""},
		{"cut-directive", "#Date: 2026-01-20 08:", 1, 0, "last line has no line terminator (file truncated?)"},
		{"cut-nul-padding", strings.Repeat("\x00", 300), 1, 0, "no line terminator"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := checkBothPaths(t, []byte(cutHead+ok+c.tail), []int64{4096})
			if s.Lines != 4 || s.Requests != c.requests || s.Unauthorized != c.n401 {
				t.Fatalf("totals %s", brief(s))
			}
			for _, g := range s.Groups {
				if g.Win32 == 21480 {
					t.Fatalf("cut value reported: %+v", g)
				}
			}
			if c.warn == "" {
				if s.WarningCount != 0 {
					t.Fatalf("warnings %v", s.Warnings)
				}
				return
			}
			if s.WarningCount != 1 || s.Warnings[0].Line != 4 || !strings.Contains(s.Warnings[0].Message, c.warn) {
				t.Fatalf("warnings %v, want one at line 4 with %q", s.Warnings, c.warn)
			}
		})
	}
}

// TestUnterminatedLastLineChunkBoundary moves the cut last line across the
// boundary of two 4 KiB chunks (starting before, at and after it), after an
// NTLM challenge leg that only the cut line could answer: the leg is then
// settled in the lookahead of the previous chunk, which must ignore the cut
// line as the streaming path does.
func TestUnterminatedLastLineChunkBoundary(t *testing.T) {
	fill := "2026-01-20 08:00:01 GET /other/ 443 - 10.0.9.9 200 0 0\r\n"
	leg := "2026-01-20 08:00:02 GET /app/ 443 - 10.0.1.22 401 1 2148074254\r\n"
	last := "2026-01-20 08:00:03 GET /app/ 443 CORP\\bob 10.0.1.22 200 0 0"
	const chunk = 4096
	for _, bom := range []string{"", "\xEF\xBB\xBF"} {
		for _, withCR := range []bool{false, true} {
			tail := last
			if withCR {
				tail += "\r"
			}
			for delta := -len(tail) - 2; delta <= 2; delta++ {
				// Pad with '-' in an extra data line so the cut line starts
				// at chunk+delta.
				var b strings.Builder
				b.WriteString(bom + cutHead)
				for b.Len()+len(fill) < chunk-len(leg)-200 {
					b.WriteString(fill)
				}
				at := len(bom) + chunk + delta // chunks start after the BOM
				pad := at - len(leg) - b.Len() - len("2026-01-20 08:00:01 GET / 443 - 10.0.9.9 200 0 0\r\n")
				if pad < 0 {
					t.Fatalf("pad %d", pad)
				}
				b.WriteString("2026-01-20 08:00:01 GET /" + strings.Repeat("x", pad) + " 443 - 10.0.9.9 200 0 0\r\n")
				b.WriteString(leg)
				if b.Len() != at {
					t.Fatalf("cut line at %d, want %d", b.Len(), at)
				}
				b.WriteString(tail)
				name := fmt.Sprintf("bom=%t cr=%t delta=%d", bom != "", withCR, delta)
				s := checkBothPaths(t, []byte(b.String()), []int64{chunk})
				fs := s.Failures()
				if withCR {
					if s.WarningCount != 0 || len(fs) != 0 || s.Handshake != 1 {
						t.Fatalf("%s: %s %v", name, brief(s), s.Warnings)
					}
					continue
				}
				if s.WarningCount != 1 || s.Warnings[0].Line != s.Lines || len(fs) != 1 || !fs[0].Unanswered {
					t.Fatalf("%s: %s %v", name, brief(s), s.Warnings)
				}
			}
		}
	}
}

func TestUnterminatedLastLineUTF16(t *testing.T) {
	text := cutHead + "2026-01-20 08:00:02 GET /app/ 443 - 10.0.1.22 401 1 21480"
	u := utf16.Encode([]rune(text))
	data := []byte{0xFF, 0xFE}
	for _, c := range u {
		data = append(data, byte(c), byte(c>>8))
	}
	s := checkBothPaths(t, data, []int64{4096})
	if s.Requests != 0 || s.Lines != 3 || s.WarningCount != 1 || !strings.Contains(s.Warnings[0].Message, "no line terminator") {
		t.Fatalf("%s %v", brief(s), s.Warnings)
	}
}

// TestBadNumbers: sc-substatus and sc-win32-status values that are not
// 32-bit unsigned numbers are warnings, the request is still counted and
// the value taken as not logged.
func TestBadNumbers(t *testing.T) {
	head := "#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n"
	lines := []string{
		"10.0.0.1 /a 401 1 4294967296",  // 2: one more than uint32
		"10.0.0.1 /a 401 1 99999999999", // 3: eleven digits
		"10.0.0.1 /a 401 1 -5",          // 4
		"10.0.0.1 /a 401 1 0x8009030C",  // 5: hex is not how IIS logs it
		"10.0.0.1 /a 200 0 abc",         // 6: not a 401, still warned
		"10.0.0.1 /a 401 x 5",           // 7: bad substatus
		"10.0.0.1 /a 401 1 4294967295",  // 8: largest uint32, valid
		"10.0.0.1 /a 401 1 -",           // 9: not logged, no warning
		"10.0.0.1 /a 401 1 21480",       // 10: unknown but valid: no guessing
	}
	s := checkBothPaths(t, []byte(head+strings.Join(lines, "\n")+"\n"), []int64{4096})
	if s.Requests != 9 || s.Unauthorized != 8 || s.Failed != 8 {
		t.Fatalf("totals %s", brief(s))
	}
	var got []int64
	for _, w := range s.Warnings {
		got = append(got, w.Line)
		if !strings.Contains(w.Message, "not a number") && !strings.Contains(w.Message, "not a 32-bit unsigned number") {
			t.Fatalf("message %q", w.Message)
		}
	}
	if fmt.Sprint(got) != "[2 3 4 5 6 7]" || s.WarningCount != 6 {
		t.Fatalf("warning lines %v", got)
	}
	names := map[uint32]string{}
	for _, g := range s.Groups {
		if g.Win32 != 0 || g.SubStatus == 1 {
			names[g.Win32] = g.Win32Name
		}
	}
	if names[4294967295] == "" || names[21480] == "" || names[0] != "" {
		t.Fatalf("groups %v", names)
	}
}

// TestAddTruncatedThenMore: a cut file followed by another file in the same
// Analyzer; the warning keeps the first file's name and line.
func TestAddTruncatedThenMore(t *testing.T) {
	a := NewAnalyzer(nil)
	ctx := context.Background()
	if err := a.Add(ctx, "cut.log", strings.NewReader(cutHead+"2026-01-20 08:00:02 GET /app/ 443 - 10.0.1.22 401 1 21480")); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(ctx, "next.log", strings.NewReader(cutHead+"2026-01-21 08:00:02 GET /app/ 443 - 10.0.1.22 401 1 2148074252\r\n")); err != nil {
		t.Fatal(err)
	}
	s := a.Result()
	if s.Requests != 1 || s.Failed != 1 || s.WarningCount != 1 || s.Warnings[0].String() != "cut.log:3: last line has no line terminator (file truncated?): not classified, its last field may be cut short" {
		t.Fatalf("%s %v", brief(s), s.Warnings)
	}
}
