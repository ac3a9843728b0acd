package w3clog

import (
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

// TestTrailingBlanks: documentation samples end data lines with spaces
// (and #Fields too); page extraction indents lines.
func TestTrailingBlanks(t *testing.T) {
	in := "#Fields: date time c-ip cs-uri-stem sc-status sc-substatus sc-win32-status  \r\n" +
		"2026-11-24 09:00:00 10.0.0.1 /a 401 1 2148074252  \r\n" +
		"  2026-11-24 09:00:01 10.0.0.1 /a 401 1 2148074252\t\r\n" +
		"2026-11-24 09:00:02 10.0.0.1 /a 401 1 2148074252 \n" +
		"   \r\n"
	s := checkBothPaths(t, []byte(in), []int64{4096})
	if s.Requests != 3 || s.Failed != 3 || s.WarningCount != 0 || s.Unread != 0 {
		t.Fatalf("%s %v", brief(s), s.Warnings)
	}
}

// TestHeaderlessLayouts: each default field set is recognised from the
// shapes of the values, including the two 14-field sets that differ only
// in where cs(Referer) and time-taken are.
func TestHeaderlessLayouts(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"iis85", "2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 Mozilla/5.0 https://x/ 401 1 2148074252 15", "IIS 8.5+ default field set ("},
		{"wmsvc", "2026-11-24 09:00:00 10.0.0.10 POST /msdeploy.axd site=x 8172 - 10.1.0.5 - 401 1 2148074252 15", "WMSvc"},
		{"no-time-taken", "2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 Mozilla/5.0 - 401 1 2148074252", "without time-taken"},
		{"iis6", "2026-11-24 09:00:00 10.0.0.10 GET /a - 80 - 10.1.0.5 Mozilla/4.0 401 1 2148074252", "IIS 6 default"},
		{"ipv6", "2026-11-24 09:00:00 fe80::1%12 PROPFIND /a - 80 - ::ffff:10.1.0.5 - 401 1 2148074252", "IIS 6 default"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := checkBothPaths(t, []byte(c.line+"\r\n"), []int64{4096})
			if s.Requests != 1 || s.Assumed != 1 || s.Failed != 1 || s.WarningCount != 1 || !strings.Contains(s.Warnings[0].Message, c.want) {
				t.Fatalf("%s %v", brief(s), s.Warnings)
			}
			g := s.Groups[0]
			if g.URI != "/a" && g.URI != "/msdeploy.axd" || !strings.Contains(g.ClientIP, "10.1.0.5") || g.Win32Name != "SEC_E_LOGON_DENIED" || g.First.IsZero() {
				t.Fatalf("%+v", g)
			}
		})
	}
	// Same count, wrong shapes: no field set fits.
	for _, bad := range []string{
		"2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 Mozilla/5.0 - 401 x 2148074252 15",     // substatus
		"2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 Mozilla/5.0 - 999 1 2148074252 15",     // status
		"2026-11-24 09:00:00 10.0.0.10 get /a - 443 - 10.1.0.5 Mozilla/5.0 - 401 1 2148074252 15",     // method
		"2026-11-24 09:00:00 host.example GET /a - 443 - 10.1.0.5 Mozilla/5.0 - 401 1 2148074252 15",  // s-ip
		"2026-11-24 09:00:00 10.0.0.10 GET /a - 99999 - 10.1.0.5 Mozilla/5.0 - 401 1 2148074252 15",   // port
		"2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.256 Mozilla/5.0 - 401 1 2148074252 15",   // c-ip
		"2026-11-24 09:00:00 10.0.0.10 GET a.htm - 443 - 10.1.0.5 Mozilla/5.0 - 401 1 2148074252 15",  // uri
		"2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 Mozilla/5.0 - 401 1 99999999999 15",    // win32
		"2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 Mozilla/5.0 - 401 1 2148074252 15 7 8", // count
	} {
		s := checkBothPaths(t, []byte(bad+"\r\n"), []int64{4096})
		if s.Requests != 0 || s.Unread != 1 || s.WarningCount != 1 || !strings.Contains(s.Warnings[0].Message, "fit no default IIS field set") {
			t.Fatalf("%q: %s %v", bad, brief(s), s.Warnings)
		}
	}
}

// TestHeaderlessThenFields: lines before #Fields are read with an assumed
// field set, a change of field set is reported again, and #Fields takes
// over.
func TestHeaderlessThenFields(t *testing.T) {
	in := "2026-11-24 09:00:00 10.0.0.10 GET /a - 443 - 10.1.0.5 UA - 401 2 5 15\r\n" +
		"2026-11-24 09:00:01 10.0.0.10 GET /a - 443 - 10.1.0.5 UA - 401 1 2148074254 15\r\n" +
		"2026-11-24 09:00:02 10.0.0.10 GET /a - 443 - 10.1.0.5 UA 200 0 0\r\n" + // IIS 6 set
		"not a log line\r\n" +
		"#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\r\n" +
		"10.1.0.6 /b 401 1 2148074252\r\n"
	s := checkBothPaths(t, []byte(in), []int64{4096})
	if s.Requests != 4 || s.Assumed != 3 || s.Unread != 1 || s.Handshake != 2 || s.Failed != 1 || len(s.AssumedLayouts) != 2 {
		t.Fatalf("%s unread %d assumed %d %q", brief(s), s.Unread, s.Assumed, s.AssumedLayouts)
	}
	lines := []int64{}
	for _, w := range s.Warnings {
		lines = append(lines, w.Line)
	}
	if len(lines) != 3 || lines[0] != 1 || lines[1] != 3 || lines[2] != 4 || !strings.Contains(s.Warnings[2].Message, "does not start with a date") {
		t.Fatalf("%v", s.Warnings)
	}
}

// TestPlaceholders: a template line whose field count matches #Fields is
// not read as a 401 (and does not answer a challenge leg).
func TestPlaceholders(t *testing.T) {
	in := "#Fields: date time c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n" +
		"2026-11-24 09:00:00 IP /a 401 1 2148074254\n" +
		"Date Time IP /a 401 2 5\n" +
		"2026-11-24 9:00 IP /a 401 1 2148074252\n" +
		"2026-11-24 09:00:01 IP /a 401 1 2148074248\n"
	s := checkBothPaths(t, []byte(in), []int64{4096})
	if s.Requests != 2 || s.Unread != 2 || s.WarningCount != 2 || s.Warnings[0].Line != 3 || s.Warnings[1].Line != 4 ||
		!strings.Contains(s.Warnings[0].Message, "template with placeholders") {
		t.Fatalf("%s %v", brief(s), s.Warnings)
	}
	if s.Failed != 2 || s.Handshake != 0 {
		t.Fatalf("%s", brief(s))
	}
}

// TestHeaderlessGenerated: a large headerless log with field set changes
// gives the generator's counts on both paths, and one warning per change.
func TestHeaderlessGenerated(t *testing.T) {
	data, st := generate(t, gen.Config{Seed: 7, Size: 300 << 10, HeaderEvery: 50 << 10, NoHeader: true,
		Layouts: [][]string{gen.Default, gen.NoReferer, gen.IIS6}})
	s := checkBothPaths(t, data, []int64{4096, 7919, 1 << 20})
	if s.Lines != st.Lines || s.Requests != st.Requests || s.Assumed != st.Requests || s.Unauthorized != st.Status401 ||
		s.Handshake != st.Handshake || s.Failed != st.Failed || s.Directives != 0 || s.Unread != 0 || len(s.AssumedLayouts) != 3 {
		t.Fatalf("summary %s\ngenerator %+v", brief(s), st)
	}
	if s.WarningCount != 6 {
		t.Fatalf("warnings %v", s.Warnings)
	}
}

// TestUnterminatedUnusedLastField: the cut of a last line without line
// terminator can only shorten its last field; when the classifier does not
// read that field (time-taken), the line is classified, with a warning.
func TestUnterminatedUnusedLastField(t *testing.T) {
	head := "#Fields: date time c-ip cs-uri-stem sc-status sc-substatus sc-win32-status time-taken\r\n"
	for _, c := range []struct {
		tail     string
		requests int64
		failed   int64
	}{
		{"2026-11-24 09:00:00 10.0.0.1 /a 401 1 2148074252 1", 1, 1},
		{"2026-11-24 09:00:00 10.0.0.1 /a 401 1 2148074252 ", 0, 0},
		{"2026-11-24 09:00:00 10.0.0.1 /a 401 1 21480", 0, 0},
	} {
		s := checkBothPaths(t, []byte(head+c.tail), []int64{4096})
		if s.Requests != c.requests || s.Failed != c.failed || s.WarningCount != 1 || s.Unread != 1-c.requests ||
			!strings.Contains(s.Warnings[0].Message, "no line terminator") {
			t.Fatalf("%q: %s %v", c.tail, brief(s), s.Warnings)
		}
	}
}
