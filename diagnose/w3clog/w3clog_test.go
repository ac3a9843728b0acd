package w3clog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

func stream(t testing.TB, name string, data []byte, o *Options) (*Summary, error) {
	t.Helper()
	a := NewAnalyzer(o)
	if err := a.Add(context.Background(), name, bytes.NewReader(data)); err != nil {
		return nil, err
	}
	return a.Result(), nil
}

func writeTemp(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "u_ex261124.log")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func generate(t testing.TB, c gen.Config) ([]byte, gen.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := gen.Write(&buf, c)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

// checkBothPaths runs the streaming path and the parallel path with several
// chunk sizes and worker counts, and requires identical summaries.
func checkBothPaths(t *testing.T, data []byte, chunkSizes []int64) *Summary {
	t.Helper()
	path := writeTemp(t, data)
	want, err := stream(t, path, data, nil)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	for _, cs := range chunkSizes {
		for _, w := range []int{1, 2, 3} {
			got, err := AnalyzeFile(context.Background(), path, &Options{ChunkSize: cs, Workers: w})
			if err != nil {
				t.Fatalf("AnalyzeFile chunk %d workers %d: %v", cs, w, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("chunk %d workers %d: parallel path differs from streaming path:\n got %+v\nwant %+v", cs, w, brief(got), brief(want))
			}
		}
	}
	return want
}

func brief(s *Summary) string {
	var b strings.Builder
	b.WriteString(strings.Join([]string{
		"lines", itoa(s.Lines), "req", itoa(s.Requests), "401", itoa(s.Unauthorized),
		"hs", itoa(s.Handshake), "failed", itoa(s.Failed), "warn", itoa(s.WarningCount),
		"groups", itoa(int64(len(s.Groups))),
	}, " "))
	for i, g := range s.Groups {
		if i == 5 {
			break
		}
		b.WriteString("\n  " + g.Locator + " " + g.URI + " " + g.ClientIP + " " + g.Win32Name + " " + itoa(int64(g.Count)))
	}
	return b.String()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestGeneratedAgainstGenerator(t *testing.T) {
	cases := []struct {
		name string
		cfg  gen.Config
	}{
		{"default", gen.Config{Seed: 1, Size: 300 << 10}},
		{"fields-change", gen.Config{Seed: 2, Size: 300 << 10, HeaderEvery: 20 << 10,
			Layouts: [][]string{gen.Default, gen.Extended, gen.Odd}}},
		{"garbled-lf", gen.Config{Seed: 3, Size: 200 << 10, GarbleEvery: 50, LF: true,
			Layouts: [][]string{gen.Odd, gen.Default}, HeaderEvery: 50 << 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, st := generate(t, c.cfg)
			s := checkBothPaths(t, data, []int64{4096, 7919, 65536, 1 << 20})
			if s.Lines != st.Lines || s.Requests != st.Requests || s.Unauthorized != st.Status401 ||
				s.Handshake != st.Handshake || s.Failed != st.Failed || s.WarningCount != st.Garbled ||
				s.Directives != st.Directives {
				t.Fatalf("summary %s\ngenerator %+v", brief(s), st)
			}
			byWin32 := map[uint32]int64{}
			for _, g := range s.Failures() {
				byWin32[g.Win32] += int64(g.Count)
			}
			if !reflect.DeepEqual(byWin32, st.ByWin32) {
				t.Fatalf("failures by win32 %v, generator %v", byWin32, st.ByWin32)
			}
			if st.Garbled > 0 && (len(s.Warnings) == 0 || !strings.Contains(s.Warnings[0].String(), "u_ex261124.log:")) {
				t.Fatalf("warnings %v", s.Warnings)
			}
		})
	}
}

const handLog = "#Software: Microsoft Internet Information Services 10.0\r\n" +
	"#Version: 1.0\r\n" +
	"#Date: 2026-11-24 09:00:00\r\n" +
	"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n" +
	// 5: Kerberos: anonymous leg then success.
	"2026-11-24 09:00:01 10.0.0.10 GET /Altiris/NS/Agent/GetClientPolicies.aspx - 443 - 10.1.0.5 Altiris+Agent - 401 2 5 0\r\n" +
	"2026-11-24 09:00:01 10.0.0.10 GET /Altiris/NS/Agent/GetClientPolicies.aspx - 443 EXAMPLE\\PC5$ 10.1.0.5 Altiris+Agent - 200 0 0 15\r\n" +
	// 7: NTLM: anonymous, challenge leg, success (another client interleaved).
	"2026-11-24 09:00:02 10.0.0.10 GET /Altiris/Console/ - 443 - 10.1.0.6 Mozilla/5.0 - 401 2 5 0\r\n" +
	"2026-11-24 09:00:02 10.0.0.10 GET /Altiris/Console/ - 443 - 10.1.0.6 Mozilla/5.0 - 401 1 2148074254 0\r\n" +
	"2026-11-24 09:00:02 10.0.0.10 GET /Altiris/Console/ - 443 - 10.1.0.7 Mozilla/5.0 - 401 2 5 0\r\n" +
	"2026-11-24 09:00:03 10.0.0.10 GET /Altiris/Console/ - 443 EXAMPLE\\alice 10.1.0.6 Mozilla/5.0 - 200 0 0 31\r\n" +
	// 11: load balancer split the NTLM legs: leg unanswered, then invalid token.
	"2026-11-24 09:01:00 10.0.0.10 POST /Altiris/ClientTaskServer/Register.aspx - 443 - 10.1.0.8 Altiris+Agent - 401 1 2148074254 0\r\n" +
	"2026-11-24 09:01:00 10.0.0.10 POST /Altiris/ClientTaskServer/Register.aspx - 443 - 10.1.0.8 Altiris+Agent - 401 1 2148074248 0\r\n" +
	// 13: logon denied twice for the same client.
	"2026-11-24 09:02:00 10.0.0.10 GET /Altiris/NS/Agent/PostEvent.aspx - 443 EXAMPLE\\PC9$ 10.1.0.9 Altiris+Agent - 401 1 2148074252 0\r\n" +
	"#Date: 2026-11-24 10:00:00\r\n" +
	// 15: new layout: no cs-username, different order.
	"#Fields: time date c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\r\n" +
	"10:05:00 2026-11-24 10.1.0.9 /Altiris/NS/Agent/PostEvent.aspx 401 1 2148074252\r\n" +
	"10:06:00 2026-11-24 10.1.0.9 /Altiris/NS/Agent/PostEvent.aspx 401 1 2148074252\r\n" +
	"10:07:00 2026-11-24 10.1.0.3 /Altiris/Console/ 401 3 5\r\n" +
	// 19: truncated line.
	"10:08:00 2026-11-24 10.1.0.3 /Altiris/Con\r\n" +
	// 20: no substatus or win32 status at all.
	"#Fields: date time c-ip cs-uri-stem sc-status\r\n" +
	"2026-11-24 11:00:00 10.1.0.4 /Altiris/Console/ 401\r\n" +
	// 22: truncated final line without newline.
	"2026-11-24 11:00:01 10.1."

func TestClassification(t *testing.T) {
	s := checkBothPaths(t, []byte(handLog), []int64{4096})
	if s.Lines != 22 || s.Directives != 7 || s.Requests != 13 || s.Unauthorized != 11 || s.Handshake != 4 || s.Failed != 7 {
		t.Fatalf("totals %s", brief(s))
	}
	if s.ByStatus[200] != 2 || s.ByStatus[401] != 11 {
		t.Fatalf("by status %v", s.ByStatus)
	}
	if s.WarningCount != 2 || s.Warnings[0].Line != 19 || s.Warnings[1].Line != 22 {
		t.Fatalf("warnings %v", s.Warnings)
	}
	type row struct {
		loc, uri, ip, user string
		sub                int
		name               string
		count              int
		hs, unanswered     bool
	}
	var got []row
	for _, g := range s.Groups {
		got = append(got, row{strings.TrimPrefix(g.Locator, filepath.Dir(g.Locator)+"/"), g.URI, g.ClientIP, g.User, g.SubStatus, g.Win32Name, g.Count, g.Handshake, g.Unanswered})
	}
	want := []row{
		{"u_ex261124.log:16", "/Altiris/NS/Agent/PostEvent.aspx", "10.1.0.9", "", 1, "SEC_E_LOGON_DENIED", 2, false, false},
		{"u_ex261124.log:12", "/Altiris/ClientTaskServer/Register.aspx", "10.1.0.8", "", 1, "SEC_E_INVALID_TOKEN", 1, false, false},
		{"u_ex261124.log:11", "/Altiris/ClientTaskServer/Register.aspx", "10.1.0.8", "", 1, "SEC_E_NO_CREDENTIALS", 1, false, true},
		{"u_ex261124.log:18", "/Altiris/Console/", "10.1.0.3", "", 3, "ERROR_ACCESS_DENIED", 1, false, false},
		{"u_ex261124.log:21", "/Altiris/Console/", "10.1.0.4", "", -1, "", 1, false, false},
		{"u_ex261124.log:13", "/Altiris/NS/Agent/PostEvent.aspx", "10.1.0.9", `EXAMPLE\PC9$`, 1, "SEC_E_LOGON_DENIED", 1, false, false},
		{"u_ex261124.log:7", "/Altiris/Console/", "", "", 2, "ERROR_ACCESS_DENIED", 2, true, false},
		{"u_ex261124.log:8", "/Altiris/Console/", "", "", 1, "SEC_E_NO_CREDENTIALS", 1, true, false},
		{"u_ex261124.log:5", "/Altiris/NS/Agent/GetClientPolicies.aspx", "", "", 2, "ERROR_ACCESS_DENIED", 1, true, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groups:\n got %+v\nwant %+v", got, want)
	}
	g := s.Groups[0]
	if !g.First.Equal(time.Date(2026, 11, 24, 10, 5, 0, 0, time.UTC)) || !g.Last.Equal(time.Date(2026, 11, 24, 10, 6, 0, 0, time.UTC)) {
		t.Fatalf("first/last %v %v", g.First, g.Last)
	}
	if g.Win32 != 2148074252 || !strings.Contains(g.Meaning, "401.1 logon failed") || !strings.Contains(g.Meaning, "SEC_E_LOGON_DENIED") {
		t.Fatalf("meaning %q", g.Meaning)
	}
	if !strings.Contains(s.Groups[1].Meaning, "load balancer") || !strings.Contains(s.Groups[2].Meaning, "not followed by a success") {
		t.Fatalf("meanings %q / %q", s.Groups[1].Meaning, s.Groups[2].Meaning)
	}
}

func TestHandshakeWindow(t *testing.T) {
	head := "#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n"
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("10.0.0.1 /a 401 1 2148074254\n")
	for range 5 {
		b.WriteString("10.0.0.2 /a 200 0 0\n")
	}
	b.WriteString("10.0.0.1 /a 200 0 0\n")
	for _, w := range []int{5, 6} {
		s, err := stream(t, "w", []byte(b.String()), &Options{HandshakeWindow: w})
		if err != nil {
			t.Fatal(err)
		}
		if wantHS := w == 6; (s.Handshake == 1) != wantHS || s.Handshake+s.Failed != 1 {
			t.Fatalf("window %d: handshake %d failed %d", w, s.Handshake, s.Failed)
		}
	}
}

func TestNotW3C(t *testing.T) {
	inputs := map[string]string{
		"agent":      "<event date='11/24/2026 09:01:02.1230000 -06:00' severity='2'><![CDATA[hello]]></event>\n",
		"iis-format": "10.0.0.2, -, 11/24/2026, 9:00:00, W3SVC1, SMP01, 10.0.0.10, 15, 300, 1200, 401, 2148074252, GET, /Altiris/Console/, -,\n",
		// The first non-empty line decides, wherever the chunks fall.
		"blank-then-text": strings.Repeat("\r\n", 5000) + "hello\r\n2026-11-24 09:00:00 10.0.0.1 GET / - 80 - 10.0.0.2 - - 200 0 0 1\r\n",
	}
	for name, in := range inputs {
		_, err := stream(t, name, []byte(in), nil)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrNotW3C) || fe.File != name {
			t.Fatalf("%s: stream error %v", name, err)
		}
		_, err2 := AnalyzeFile(context.Background(), writeTemp(t, []byte(in)), &Options{ChunkSize: 4096})
		var fe2 *FormatError
		if !errors.As(err2, &fe2) || fe2.Line != fe.Line || fe2.Reason != fe.Reason {
			t.Fatalf("%s: AnalyzeFile error %v, stream %v", name, err2, err)
		}
		if name == "iis-format" && !strings.Contains(fe.Reason, "comma-separated") {
			t.Fatalf("reason %q", fe.Reason)
		}
		if name == "blank-then-text" && fe.Line != 5001 {
			t.Fatalf("line %d", fe.Line)
		}
	}
	// Directives without #Fields, then a line of the IIS default field
	// set: read with the assumed field set and a warning saying so.
	s := checkBothPaths(t, []byte("#Software: Microsoft Internet Information Services 10.0\n2026-11-24 09:00:00 10.0.0.1 GET / - 80 - 10.0.0.2 - - 401 1 2148074252 1\n"), []int64{4096})
	if s.Requests != 1 || s.Assumed != 1 || s.Failed != 1 || s.WarningCount != 1 || s.Warnings[0].Line != 2 ||
		!strings.Contains(s.Warnings[0].Message, "IIS 8.5+ default") || len(s.AssumedLayouts) != 1 {
		t.Fatalf("no-fields: %s %v %v", brief(s), s.Warnings, s.AssumedLayouts)
	}
	// A line before #Fields deep in a chunked file that fits no field set
	// is reported at its line, and not read.
	data := []byte(strings.Repeat("#Date: 2026-11-24 00:00:00\n", 400) + "2026-11-24 00:00:00 x\n")
	s = checkBothPaths(t, data, []int64{4096})
	if s.Requests != 0 || s.Unread != 1 || s.WarningCount != 1 || s.Warnings[0].Line != 401 {
		t.Fatalf("deep: %s %v", brief(s), s.Warnings)
	}
	// Empty input is no error.
	if s, err := stream(t, "e", nil, nil); err != nil || s.Lines != 0 {
		t.Fatalf("empty: %v %v", s, err)
	}
}

func TestEncodingsAndLongLines(t *testing.T) {
	body := "#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\r\n10.0.0.1 /a 401 1 2148074252\r\n" +
		strings.Repeat("x", maxLine+10) + "\r\n10.0.0.1 /b 401 1 2148074252\r\n" +
		strings.Repeat("\x00", 100)
	want := checkBothPaths(t, []byte(body), []int64{4096, 70000})
	if want.Failed != 2 || want.WarningCount != 2 || want.Warnings[0].Line != 3 {
		t.Fatalf("utf8: %s %v", brief(want), want.Warnings)
	}
	bom := append([]byte{0xEF, 0xBB, 0xBF}, body...)
	got := checkBothPaths(t, bom, []int64{4096})
	if got.Failed != 2 {
		t.Fatalf("bom: %s", brief(got))
	}
	u16 := []byte{0xFF, 0xFE}
	for _, r := range "#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\r\n10.0.0.1 /a 401 1 2148074252\r\n" {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	got = checkBothPaths(t, u16, []int64{4096})
	if got.Failed != 1 || got.Groups[0].Win32Name != "SEC_E_LOGON_DENIED" {
		t.Fatalf("utf16: %s", brief(got))
	}
}

func TestCancel(t *testing.T) {
	data, _ := generate(t, gen.Config{Seed: 9, Size: 1 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := AnalyzeFile(ctx, writeTemp(t, data), &Options{ChunkSize: 4096}); !errors.Is(err, context.Canceled) {
		t.Fatalf("AnalyzeFile: %v", err)
	}
	if err := NewAnalyzer(nil).Add(ctx, "x", bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add: %v", err)
	}
	if _, err := AnalyzeFile(context.Background(), filepath.Join(t.TempDir(), "missing.log"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

func TestAnalyzerSeveralFiles(t *testing.T) {
	a := NewAnalyzer(nil)
	one := "#Fields: date time c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n2026-11-24 09:00:00 10.0.0.1 /a 401 1 2148074274\n"
	two := "#Fields: c-ip date time sc-win32-status sc-substatus sc-status cs-uri-stem\n10.0.0.1 2026-11-23 08:00:00 2148074274 1 401 /a\n"
	if err := a.Add(context.Background(), "one.log", strings.NewReader(one)); err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, []byte(two))
	if err := a.AddFile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(context.Background(), "bad.log", strings.NewReader("hello\n")); !errors.Is(err, ErrNotW3C) {
		t.Fatal(err)
	}
	s := a.Result()
	if s.Files != 2 || len(s.Groups) != 1 {
		t.Fatalf("%s", brief(s))
	}
	g := s.Groups[0]
	if g.Count != 2 || g.Locator != "one.log:2" || g.Win32Name != "SEC_E_WRONG_PRINCIPAL" ||
		g.First.Day() != 23 || g.Last.Day() != 24 {
		t.Fatalf("%+v", g)
	}
}

func TestWin32Names(t *testing.T) {
	for code, name := range map[uint32]string{
		2148074254: "SEC_E_NO_CREDENTIALS", 2148074252: "SEC_E_LOGON_DENIED", 2148074248: "SEC_E_INVALID_TOKEN",
		2148074274: "SEC_E_WRONG_PRINCIPAL", 2148074276: "SEC_E_TIME_SKEW", 2148074245: "SEC_E_SECPKG_NOT_FOUND",
		2148074306: "SEC_E_KDC_UNKNOWN_ETYPE", 2148074310: "SEC_E_BAD_BINDINGS", 5: "ERROR_ACCESS_DENIED",
		0x80091234: "0x80091234", 77: "WIN32_77",
	} {
		if got := Win32Name(code); got != name {
			t.Errorf("Win32Name(%d) = %q, want %q", code, got, name)
		}
	}
	if Win32Meaning(SecEBadBindings) == "" || SubStatusMeaning(3) == "" {
		t.Error("missing meanings")
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct{ d, t string }{{"2026-11-24", "09:01:02"}, {"2000-02-29", "23:59:59"}, {"1970-01-01", "00:00:00"}, {"2100-03-01", "12:00:00"}} {
		want, _ := time.Parse(time.DateTime, tc.d+" "+tc.t)
		got, ok := parseTimestamp([]byte(tc.d), []byte(tc.t))
		if !ok || got != want.Unix() {
			t.Errorf("%s %s: %d %v, want %d", tc.d, tc.t, got, ok, want.Unix())
		}
	}
	for _, bad := range [][2]string{{"2026-13-01", "00:00:00"}, {"2026-11-24", "9:01:02"}, {"20261124", "09:01:02"}, {"2026-11-24", "25:00:00"}} {
		if _, ok := parseTimestamp([]byte(bad[0]), []byte(bad[1])); ok {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestMaxGroups(t *testing.T) {
	var b strings.Builder
	b.WriteString("#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n")
	for i := range 50 {
		b.WriteString("10.0.0." + strconv.Itoa(i) + " /a 401 1 2148074252\n")
	}
	data := []byte(b.String())
	for _, run := range []func() (*Summary, error){
		func() (*Summary, error) { return stream(t, "x", data, &Options{MaxGroups: 3}) },
		func() (*Summary, error) {
			return AnalyzeFile(context.Background(), writeTemp(t, data), &Options{MaxGroups: 3, ChunkSize: 4096})
		},
	} {
		s, err := run()
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		var star *Group
		for i, g := range s.Groups {
			total += g.Count
			if g.ClientIP == "*" {
				star = &s.Groups[i]
			}
		}
		if s.Failed != 50 || total != 50 || len(s.Groups) != 4 || star == nil || star.Count != 47 || star.Win32Name != "SEC_E_LOGON_DENIED" {
			t.Fatalf("%s", brief(s))
		}
		if s.Groups[1].ClientIP != "10.0.0.0" && s.Groups[2].ClientIP != "10.0.0.0" && s.Groups[3].ClientIP != "10.0.0.0" {
			t.Fatalf("earliest group not kept: %s", brief(s))
		}
	}
}

func TestAddReaderAt(t *testing.T) {
	data, _ := generate(t, gen.Config{Seed: 11, Size: 100 << 10, HeaderEvery: 30 << 10, Layouts: [][]string{gen.Extended, gen.Default}})
	want, err := stream(t, "logs/iis/u_ex.log", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := NewAnalyzer(&Options{ChunkSize: 8192})
	if err := a.AddReaderAt(context.Background(), "logs/iis/u_ex.log", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	got := a.Result()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("AddReaderAt differs:\n got %s\nwant %s", brief(got), brief(want))
	}
}

func TestSpaces(t *testing.T) {
	for _, line := range []string{"", " ", "a", "a b", "  ", "abcdefgh ijklmnop", "a b c d e f g h i j k l m n o p", "        x        ",
		"2026-11-24 00:00:01 10.0.0.10 GET /Altiris/NS/Agent/PostEvent.aspx - 443 - 10.1.0.5 Altiris+Agent - 401 2 5 0"} {
		var want []int32
		for i := range len(line) {
			if line[i] == ' ' {
				want = append(want, int32(i))
			}
		}
		for extra := range 3 {
			pos := make([]int32, len(want)+extra)
			if n := spacesFrom([]byte(line), 0, pos, 0, len(pos)); n != len(want) || !slices.Equal(pos[:n], want) {
				t.Errorf("%q: %d %v, want %v", line, n, pos[:min(n, len(pos))], want)
			}
		}
		// In steps, as bounds asks for them: the same offsets.
		for step := 1; step <= 3; step++ {
			pos := make([]int32, len(want))
			n := 0
			for n < len(want) {
				from := 0
				if n > 0 {
					from = int(pos[n-1]) + 1
				}
				n = spacesFrom([]byte(line), from, pos, n, n+step)
			}
			if !slices.Equal(pos, want) {
				t.Errorf("%q in steps of %d: %v, want %v", line, step, pos, want)
			}
		}
	}
}

func TestFailureHeavyAgainstGenerator(t *testing.T) {
	data, st := generate(t, gen.Config{Seed: 4, Size: 2 << 20, HeaderLines: 3000, Profile: gen.FailureHeavy})
	if r := float64(st.Status401) / float64(st.Requests); r < 0.28 || r > 0.36 {
		t.Fatalf("401 share %.2f, want about 0.32", r)
	}
	path := writeTemp(t, data)
	for _, run := range []func() (*Summary, error){
		func() (*Summary, error) { return stream(t, path, data, &Options{MaxGroups: 1 << 20}) },
		func() (*Summary, error) {
			return AnalyzeFile(context.Background(), path, &Options{MaxGroups: 1 << 20, ChunkSize: 64 << 10})
		},
	} {
		s, err := run()
		if err != nil {
			t.Fatal(err)
		}
		if s.Unauthorized != st.Status401 || s.Handshake != st.Handshake || s.Failed != st.Failed ||
			s.Directives != st.Directives || int64(len(s.Failures())) != st.FailGroups {
			t.Fatalf("summary %s (%d failing groups)\ngenerator %+v", brief(s), len(s.Failures()), st)
		}
	}
}

// TestMaxGroupsExact: beyond MaxGroups, every group kept has its exact
// count (that of an unbounded run), the rest is folded, totals are exact.
func TestMaxGroupsExact(t *testing.T) {
	data, _ := generate(t, gen.Config{Seed: 8, Size: 1 << 20, HeaderLines: 2000, Profile: gen.FailureHeavy})
	path := writeTemp(t, data)
	all, err := stream(t, path, data, &Options{MaxGroups: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	key := func(g Group) string {
		return fmt.Sprint(g.URI, "|", g.ClientIP, "|", g.User, "|", g.SubStatus, "|", g.Win32, "|", g.Handshake, g.Unanswered)
	}
	exact := map[string]int{}
	for _, g := range all.Groups {
		exact[key(g)] = g.Count
	}
	for _, limit := range []int{1, 7, 100, 300} {
		for _, run := range []func() (*Summary, error){
			func() (*Summary, error) { return stream(t, path, data, &Options{MaxGroups: limit}) },
			func() (*Summary, error) {
				return AnalyzeFile(context.Background(), path, &Options{MaxGroups: limit, ChunkSize: 16 << 10, Workers: 2})
			},
		} {
			s, err := run()
			if err != nil {
				t.Fatal(err)
			}
			kept, total, folded := 0, 0, 0
			for _, g := range s.Groups {
				total += g.Count
				if g.Folded {
					folded++
					continue
				}
				kept++
				if exact[key(g)] != g.Count {
					t.Fatalf("limit %d: group %s counted %d, exactly %d", limit, key(g), g.Count, exact[key(g)])
				}
			}
			if kept > limit || folded == 0 || int64(total) != all.Unauthorized || s.Failed != all.Failed || s.MaxGroups != limit {
				t.Fatalf("limit %d: %d kept, %d folded, %d counted of %d", limit, kept, folded, total, all.Unauthorized)
			}
		}
	}
}

// bounds finds each field where a split finds it, whichever field is asked
// for first: from the end, from the start, or after the other scan.
func TestBoundsAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for range 2000 {
		n := 1 + r.IntN(20)
		fields := make([]string, n)
		for i := range fields {
			fields[i] = strings.Repeat("x", r.IntN(30)) // empty too: "a  b"
		}
		line := []byte(strings.Join(fields, " "))
		p := &proc{}
		p.setLayout(&layout{n: n})
		p.fn, p.rn = 0, 0
		for _, i := range r.Perm(n) {
			start, end := p.bounds(line, i)
			if got := string(line[start:end]); got != fields[i] {
				t.Fatalf("%q field %d = %q, want %q", line, i, got, fields[i])
			}
		}
	}
}
