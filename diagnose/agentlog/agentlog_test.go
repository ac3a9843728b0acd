package agentlog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func scanFile(t *testing.T, name string) *Summary {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Scan(context.Background(), name, f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

type want struct {
	kind        Kind
	count       int
	loc         string
	first, last string // RFC 3339, "" for zero
}

func check(t *testing.T, s *Summary, ws []want) {
	t.Helper()
	if len(s.Matches) != len(ws) {
		var got []string
		for _, m := range s.Matches {
			got = append(got, m.Kind.String())
		}
		t.Fatalf("matches %v, want %d", got, len(ws))
	}
	for i, w := range ws {
		m := s.Matches[i]
		if m.Kind != w.kind || m.Count != w.count || m.Locator != w.loc {
			t.Errorf("match %d: %v x%d at %s, want %v x%d at %s", i, m.Kind, m.Count, m.Locator, w.kind, w.count, w.loc)
		}
		for _, p := range []struct {
			got  time.Time
			want string
		}{{m.First, w.first}, {m.Last, w.last}} {
			if p.want == "" {
				if !p.got.IsZero() {
					t.Errorf("%v: time %v, want zero", m.Kind, p.got)
				}
				continue
			}
			wt, err := time.Parse(time.RFC3339Nano, p.want)
			if err != nil {
				t.Fatal(err)
			}
			if !p.got.Equal(wt) {
				t.Errorf("%v: time %v, want %v", m.Kind, p.got, wt)
			}
		}
		if m.Example == "" || strings.Contains(m.Example, "]]>") || strings.Contains(m.Example, "<event") {
			t.Errorf("%v: example %q", m.Kind, m.Example)
		}
	}
}

func TestAgentTaskServer(t *testing.T) {
	s := scanFile(t, "agent-taskserver.log")
	if s.Events != 8 || s.Lines != 24 || len(s.Warnings) != 0 {
		t.Fatalf("events %d lines %d warnings %v", s.Events, s.Lines, s.Warnings)
	}
	check(t, s, []want{
		{RequestLevelAuthNotSupported, 2, "agent-taskserver.log:2", "2026-11-24T09:01:02.123-06:00", "2026-11-24T09:06:02.5-06:00"},
		{HTTP0x80042D21, 2, "agent-taskserver.log:2", "2026-11-24T09:01:02.123-06:00", "2026-11-24T09:06:02.5-06:00"},
		{HTTP0x8009030C, 1, "agent-taskserver.log:21", "2026-11-24T09:07:10-06:00", "2026-11-24T09:07:10-06:00"},
		{HTTP401, 2, "agent-taskserver.log:22", "2026-11-24T09:07:11-06:00", "2026-11-24T09:07:12-06:00"},
		{TaskServerRegistration, 1, "agent-taskserver.log:23", "2026-11-24T09:07:12-06:00", "2026-11-24T09:07:12-06:00"},
		{RegistrationFailed, 1, "agent-taskserver.log:23", "2026-11-24T09:07:12-06:00", "2026-11-24T09:07:12-06:00"},
	})
	// KB 232242: logon denied at 09:07:10, then "Failed to refresh server
	// list or register ... (0x8FA10191)" at 09:07:12 from the same host.
	if r := s.Match(RegistrationFailed); !slices.Equal(r.Codes, []string{CodeTaskServer401, CodeLogonDenied}) || !r.LogonDenied() || r.Line != 23 || r.Host != "PC0042" {
		t.Fatalf("%+v", r)
	}
	if c := s.Match(HTTP0x80042D21).Codes; !slices.Equal(c, []string{CodeRequestLevelAuth}) {
		t.Fatalf("codes %v", c)
	}
	m := s.Match(RequestLevelAuthNotSupported)
	if m.Host != "PC0042" || !strings.HasPrefix(m.Example, "Operation 'Direct: Head' failed.") ||
		!strings.Contains(m.Example, "GetClientTaskServers.aspx") || !strings.Contains(m.Example, "'authPersistNonNTLM' is set to 'True'") {
		t.Fatalf("example %q host %q", m.Example, m.Host)
	}
}

func TestSMPSPN(t *testing.T) {
	s := scanFile(t, "smp-spn.log")
	check(t, s, []want{
		{SPNRegistration8344, 2, "smp-spn.log:2", "2026-11-24T06:00:05-06:00", "2026-11-24T06:00:05.1-06:00"},
		{SPNRegistration8647, 1, "smp-spn.log:4", "2026-11-24T06:00:05.2-06:00", "2026-11-24T06:00:05.2-06:00"},
	})
	if h := s.Match(SPNRegistration8344).Host; h != "SMP01" {
		t.Fatalf("host %q", h)
	}
}

func TestOldFormatConcatenated(t *testing.T) {
	s := scanFile(t, "agent-old-format.log")
	if s.Events != 3 || s.Lines != 3 {
		t.Fatalf("events %d lines %d", s.Events, s.Lines)
	}
	check(t, s, []want{
		{HTTP401, 2, "agent-old-format.log:1", "0000-05-16T11:51:07Z", "0000-05-16T11:52:07Z"},
		{TaskServerRegistration, 2, "agent-old-format.log:1", "0000-05-16T11:51:07Z", "0000-05-16T11:52:07Z"},
		{RegistrationFailed, 2, "agent-old-format.log:1", "0000-05-16T11:51:07Z", "0000-05-16T11:52:07Z"},
	})
	if r := s.Match(RegistrationFailed); !slices.Equal(r.Codes, []string{CodeHTTP401}) || r.LogonDenied() {
		t.Fatalf("%+v", r)
	}
}

func TestPlain(t *testing.T) {
	s := scanFile(t, "agent-plain.log")
	if s.Events != 0 || s.Messages != 4 {
		t.Fatalf("events %d messages %d", s.Events, s.Messages)
	}
	check(t, s, []want{
		{RequestLevelAuthNotSupported, 1, "agent-plain.log:4", "", ""},
		{HTTP0x80042D21, 2, "agent-plain.log:2", "2026-11-24T10:00:03Z", "2026-11-24T10:05:03Z"},
		{TaskServerRegistration, 2, "agent-plain.log:2", "2026-11-24T10:00:03Z", "2026-11-24T10:05:03Z"},
		{RegistrationFailed, 2, "agent-plain.log:2", "2026-11-24T10:00:03Z", "2026-11-24T10:05:03Z"},
	})
}

func TestRegistrationPlain(t *testing.T) {
	s := scanFile(t, "agent-registration-plain.txt")
	if s.Messages != 5 || s.Lines != 11 || len(s.Warnings) != 0 {
		t.Fatalf("messages %d lines %d warnings %v", s.Messages, s.Lines, s.Warnings)
	}
	const f = "agent-registration-plain.txt:"
	check(t, s, []want{
		{HTTP0x8009030C, 1, f + "1", "", ""},
		{HTTP401, 3, f + "2", "", ""},
		{TaskServerRegistration, 2, f + "3", "", ""},
		{RegistrationFailed, 4, f + "2", "", ""},
	})
	r := s.Match(RegistrationFailed)
	if !slices.Equal(r.Codes, []string{CodeTaskServer401, CodeLogonDenied, CodeHTTPStatusDenied}) || !r.LogonDenied() || r.Line != 2 ||
		!strings.Contains(r.Example, "/Altiris/ClientTaskServer/Register.aspx") {
		t.Fatalf("%+v", r)
	}
	// The "Operation ... failed." block is one message: its path and code
	// are seen together, and its example keeps all its lines.
	in := "Operation 'Direct: Post' failed.\nPath: /Altiris/ClientTaskServer/Register.aspx\nError code: HTTP error occured (0x80190191)\n"
	b, err := Scan(context.Background(), "b.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if m := b.Match(RegistrationFailed); m == nil || m.Count != 1 || m.Line != 1 || strings.Count(m.Example, "\n") != 2 || m.LogonDenied() {
		t.Fatalf("%+v", b.Matches)
	}
}

func TestRegistrationLogonDeniedWindow(t *testing.T) {
	ev := func(date, host, msg string) string {
		return "<event date='" + date + "' severity='2' hostName='" + host + "' ><![CDATA[" + msg + "]]></event>\n"
	}
	const denied = "error: The logon attempt failed (0x8009030C)."
	const reg = "Failed to refresh server list or register, error: HTTP status 401: The request requires user authentication (0x8FA10191)"
	for _, tc := range []struct {
		name, in string
		want     bool
	}{
		{"same host soon after", ev("11/24/2026 09:00:00", "PC1", denied) + ev("11/24/2026 09:05:00", "PC1", reg), true},
		{"other host", ev("11/24/2026 09:00:00", "PC2", denied) + ev("11/24/2026 09:00:01", "PC1", reg), false},
		{"too late", ev("11/24/2026 09:00:00", "PC1", denied) + ev("11/24/2026 09:20:00", "PC1", reg), false},
		{"before the denial", ev("11/24/2026 09:00:00", "PC1", reg) + ev("11/24/2026 09:00:01", "PC1", denied), false},
		{"in the message", ev("11/24/2026 09:00:00", "PC1", "Unable to register with Task Server: The logon attempt failed (0x8009030C)"), true},
		{"decimal code", "Failed to register with Task Server ts01: -2146893044\n", true},
	} {
		s, err := Scan(context.Background(), "w.log", strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		m := s.Match(RegistrationFailed)
		if m == nil || m.LogonDenied() != tc.want {
			t.Errorf("%s: %+v", tc.name, m)
		}
	}
	// Merge keeps the codes of both files.
	a, _ := Scan(context.Background(), "a.log", strings.NewReader(ev("11/24/2026 09:00:00", "PC1", reg)))
	b, _ := Scan(context.Background(), "b.log", strings.NewReader(ev("11/24/2026 09:00:00", "PC1", denied)+ev("11/24/2026 09:00:01", "PC1", reg)))
	a.Merge(b)
	if m := a.Match(RegistrationFailed); m.Count != 2 || !m.LogonDenied() || m.Locator != "a.log:1" || m.Line != 1 {
		t.Fatalf("%+v", m)
	}
}

func TestRealWorldKB(t *testing.T) {
	s := scanFile(t, "real-broadcom-kb173598-0x80042D21.txt")
	// One loose "Error note" line, then two "Operation ... failed." blocks.
	if s.Messages != 3 || s.Events != 0 {
		t.Fatalf("messages %d events %d", s.Messages, s.Events)
	}
	const f = "real-broadcom-kb173598-0x80042D21.txt:"
	check(t, s, []want{
		{RequestLevelAuthNotSupported, 3, f + "1", "", ""},
		{HTTP0x80042D21, 2, f + "2", "", ""},
	})
	if m := s.Match(HTTP0x80042D21); !strings.Contains(m.Example, "Path: /Altiris/TaskManagement/CTAgent/GetClientTaskServers.aspx") {
		t.Fatalf("example %q", m.Example)
	}
	q := scanFile(t, "real-broadcom-kb177014-reset-agent-cdata.txt")
	if len(q.Matches) != 0 || len(q.Warnings) != 0 {
		t.Fatalf("%+v", q)
	}
}

func TestUTF16AndMerge(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "agent-taskserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	u16 := []byte{0xFF, 0xFE}
	for _, r := range string(raw) {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	a, err := Scan(context.Background(), "u16.log", bytes.NewReader(u16))
	if err != nil {
		t.Fatal(err)
	}
	b := scanFile(t, "agent-plain.log")
	a.Merge(b)
	if a.Files != 2 {
		t.Fatalf("files %d", a.Files)
	}
	m := a.Match(HTTP0x80042D21)
	// The plain log has no zone (UTC): 10:00:03Z is before 09:01:02-06:00.
	if m.Count != 4 || m.Locator != "u16.log:2" || !m.First.Equal(time.Date(2026, 11, 24, 10, 0, 3, 0, time.UTC)) ||
		!m.Last.Equal(time.Date(2026, 11, 24, 15, 6, 2, 5e8, time.UTC)) {
		t.Fatalf("%+v", m)
	}
	if a.Match(HTTP0x8009030C).Count != 1 || a.Match(TaskServerRegistration).Count != 3 {
		t.Fatalf("%+v", a.Matches)
	}
}

func TestOddInput(t *testing.T) {
	// Unterminated event, a '>' inside an attribute value, an event with no
	// CDATA, and nothing to report.
	in := "<event date='11/24/2026 09:01:02' note='a>b' >plain body HTTP status 401</event>\n" +
		"<event date='11/24/2026 09:01:03'/>\n" +
		"<events>not an event</events>\n" +
		"<event date='11/24/2026 09:01:04' ><![CDATA[HTTP error occured (0x80042D21)\n"
	s, err := Scan(context.Background(), "odd.log", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 3 || len(s.Warnings) != 1 || s.Warnings[0].Line != 4 {
		t.Fatalf("events %d warnings %v", s.Events, s.Warnings)
	}
	check(t, s, []want{
		{HTTP0x80042D21, 1, "odd.log:4", "2026-11-24T09:01:04Z", "2026-11-24T09:01:04Z"},
		{HTTP401, 1, "odd.log:1", "2026-11-24T09:01:02Z", "2026-11-24T09:01:02Z"},
	})
	quiet, err := Scan(context.Background(), "quiet.log", strings.NewReader("all good\r\n"))
	if err != nil || len(quiet.Matches) != 0 || quiet.Messages != 1 {
		t.Fatalf("%+v %v", quiet, err)
	}
}

func TestNotLog(t *testing.T) {
	for _, in := range [][]byte{
		{0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00},
		bytes.Repeat([]byte{0x01, 0x02, 0xfe, 0x7f, 0x05}, 100),
	} {
		_, err := Scan(context.Background(), "bin", bytes.NewReader(in))
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrNotLog) || fe.File != "bin" {
			t.Fatalf("%v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, "x", strings.NewReader("a\n")); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
}

func TestLongLines(t *testing.T) {
	in := "<event date='11/24/2026 09:01:04' ><![CDATA[" + strings.Repeat("x", 70<<10) + " 0x80042D21]]></event>\n" +
		strings.Repeat("y", maxLine+100) + " 0x8009030C\n"
	s, err := Scan(context.Background(), "long.log", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Lines != 2 || len(s.Warnings) != 2 || s.Match(HTTP0x80042D21) != nil || s.Match(HTTP0x8009030C) != nil {
		t.Fatalf("lines %d warnings %v matches %+v", s.Lines, s.Warnings, s.Matches)
	}
}

func TestKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if seen[k.String()] || k.Description() == "" {
			t.Fatalf("kind %d: %q %q", k, k, k.Description())
		}
		seen[k.String()] = true
	}
	if Kind(99).String() != "kind(99)" {
		t.Fatal(Kind(99).String())
	}
}
