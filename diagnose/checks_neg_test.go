package diagnose

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/negotiate"
)

// runNegChecks loads a scenario bundle and runs the KRB and NEG checks.
func runNegChecks(t *testing.T, ev *Evidence) *Report {
	t.Helper()
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"KRB*", "NEG*"}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestKRBNEGScenarios(t *testing.T) {
	tests := []struct {
		dir      string
		fires    map[string]string // check ID -> text its first finding must contain
		quiet    []string
		severity map[string]Severity
	}{
		{dir: "KRB001-no-http-ticket", fires: map[string]string{"KRB001": "no service ticket for HTTP/WEB01 or HTTP/web01.corp.example"}, quiet: []string{"KRB002"},
			severity: map[string]Severity{"KRB001": Warning}},
		{dir: "KRB001-ticket-present", quiet: []string{"KRB001", "KRB002"}},
		{dir: "KRB002-rc4-ticket", fires: map[string]string{"KRB002": "encrypted with arcfour-hmac (RC4)"}, quiet: []string{"KRB001"},
			severity: map[string]Severity{"KRB002": Warning}},
		{dir: "NEG001-ntlm-only", fires: map[string]string{"NEG001": "challenges with NTLM and not Negotiate"}, quiet: []string{"NEG002", "NEG003", "NEG004"}},
		{dir: "NEG002-ntlm-fallback", fires: map[string]string{"NEG002": "sent NTLM inside Negotiate without trying Kerberos"}, quiet: []string{"NEG001", "NEG003", "NEG004"},
			severity: map[string]Severity{"NEG002": Info}},
		{dir: "NEG002-kerberos-ok", quiet: []string{"NEG001", "NEG002", "NEG003", "NEG004"}},
		{dir: "NEG003-reauth-per-request", fires: map[string]string{"NEG003": "challenged with 401 Negotiate again"}, quiet: []string{"NEG001", "NEG002", "NEG004"}},
		{dir: "NEG004-ntlmv1", fires: map[string]string{"NEG004": `WORKGROUP\test from JACK authenticated with NTLMv1`, "NEG002": "NTLM then succeeded as WORKGROUP\\test"},
			quiet: []string{"NEG001", "NEG003"}, severity: map[string]Severity{"NEG004": Error}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			ev, err := LoadBundle(context.Background(), filepath.Join("testdata", "scenarios", tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(ev.Warnings) > 0 {
				t.Fatalf("bundle warnings: %v", ev.Warnings)
			}
			rep := runNegChecks(t, ev)
			for id, text := range tc.fires {
				fs := rep.FindingsOf(id)
				if len(fs) == 0 {
					r, _ := rep.Result(id)
					t.Fatalf("%s did not fire (%s %s)", id, r.Status, r.Reason)
				}
				if !strings.Contains(fs[0].Message, text) {
					t.Errorf("%s message %q lacks %q", id, fs[0].Message, text)
				}
				if want, ok := tc.severity[id]; ok && fs[0].Severity != want {
					t.Errorf("%s severity %v, want %v", id, fs[0].Severity, want)
				}
				if len(fs[0].Evidence) == 0 {
					t.Errorf("%s finding without evidence", id)
				}
			}
			for _, id := range tc.quiet {
				r, _ := rep.Result(id)
				if fs := rep.FindingsOf(id); len(fs) > 0 || r.Status != StatusPassed {
					t.Errorf("%s should be quiet: %s %s %v", id, r.Status, r.Reason, fs)
				}
			}
		})
	}
}

func TestKRB001TicketRequests(t *testing.T) {
	host := Host{Computer: "WEB01", FQDN: "web01.corp.example", Domain: "CORP", Realm: "CORP.EXAMPLE"}
	ev := &Evidence{Host: host, TicketRequests: []TicketRequest{
		{SPN: "HTTP/web01.corp.example", Err: negotiate.NewKDCError(7, errors.New("KDC_Error: TGS Exchange Error"))},
		{SPN: "HTTP/portal.corp.example", Err: negotiate.NewKDCError(8, nil)},
		{SPN: "HTTP/odd.corp.example", Err: errors.New("connection refused")},
	}}
	rep := runNegChecks(t, ev)
	fs := rep.FindingsOf("KRB001")
	if len(fs) != 3 {
		t.Fatalf("%d findings: %+v", len(fs), fs)
	}
	byS := map[string]Finding{}
	for _, f := range fs {
		byS[f.Subject] = f
	}
	f := byS["HTTP/web01.corp.example"]
	if f.Severity != Error || !strings.Contains(f.Message, "KDC_ERR_S_PRINCIPAL_UNKNOWN (7)") || len(f.Remediation) == 0 ||
		f.Remediation[0].Commands[0] != `setspn -S HTTP/web01.corp.example CORP\WEB01$` {
		t.Errorf("missing SPN finding: %+v", f)
	}
	if f := byS["HTTP/portal.corp.example"]; !strings.Contains(f.Message, "KDC_ERR_PRINCIPAL_NOT_UNIQUE") || f.Remediation[0].Commands[0] != "setspn -X" {
		t.Errorf("duplicate finding: %+v", f)
	}
	if f := byS["HTTP/odd.corp.example"]; f.Severity != Warning || !strings.Contains(f.Message, "without a Kerberos error code") {
		t.Errorf("plain error finding: %+v", f)
	}

	// Quiet: the request succeeded with AES.
	ok := &Evidence{Host: host, TicketRequests: []TicketRequest{{SPN: "HTTP/web01.corp.example",
		Ticket: &negotiate.Ticket{Server: "HTTP/web01.corp.example", Realm: "CORP.EXAMPLE", EncType: "aes256-cts-hmac-sha1-96", EncTypeID: 18}}}}
	rep = runNegChecks(t, ok)
	for _, id := range []string{"KRB001", "KRB002"} {
		if r, _ := rep.Result(id); r.Status != StatusPassed || len(rep.FindingsOf(id)) > 0 {
			t.Errorf("%s: %s %v", id, r.Status, rep.FindingsOf(id))
		}
	}
	// KRB002 from a requested RC4 ticket.
	ok.TicketRequests[0].Ticket.EncType, ok.TicketRequests[0].Ticket.EncTypeID = "arcfour-hmac", 23
	rep = runNegChecks(t, ok)
	if fs := rep.FindingsOf("KRB002"); len(fs) != 1 || fs[0].Subject != "HTTP/web01.corp.example" {
		t.Errorf("KRB002 on requested RC4 ticket: %+v", fs)
	}
}

func TestKRB001UnknownHost(t *testing.T) {
	k, err := negotiate.ParseKlist(strings.NewReader("Ticket cache: FILE:/tmp/krb5cc_0\nDefault principal: a@R\n\nValid starting     Expires            Service principal\n11/25/26 00:04:51  11/25/26 10:04:51  krbtgt/R@R\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := runNegChecks(t, &Evidence{Klists: []*negotiate.Klist{k}})
	if fs := rep.FindingsOf("KRB001"); len(fs) != 1 || !strings.Contains(fs[0].Message, "no HTTP service ticket") {
		t.Fatalf("%+v", fs)
	}
}

func TestNEG002NTLMDisabledRaisesSeverity(t *testing.T) {
	ev, err := LoadBundle(context.Background(), filepath.Join("testdata", "scenarios", "NEG002-ntlm-fallback"))
	if err != nil {
		t.Fatal(err)
	}
	ev.Scenario.NTLMDisabled = true
	rep := runNegChecks(t, ev)
	if fs := rep.FindingsOf("NEG002"); len(fs) != 1 || fs[0].Severity != Warning {
		t.Fatalf("%+v", fs)
	}
}

func TestNEGProbes(t *testing.T) {
	yes, no := true, false
	url := "http://web01.corp.example/Altiris/NS/"
	kerberosOK := &negotiate.Transcript{URL: url, SPN: "HTTP/web01.corp.example", Offered: []string{"Negotiate", "NTLM"},
		NegotiateOffered: true, NTLMOffered: true, Mechanism: "Kerberos", Authenticated: true, KerberosAttempted: true,
		MutualAuth: true, ReauthOnSameConnection: &no, Persistent: true, FinalStatus: 200}
	fallback := &negotiate.Transcript{URL: url, SPN: "HTTP/web01.corp.example", Offered: []string{"Negotiate", "NTLM"},
		NegotiateOffered: true, NTLMOffered: true, Mechanism: "NTLM", Authenticated: true, KerberosAttempted: true,
		KerberosFailure: "no ticket: KDC_ERR_S_PRINCIPAL_UNKNOWN", KerberosError: negotiate.NewKDCError(7, nil),
		NTLMUsed: true, FellBackToNTLM: true, FinalStatus: 200}
	ntlmOnly := &negotiate.Transcript{URL: url, Offered: []string{"NTLM"}, NTLMOffered: true, Mechanism: "NTLM",
		Authenticated: true, NTLMUsed: true, FinalStatus: 200}
	reauth := &negotiate.Transcript{URL: url, SPN: "HTTP/web01.corp.example", Offered: []string{"Negotiate"}, NegotiateOffered: true,
		Mechanism: "Kerberos", Authenticated: true, KerberosAttempted: true, ReauthOnSameConnection: &yes, FinalStatus: 200}
	raw, err := os.ReadFile("../negotiate/testdata/tokens/impacket_spnego_negTokenResp_ntlm_authenticate_v1.hex")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := negotiate.DecodeToken(mustHex(t, strings.TrimSpace(string(raw))))
	if err != nil {
		t.Fatal(err)
	}
	legacy := &negotiate.Transcript{URL: url, Offered: []string{"NTLM"}, NTLMOffered: true, Mechanism: "NTLM", Authenticated: true,
		NTLMUsed: true, Rounds: []negotiate.Round{{Step: "ntlm-authenticate", Sent: v1, Status: 200}}}

	tests := []struct {
		name  string
		probe *negotiate.Transcript
		fires map[string]string
		quiet []string
	}{
		{"kerberos ok", kerberosOK, nil, []string{"NEG001", "NEG002", "NEG003"}},
		{"fallback", fallback, map[string]string{"NEG002": "no ticket: KDC_ERR_S_PRINCIPAL_UNKNOWN"}, []string{"NEG001", "NEG003"}},
		{"ntlm only", ntlmOnly, map[string]string{"NEG001": "challenges with NTLM and not Negotiate"}, []string{"NEG002", "NEG003"}},
		{"reauth", reauth, map[string]string{"NEG003": "challenged again"}, []string{"NEG001", "NEG002"}},
		{"ntlmv1 probe", legacy, map[string]string{"NEG004": `WORKGROUP\test from JACK authenticated with NTLMv1`, "NEG001": "not Negotiate"}, []string{"NEG002", "NEG003"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := &Evidence{Probes: []*negotiate.Transcript{tc.probe}}
			if tc.name == "ntlmv1 probe" {
				// NEG004 requires token evidence; the probe's own rounds are read too.
				ev.Tokens = []ObservedToken{{Source: "probe", Header: "Authorization", Token: v1}}
			}
			rep := runNegChecks(t, ev)
			for id, text := range tc.fires {
				fs := rep.FindingsOf(id)
				if len(fs) == 0 || !strings.Contains(fs[0].Message, text) {
					r, _ := rep.Result(id)
					t.Errorf("%s: %s %s %+v, want a finding containing %q", id, r.Status, r.Reason, fs, text)
				}
			}
			for _, id := range tc.quiet {
				if r, _ := rep.Result(id); r.Status != StatusPassed || len(rep.FindingsOf(id)) > 0 {
					t.Errorf("%s should be quiet: %s %s %+v", id, r.Status, r.Reason, rep.FindingsOf(id))
				}
			}
		})
	}
	// The fallback finding carries the KDC error's remedy.
	rep := runNegChecks(t, &Evidence{Host: Host{Computer: "WEB01", Domain: "CORP"}, Probes: []*negotiate.Transcript{fallback}})
	if fs := rep.FindingsOf("NEG002"); len(fs) != 1 || len(fs[0].Remediation) == 0 || fs[0].Remediation[0].Commands[0] != `setspn -S HTTP/web01.corp.example CORP\WEB01$` {
		t.Errorf("%+v", fs)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
