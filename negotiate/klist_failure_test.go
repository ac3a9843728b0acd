package negotiate

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// klistFailureSeeds are extra fuzz seeds: failure lines in both formats.
var klistFailureSeeds = []string{
	"klist failed with 0x8009030e/-2146893042: No credentials are available in the security package\n",
	"Current LogonId is 0:0xd6ed18\nError calling API LsaCallAuthenticationPackage (GetTicket substatus): 0x80090342\n\nklist failed with 0xc00002fd/-1073741059: The encryption type requested is not supported by the KDC.\n",
	"Error calling API LsaCallAuthenticationPackage (GetTicket substatus): 0x51f\n",
	"C:\\>klist get HTTP/x\nklist a échoué avec 0x80090303/-2146893053: cible inconnue\n",
	"$ kvno HTTP/x@R\nkvno: Server not found in Kerberos database while getting credentials for HTTP/x@R\n",
	"kinit: Cannot contact any KDC for realm 'R' while getting initial credentials\n",
	"klist: No credentials cache found (filename: /tmp/krb5cc_0)\n",
	"PS C:\\> klist -li 0x3e7 get\nklist failed with 0xffffffff/-1\n",
	"Current LogonId is 0:0x1\n#0>\tClient: a @ R\n\tServer: HTTP/x @ R\n\tStart Time: 5/11/2026 9:01:02 (local)\n\tEnd Time: 2026/11/24 9:01:02 (local)\n\tRenew Time: 24.11.2026 9:01:02 (local)\nklist failed with 0x1/1\n",
}

func klistUTF16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(strings.ReplaceAll(s, "\n", "\r\n"))) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func TestKlistFailuresRealWorld(t *testing.T) {
	tests := []struct {
		file   string
		format KlistFormat
		want   []KlistFailure
	}{
		{"real_winserverdocs-klist-get-host-etype-notsupp.txt", KlistWindows, []KlistFailure{{
			Command: "klist get", Status: 0xC00002FD, Substatus: 0x80090342, API: "LsaCallAuthenticationPackage (GetTicket substatus)",
			Name: "SEC_E_KDC_UNKNOWN_ETYPE", Meaning: statusTable[0x80090342].meaning, KerberosCode: CodeETypeNoSupp,
			Text: "The encryption type requested is not supported by the KDC.", Line: 4,
		}}},
		{"real_supportarticles-klist-tgt-0x8009030e.txt", KlistWindows, []KlistFailure{{
			Status: 0x8009030E, Name: "SEC_E_NO_CREDENTIALS", Meaning: "no Kerberos credentials (no TGT) in the logon session: a local or non-domain logon, or the TGT could not be obtained",
			Text: "No credentials are available in the security package", Line: 1,
		}}},
		{"real_supportarticles-klist-get-spn-missing.txt", KlistWindows, []KlistFailure{{
			Command: "klist get", Target: "http/webserver.contoso.com", Status: 0xC000018B,
			Name: "STATUS_NO_TRUST_SAM_ACCOUNT", Meaning: statusTable[0xC000018B].meaning, KerberosCode: CodeSPrincipalUnknown,
			Text: "The SAM database on the Windows Server does not have a computer account for this workstation trust relationship.", Line: 2,
		}}},
		{"mit_kvno_failures.txt", KlistMIT, []KlistFailure{
			{Command: "kvno", Target: "HTTP/web.example.test@EXAMPLE.TEST", MITCode: -1765328377, Name: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
				Meaning: CodeSPrincipalUnknown.Meaning(), KerberosCode: CodeSPrincipalUnknown,
				Text: "Server not found in Kerberos database while getting credentials for HTTP/web.example.test@EXAMPLE.TEST", Line: 2},
			{Command: "kinit", MITCode: -1765328228, Name: "KRB5_KDC_UNREACH", Meaning: mitFailures[2].meaning,
				Text: "Cannot contact any KDC for realm 'EXAMPLE.TEST' while getting initial credentials", Line: 4},
			{Command: "klist", MITCode: -1765328189, Name: "KRB5_FCC_NOFILE", Meaning: mitFailures[0].meaning,
				Text: "No credentials cache found (filename: /tmp/krb5cc_0)", Line: 6},
		}},
		{"mit_nocache.txt", KlistMIT, []KlistFailure{{Command: "klist", MITCode: -1765328189, Name: "KRB5_FCC_NOFILE", Meaning: mitFailures[0].meaning}}},
		{"windows_crlf.txt", KlistWindows, nil},
		{"real_mimikatz100-windows-klist-golden-rc4.txt", KlistWindows, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "klist", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			// As saved, and as PowerShell redirection saves it (UTF-16LE, CRLF).
			for _, in := range [][]byte{raw, klistUTF16LE(string(raw))} {
				k, err := ParseKlist(bytes.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				if k.Format != tc.format {
					t.Fatalf("format %v", k.Format)
				}
				got := k.Failures
				if tc.file == "mit_nocache.txt" {
					// Only the parts that do not depend on the message's wording.
					for i := range got {
						got[i].Text, got[i].Line = "", 0
					}
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("failures\n got %+v\nwant %+v", got, tc.want)
				}
			}
		})
	}
}

func TestKlistFailureAfterTickets(t *testing.T) {
	k, err := ParseKlistFile("testdata/klist/windows_engb_dates.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Tickets) != 3 || len(k.Failures) != 1 {
		t.Fatalf("tickets %d failures %+v", len(k.Tickets), k.Failures)
	}
	f := k.Failures[0]
	if f.Command != "klist get" || f.Target != "HTTP/other.corp.example" || f.Substatus != 0x6FB || f.Status != 0xC000018B ||
		f.Name != "ERROR_NO_TRUST_SAM_ACCOUNT" || f.KerberosCode != CodeSPrincipalUnknown || f.Line != 34 {
		t.Fatalf("%#v", f)
	}
	if got := k.FindFailures("http/OTHER.corp.example@CORP.EXAMPLE"); len(got) != 1 {
		t.Fatalf("FindFailures = %v", got)
	}
	if got := k.FindFailures("HTTP/web.corp.example"); len(got) != 0 {
		t.Fatalf("FindFailures = %v", got)
	}
	want := "klist get HTTP/other.corp.example failed 0x000006FB 0xC000018B ERROR_NO_TRUST_SAM_ACCOUNT: " + statusTable[0x6FB].meaning
	if f.String() != want {
		t.Fatalf("String() = %q", f.String())
	}
	b, err := json.Marshal(f)
	if err != nil || !strings.Contains(string(b), `"status":"0xC000018B"`) || !strings.Contains(string(b), `"substatus":"0x000006FB"`) {
		t.Fatalf("%s %v", b, err)
	}
	// A failure with no code has no Status in JSON.
	b, _ = json.Marshal(KlistFailure{Command: "kvno", Line: 1})
	if strings.Contains(string(b), "status") {
		t.Fatalf("%s", b)
	}
}

func TestKlistFailureOnlyLines(t *testing.T) {
	tests := []struct {
		in      string
		format  KlistFormat
		command string
		target  string
		status  Status
		name    string
	}{
		// A substatus line without its "klist failed" line.
		{"Error calling API LsaCallAuthenticationPackage (GetTicket substatus): 0x51f\n", KlistWindows, "klist get", "", 0, "ERROR_NO_LOGON_SERVERS"},
		// Another language: the hex/decimal pair after "klist".
		{"C:\\>klist get HTTP/x.example\nklist a échoué avec 0x80090303/-2146893053: cible inconnue\n", KlistWindows, "klist get", "HTTP/x.example", 0x80090303, "SEC_E_TARGET_UNKNOWN"},
		{"PS C:\\> klist -li 0x3e7 tgt\nklist failed with 0x80090311/-2146893039: No authority could be contacted for authentication.\n", KlistWindows, "klist tgt", "", 0x80090311, "SEC_E_NO_AUTHENTICATING_AUTHORITY"},
		{"klist failed with 0x12345678/305419896: Something new\n", KlistWindows, "", "", 0x12345678, ""},
		{"kinit: Preauthentication failed while getting initial credentials\n", KlistMIT, "kinit", "", 0, "KDC_ERR_PREAUTH_FAILED"},
		{"user@host:~$ kvno HTTP/y@R\nkvno: Cannot find KDC for realm \"R\" while getting credentials for HTTP/y@R\n", KlistMIT, "kvno", "HTTP/y@R", 0, "KRB5_REALM_UNKNOWN"},
	}
	for _, tc := range tests {
		k, err := ParseKlist(strings.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if k.Format != tc.format || len(k.Failures) != 1 {
			t.Fatalf("%q: %+v", tc.in, k)
		}
		f := k.Failures[0]
		if f.Command != tc.command || f.Target != tc.target || f.Status != tc.status || f.Name != tc.name || f.Line <= 0 {
			t.Errorf("%q: %#v", tc.in, f)
		}
	}
	// Not klist output at all is still rejected.
	for _, in := range []string{"hello\n", "C:\\>klist\n", "kvno = 3\n"} {
		if _, err := ParseKlist(strings.NewReader(in)); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestLookupStatus(t *testing.T) {
	for _, tc := range []struct {
		code uint32
		name string
		krb  ErrorCode
	}{
		{0x80090342, "SEC_E_KDC_UNKNOWN_ETYPE", 14}, {0xC00002FD, "STATUS_KDC_UNKNOWN_ETYPE", 14},
		{0x8009030E, "SEC_E_NO_CREDENTIALS", 0}, {0x51F, "ERROR_NO_LOGON_SERVERS", 0},
		{0x80090311, "SEC_E_NO_AUTHENTICATING_AUTHORITY", 0}, {0x80090303, "SEC_E_TARGET_UNKNOWN", 7},
		{0xC000018B, "STATUS_NO_TRUST_SAM_ACCOUNT", 7}, {0x80090324, "SEC_E_TIME_SKEW", 37},
	} {
		name, meaning, krb, ok := LookupStatus(tc.code)
		if !ok || name != tc.name || meaning == "" || krb != tc.krb || Status(tc.code).Name() != name {
			t.Errorf("LookupStatus(%#x) = %q %q %d %v", tc.code, name, meaning, krb, ok)
		}
	}
	if _, _, _, ok := LookupStatus(1); ok || Status(1).Known() || Status(1).Meaning() != "" || Status(0x51F).String() != "0x0000051F" {
		t.Error("unknown status")
	}
}

func TestKlistDates(t *testing.T) {
	d := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// en-GB: 05/11/2026 is day first because 25/11/2026 in the same output
	// settles the order.
	k, err := ParseKlistFile("testdata/klist/windows_engb_dates.txt")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Time{d("2026-11-05 09:01"), d("2026-11-05 09:05"), d("2026-11-25 09:01")} {
		tk := k.Tickets[i]
		if !tk.Start.Truncate(time.Minute).Equal(want) || tk.TimeIssue != "" || tk.StartText != "" {
			t.Errorf("ticket %d: start %v issue %q", i, tk.Start, tk.TimeIssue)
		}
	}
	if !k.Tickets[0].Renew.Equal(time.Date(2026, 11, 12, 9, 1, 2, 0, time.UTC)) || !k.Tickets[2].Renew.Equal(time.Date(2026, 12, 2, 9, 1, 2, 0, time.UTC)) {
		t.Errorf("renew %v %v", k.Tickets[0].Renew, k.Tickets[2].Renew)
	}
	// Real MIT output in a dd/mm/yyyy locale.
	k, err = ParseKlistFile("testdata/klist/real_quarkus-mit-klist-ddmmyyyy.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Tickets) != 2 || !k.Tickets[1].Start.Equal(time.Date(2024, 11, 22, 17, 44, 58, 0, time.UTC)) ||
		!k.Tickets[1].Renew.Equal(time.Date(2024, 11, 29, 17, 44, 48, 0, time.UTC)) || k.Tickets[1].TimeIssue != "" {
		t.Fatalf("%+v", k.Tickets)
	}
	if len(k.Find("HTTP/localhost")) != 1 || len(k.Failures) != 0 {
		t.Fatalf("%+v", k)
	}

	win := func(start, end string) string {
		return "Current LogonId is 0:0x3e7\nCached Tickets: (1)\n#0>\tClient: a @ R\n\tServer: HTTP/x @ R\n\tStart Time: " + start +
			" (local)\n\tEnd Time: " + end + " (local)\n"
	}
	tests := []struct {
		name, in   string
		start, end time.Time
		issue      string // substring; "" for none
		startText  string
		zeroStart  bool
	}{
		{"unsettled slash", win("05/11/2026 9:01:02", "05/11/2026 19:01:02"), time.Date(2026, 5, 11, 9, 1, 2, 0, time.UTC), time.Date(2026, 5, 11, 19, 1, 2, 0, time.UTC),
			"read as month/day", "05/11/2026 9:01:02", false},
		{"unsettled dots are day first", win("05.11.2026 09:01:02", "05.11.2026 19:01:02"), time.Date(2026, 11, 5, 9, 1, 2, 0, time.UTC), time.Date(2026, 11, 5, 19, 1, 2, 0, time.UTC),
			"read as day/month", "05.11.2026 09:01:02", false},
		{"same day and month", win("11/11/2026 9:01:02", "11/11/2026 19:01:02"), time.Date(2026, 11, 11, 9, 1, 2, 0, time.UTC), time.Date(2026, 11, 11, 19, 1, 2, 0, time.UTC), "", "", false},
		{"year first", win("2026/11/05 9:01:02", "2026-11-05 19:01:02"), time.Date(2026, 11, 5, 9, 1, 2, 0, time.UTC), time.Date(2026, 11, 5, 19, 1, 2, 0, time.UTC), "", "", false},
		{"12-hour clock", win("11/24/2026 9:01:02 PM", "11/25/2026 7:01:02 AM"), time.Date(2026, 11, 24, 21, 1, 2, 0, time.UTC), time.Date(2026, 11, 25, 7, 1, 2, 0, time.UTC), "", "", false},
		{"unreadable", win("13/45/2026 9:01:02", "11/25/2026 19:01:02"), time.Time{}, time.Date(2026, 11, 25, 19, 1, 2, 0, time.UTC), "unreadable", "13/45/2026 9:01:02", true},
		{"other calendar words", win("2026. 11. 24. 오전 9:01:02", "11/25/2026 19:01:02"), time.Time{}, time.Date(2026, 11, 25, 19, 1, 2, 0, time.UTC), "unrecognised", "2026. 11. 24. 오전 9:01:02", true},
		{"mixed orders", win("24/11/2026 9:01:02", "11/25/2026 19:01:02") + "\tRenew Time: 05/06/2026 1:00:00 (local)\n", time.Date(2026, 11, 24, 9, 1, 2, 0, time.UTC), time.Date(2026, 11, 25, 19, 1, 2, 0, time.UTC), "mixes", "24/11/2026 9:01:02", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKlist(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			tk := k.Tickets[0]
			if !tk.Start.Equal(tc.start) || !tk.End.Equal(tc.end) || tk.StartText != tc.startText || tk.Start.IsZero() != tc.zeroStart {
				t.Errorf("start %v end %v text %q", tk.Start, tk.End, tk.StartText)
			}
			if (tc.issue == "") != (tk.TimeIssue == "") || !strings.Contains(tk.TimeIssue, tc.issue) {
				t.Errorf("issue %q, want %q", tk.TimeIssue, tc.issue)
			}
			if tk.TimeIssue != "" && tk.EndText == "" {
				t.Errorf("end text not kept")
			}
		})
	}
}
