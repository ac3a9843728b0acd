package diagnose

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/negotiate"
)

// htmlToken reads and decodes a token file of testdata/html (hex or
// base64); it also returns the base64 form a header would carry.
func htmlToken(t testing.TB, name string) (*negotiate.Token, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "html", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Join(strings.Fields(string(raw)), "")
	var b []byte
	if strings.HasSuffix(name, ".hex") {
		b, err = hex.DecodeString(s)
	} else {
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tok, err := negotiate.DecodeToken(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tok, base64.StdEncoding.EncodeToString(b)
}

// htmlTranscript is a probe where the server rejects the Kerberos AP-REQ,
// the client falls back to NTLM and succeeds, and a second request on the
// same connection is challenged again. It returns the base64 tokens the
// headers carried, which must never appear in a report.
func htmlTranscript(t testing.TB) (*negotiate.Transcript, []string) {
	t.Helper()
	apreq, apreq64 := htmlToken(t, "gokrb5_spnego_gssapi_init_krb5_apreq.hex")
	neg, neg64 := htmlToken(t, "impacket_spnego_negTokenInit_ntlm_negotiate.hex")
	chal, chal64 := htmlToken(t, "pyspnego_ntlm_challenge.b64")
	auth, auth64 := htmlToken(t, "pyspnego_ntlm_authenticate.b64")
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	offer := []negotiate.Challenge{{Scheme: "Negotiate", Raw: "Negotiate"}, {Scheme: "NTLM", Raw: "NTLM"}}
	reauth := true
	tr := &negotiate.Transcript{
		URL: "http://ns01.example.com:8080/Altiris/TaskManagement/CTAgent/", SPN: "HTTP/ns01.example.com",
		SPNSource: "host name of the URL", Offered: []string{"Negotiate", "NTLM"}, NegotiateOffered: true, NTLMOffered: true,
		Mechanism: "NTLM", Authenticated: true, KerberosAttempted: true,
		KerberosFailure: "the server rejected the Kerberos ticket (401 after the AP-REQ)",
		NTLMUsed:        true, FellBackToNTLM: true, ReauthOnSameConnection: &reauth, FinalStatus: 200,
		ObserverSees: "NTLM AUTHENTICATE shows user vagrant-domain@DOMAIN.LOCAL",
		Rounds: []negotiate.Round{
			{Step: "initial", Method: "GET", Request: hdr(), Status: 401, Challenges: offer, Tokens: make([]*negotiate.Token, 2)},
			{Step: "kerberos", Method: "GET", Request: hdr("Authorization", "Negotiate "+apreq64), Sent: apreq, Status: 401,
				Challenges: offer, Tokens: make([]*negotiate.Token, 2)},
			{Step: "ntlm-negotiate", Method: "GET", Request: hdr("Authorization", "NTLM "+neg64), Sent: neg, Status: 401,
				Challenges: []negotiate.Challenge{{Scheme: "NTLM", Token: []byte{1}, Raw: "NTLM " + chal64}}, Tokens: []*negotiate.Token{chal}},
			{Step: "ntlm-authenticate", Method: "GET", Request: hdr("Authorization", "NTLM "+auth64), Sent: auth, Status: 200,
				Conn: negotiate.ConnInfo{Reused: true}},
			{Step: "reuse-check", Method: "GET", Request: hdr(), Status: 401, Challenges: offer, Tokens: make([]*negotiate.Token, 2),
				Conn: negotiate.ConnInfo{Reused: true}},
		},
	}
	return tr, []string{apreq64, neg64, chal64, auth64}
}

// withProbe puts the handshake model of a probe on a report, as Diagnose
// does for Evidence.Probes.
func withProbe(r *Report, tr *negotiate.Transcript) *Report {
	r.Handshakes = append(r.Handshakes, handshakeFromProbe(tr))
	return r
}

// traceHandshake is the handshake model of a trace given as text.
func traceHandshake(t testing.TB, source, text string) Handshake {
	t.Helper()
	tr, err := ParseHTTPTrace(source, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return handshakeFromTrace(tr)
}

// htmlReport is a report as Diagnose makes it for an ITMS server with a
// Task Server problem: findings with IDs, two root causes (one with a
// symptom) whose choices mark the recommended one, a plan whose steps use
// both shells, what the plan leaves, a not-verified check and evidence
// that could not be used.
func htmlReport() *Report {
	return &Report{
		Profile: "itms",
		Sources: []string{"config: applicationHost.config (1 site, 7 applications, 2 pools)", "directory: setspn/ns01.txt"},
		Verdict: []VerdictRow{
			{Scenario: ScenarioKerberosFallback, Expected: true, Action: "Optional tuning", Findings: []string{"NEG002"},
				Reason: "the probe's Kerberos attempt failed and NTLM succeeded"},
			{Scenario: ScenarioTaskServer, Expected: false, Action: "Investigate", Findings: []string{"IIS003", "SPN002"},
				Reason: "authPersistNonNTLM is false on the Task Server path"},
		},
		Findings: []Finding{{
			ID: "IIS003-1", CheckID: "IIS003", Severity: Error, Subject: "Default Web Site/Altiris/TaskManagement/CTAgent",
			Message: "authPersistNonNTLM is false: every request on a kept-alive connection must authenticate again, which agents do not do.",
			Evidence: []EvidenceRef{{Source: "applicationHost.config", Locator: "412",
				Detail: `<windowsAuthentication enabled="true" authPersistNonNTLM="false">`}},
			Remediation: []Remedy{{Summary: "Set authPersistNonNTLM to True on CTAgent", Commands: []string{
				`%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/TaskManagement/CTAgent" -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True" /commit:apphost`,
				`iisreset /noforce`,
				`Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site/Altiris/TaskManagement/CTAgent' -Filter 'system.webServer/security/authentication/windowsAuthentication' -Name 'authPersistNonNTLM' -Value $true`}},
				{Summary: "Workaround only: list NTLM before Negotiate on CTAgent", Tradeoff: "not a fix: agents never use Kerberos", Workaround: true}},
			Cause: "auth-persist-non-ntlm",
		}, {
			ID: "SPN002-1", CheckID: "SPN002", Severity: Error, Subject: "HTTP/ns01.example.com",
			Message:  "HTTP/ns01.example.com is registered on EXAMPLE\\svc-web, but the site runs as the computer account, which cannot decrypt the tickets.",
			Evidence: []EvidenceRef{{Source: "setspn/ns01.txt", Locator: "3", Detail: "HTTP/ns01.example.com"}, {Source: "ldap://127.0.0.1:3890", Detail: "CN=svc-web,CN=Users,DC=example,DC=com"}},
			Remediation: []Remedy{{Summary: "Move the SPN to the computer account", Commands: []string{
				`setspn -D HTTP/ns01.example.com EXAMPLE\svc-web`, `setspn -S HTTP/ns01.example.com EXAMPLE\NS01$`}},
				{Summary: "Run the pool as EXAMPLE\\svc-web with useAppPoolCredentials", Tradeoff: "the password of svc-web must be managed and rotated"}},
			Cause: "spn-owner",
		}, {
			ID: "NEG002-1", CheckID: "NEG002", Severity: Warning, Subject: "http://ns01.example.com:8080/Altiris/TaskManagement/CTAgent/",
			Message:     "Kerberos was attempted and rejected; the client fell back to NTLM.",
			Evidence:    []EvidenceRef{{Source: "probe http://ns01.example.com:8080/Altiris/TaskManagement/CTAgent/", Locator: "round 2", Detail: "401 after Kerberos AP-REQ"}},
			Remediation: []Remedy{{Summary: "Fix the SPN (see SPN002)", Tradeoff: "none"}},
		}, {
			ID: "SPN002-2", CheckID: "SPN002", Severity: Info, Subject: "HTTP/ns01",
			Message: "HTTP/ns01 is on the right account.",
		}},
		Results: []CheckResult{
			{CheckID: "IIS003", Status: StatusFailed, Reason: "1 finding"},
			{CheckID: "SPN002", Status: StatusFailed, Reason: "2 findings"},
			{CheckID: "NEG002", Status: StatusFailed, Reason: "1 finding"},
			{CheckID: "KRB001", Status: StatusSkipped, Reason: "missing evidence: tickets"},
			{CheckID: "LOG001", Status: StatusPassed},
			{CheckID: "LOG002", Status: StatusError, Reason: "reading logs/agent.log: unexpected EOF"},
			{CheckID: "SPN006", Status: StatusNotVerified, Reason: "RC4-only owners on accounts the evidence does not fully show",
				Settle: "an ldifde export (ldifde -f spns.ldf -r \"(servicePrincipalName=*)\") or an LDAP query"},
		},
		Warnings: []EvidenceWarning{{Source: "logs/iis/u_ex260124.log", Locator: "9001", Message: "truncated line skipped"}},
		Notes:    []string{"profile path Default Web Site/Altiris/PS is not on this server"},
		Summary: Summary{Status: StatusProblems, Headline: "Problems: 2 root causes (2 error findings); a 3-step plan leaves 0 errors",
			Errors: 2, Warnings: 1, Infos: 1, RootCauses: 2, Passed: 1, Failed: 3, NotVerified: 1, Skipped: 1, CheckErrors: 1,
			Unusable: []UnusableEvidence{{Kind: EvAgentLogs, Source: "logs/agent/empty.log", Reason: "no readable agent log line"}}},
		RootCauses: []RootCause{{
			ID: "RC1", Title: "authPersistNonNTLM is False on Default Web Site/Altiris/TaskManagement/CTAgent", Severity: Error,
			Kind: "auth-persist-non-ntlm", Subjects: []string{"Default Web Site/Altiris/TaskManagement/CTAgent"}, Findings: []string{"IIS003-1"},
			Choices: []Choice{
				{Summary: "Workaround only: list NTLM before Negotiate on CTAgent", Reason: "a workaround, not a fix: it hides the cause",
					Tradeoff: "not a fix: agents never use Kerberos"},
				{Summary: "Set authPersistNonNTLM to True on CTAgent", Recommended: true, Reason: "fixes the cause; the other choice is a workaround",
					Steps: []string{"S2"}, Tradeoff: "Kerberos authentication is kept for the whole connection"},
			},
			Resolved: true,
		}, {
			ID: "RC2", Title: "HTTP SPNs are registered on a different account than the one that decrypts the tickets (HTTP/ns01.example.com)",
			Severity: Error, Kind: "spn-owner", Subjects: []string{"HTTP/ns01.example.com", "Default Web Site/Altiris/TaskManagement/CTAgent"},
			Findings: []string{"SPN002-1"},
			Symptoms: []Symptom{{Finding: "NEG002-1", CheckID: "NEG002", Summary: "Kerberos was attempted and rejected; the client fell back to NTLM"}},
			Choices: []Choice{
				{Summary: "Move the SPN to the computer account", Recommended: true, Reason: "the simulation shows it resolves the finding without new errors",
					Steps: []string{"S1", "S3"}},
				{Summary: "Run the pool as EXAMPLE\\svc-web with useAppPoolCredentials", Tradeoff: "the password of svc-web must be managed and rotated"},
			},
			Resolved: true,
		}},
		Plan: []PlanStep{
			{ID: "S1", Where: WhereActiveDirectory, Shell: ShellCmd, Summary: "move HTTP/ns01.example.com from EXAMPLE\\svc-web to EXAMPLE\\NS01$",
				Commands: []string{`setspn -D HTTP/ns01.example.com EXAMPLE\svc-web`, `setspn -S HTTP/ns01.example.com EXAMPLE\NS01$`}, Resolves: []string{"RC2"}},
			{ID: "S2", Where: WhereIISServer, Shell: ShellPowerShell, Summary: "set windowsAuthentication authPersistNonNTLM=True at Default Web Site/Altiris/TaskManagement/CTAgent",
				Commands: []string{`Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site/Altiris/TaskManagement/CTAgent' -Filter 'system.webServer/security/authentication/windowsAuthentication' -Name 'authPersistNonNTLM' -Value $true`},
				Resolves: []string{"RC1"}, Tradeoff: "Kerberos authentication is kept for the whole connection"},
			{ID: "S3", Where: WhereClient, Shell: ShellCmd, Summary: "discard the cached Kerberos tickets on each affected client",
				Commands: []string{"klist purge"}},
		},
		AfterPlan: AfterPlan{Warnings: 1,
			Remaining:    []string{"NEG002 http://ns01.example.com:8080/Altiris/TaskManagement/CTAgent/: Kerberos was attempted and rejected"},
			NotSimulated: []string{"client tickets: clients get new tickets after klist purge or expiry"}},
	}
}

func renderHTML(t testing.TB, r *Report, opts *HTMLOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// dom helpers over golang.org/x/net/html.

func parseDOM(t testing.TB, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// findAll returns the element nodes under n (n included) that match, in
// document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestWriteHTMLStructure(t *testing.T) {
	tr, raw := htmlTranscript(t)
	r := withProbe(htmlReport(), tr)
	out := renderHTML(t, r, &HTMLOptions{Title: "NS01 Task Server", Generated: time.Date(2026, 1, 24, 10, 30, 0, 0, time.FixedZone("CET", 3600))})
	doc := parseDOM(t, out)

	if got := textOf(findAll(doc, byTag("title"))[0]); got != "NS01 Task Server" {
		t.Errorf("title %q", got)
	}
	if !bytes.Contains(out, []byte("generated 2026-01-24 09:30:00 UTC")) {
		t.Error("generation time not shown in UTC")
	}

	// Sections: the answer, the verdict, root causes, plan, after the
	// plan, then the details.
	var ids []string
	for _, s := range findAll(doc, byTag("section")) {
		ids = append(ids, attr(s, "id"))
	}
	if got := strings.Join(ids, ","); got != "answer,verdict,root-causes,plan,after-plan,findings,exchanges,checks,warnings,notes" {
		t.Errorf("sections %s", got)
	}

	// Verdict rows with links to the findings.
	anchors := map[string]*html.Node{}
	for _, a := range findAll(doc, func(n *html.Node) bool { return n.Data == "article" }) {
		anchors[attr(a, "id")] = a
	}
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-scenario") != "" })
	if len(rows) != 2 {
		t.Fatalf("%d verdict rows", len(rows))
	}
	for i, want := range []struct{ scenario, class, expected, links string }{
		{ScenarioKerberosFallback, "verdict-yes", "yes", "NEG002"},
		{ScenarioTaskServer, "verdict-no", "no", "IIS003,SPN002"},
	} {
		row := rows[i]
		cells := findAll(row, byTag("td"))
		if attr(row, "data-scenario") != want.scenario || attr(row, "class") != want.class ||
			textOf(cells[0]) != want.scenario || textOf(cells[1]) != want.expected {
			t.Errorf("verdict row %d: %s %s %q", i, attr(row, "data-scenario"), attr(row, "class"), textOf(cells[1]))
		}
		var links []string
		for _, a := range findAll(cells[3], byTag("a")) {
			href := attr(a, "href")
			target := anchors[strings.TrimPrefix(href, "#")]
			if !strings.HasPrefix(href, "#") || target == nil || attr(target, "data-check") != textOf(a) {
				t.Errorf("verdict link %q (%s) does not reach its finding", href, textOf(a))
			}
			links = append(links, textOf(a))
		}
		if strings.Join(links, ",") != want.links {
			t.Errorf("verdict row %d links %v", i, links)
		}
	}
	if got := textOf(findAll(doc, func(n *html.Node) bool { return attr(n, "id") == "counts" })[0]); got != "2 errors1 warning1 info" {
		t.Errorf("counts %q", got)
	}

	// Findings: every one present, in report order, unique anchors.
	arts := findAll(doc, byTag("article"))
	if len(arts) != len(r.Findings) {
		t.Fatalf("%d findings rendered, want %d", len(arts), len(r.Findings))
	}
	wantIDs := []string{"finding-IIS003-1", "finding-SPN002-1", "finding-NEG002-1", "finding-SPN002-2"}
	for i, a := range arts {
		f := r.Findings[i]
		if attr(a, "id") != wantIDs[i] || attr(a, "data-check") != f.CheckID || attr(a, "data-id") != f.ID || attr(a, "data-severity") != f.Severity.String() {
			t.Errorf("finding %d: id %q check %q severity %q", i, attr(a, "id"), attr(a, "data-check"), attr(a, "data-severity"))
		}
		if badge := findAll(a, func(n *html.Node) bool { return hasClass(n, "badge") }); len(badge) != 1 || textOf(badge[0]) != f.Severity.String() {
			t.Errorf("finding %d badge", i)
		}
		if msg := findAll(a, func(n *html.Node) bool { return hasClass(n, "message") }); len(msg) != 1 || textOf(msg[0]) != f.Message {
			t.Errorf("finding %d message", i)
		}
		if !strings.Contains(textOf(a), f.Subject) || !strings.Contains(textOf(findAll(a, byTag("h3"))[0]), f.ID) {
			t.Errorf("finding %d subject or ID missing", i)
		}
		// Evidence rows: source, locator, detail.
		evRows := findAll(a, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
		if len(evRows) != len(f.Evidence) {
			t.Errorf("finding %d: %d evidence rows", i, len(evRows))
		}
		for j, er := range evRows {
			c := findAll(er, byTag("td"))
			e := f.Evidence[j]
			if textOf(c[0]) != e.Source || textOf(c[1]) != e.Locator || textOf(c[2]) != e.Detail {
				t.Errorf("finding %d evidence %d: %q %q %q", i, j, textOf(c[0]), textOf(c[1]), textOf(c[2]))
			}
		}
		// Commands: one <pre><code> per run of one shell in a remedy,
		// exact text, labelled with its shell.
		codes := findAll(a, func(n *html.Node) bool { return n.Data == "code" && n.Parent.Data == "pre" })
		var wantCodes []string
		for _, rem := range f.Remediation {
			for _, run := range shellRuns(rem.Commands, "") {
				wantCodes = append(wantCodes, run.Shell+":"+strings.Join(run.Commands, "\n"))
			}
			if rem.Tradeoff != "" && !strings.Contains(textOf(a), "Tradeoff: "+rem.Tradeoff) {
				t.Errorf("finding %d: tradeoff missing", i)
			}
			if !strings.Contains(textOf(a), rem.Summary) {
				t.Errorf("finding %d: remedy summary missing", i)
			}
		}
		if len(codes) != len(wantCodes) {
			t.Errorf("finding %d: %d command blocks, want %d", i, len(codes), len(wantCodes))
			continue
		}
		for j, c := range codes {
			if got := shellOfBlock(c) + ":" + textOf(c); got != wantCodes[j] {
				t.Errorf("finding %d commands:\n%s\nwant\n%s", i, got, wantCodes[j])
			}
		}
	}
	if n := len(findAll(arts[0], func(n *html.Node) bool { return n.Data == "pre" })); n != 2 {
		t.Errorf("IIS003-1: %d command blocks, want cmd and PowerShell apart", n)
	}
	assertShellBlocks(t, doc)

	// Check results table.
	res := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-status") != "" })
	if len(res) != len(r.Results) {
		t.Fatalf("%d result rows", len(res))
	}
	for i, row := range res {
		c := findAll(row, byTag("td"))
		if len(c) != 4 || !strings.HasPrefix(textOf(c[0]), r.Results[i].CheckID) || textOf(c[1]) != string(r.Results[i].Status) || textOf(c[2]) != r.Results[i].Reason ||
			textOf(c[3]) != r.Results[i].Settle {
			t.Errorf("result row %d: %d cells %q %q %q", i, len(c), textOf(c[0]), textOf(c[1]), textOf(c[2]))
		}
		links := findAll(c[0], byTag("a"))
		if failed := r.Results[i].Status == StatusFailed; failed != (len(links) == 1) {
			t.Errorf("result row %d: %d links", i, len(links))
		}
	}
	if !strings.Contains(textOf(doc), "1 passed, 3 failed, 1 not verified, 1 skipped, 1 with errors.") {
		t.Error("status counts")
	}
	if ws := findAll(doc, func(n *html.Node) bool {
		return n.Data == "li" && n.Parent.Parent != nil && attr(n.Parent.Parent, "id") == "warnings"
	}); len(ws) != 1 ||
		textOf(ws[0]) != "logs/iis/u_ex260124.log:9001: truncated line skipped" {
		t.Errorf("warnings %d", len(ws))
	}

	// The sequence diagram: one arrow per request and per response.
	svgs := findAll(doc, byTag("svg"))
	if len(svgs) != 1 {
		t.Fatalf("%d svg", len(svgs))
	}
	arrows := findAll(svgs[0], func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "arrow") })
	if len(arrows) != 10 {
		t.Fatalf("%d arrows, want 10", len(arrows))
	}
	type want struct{ dir, class, label, detail string }
	wants := []want{
		{"request", "plain", "GET /Altiris/TaskManagement/CTAgent/  [initial]", "no Authorization header"},
		{"response", "plain", "401 Unauthorized", "WWW-Authenticate: Negotiate, NTLM"},
		{"request", "plain", "[kerberos]", "Authorization: Negotiate - Kerberos AP-REQ in SPNEGO NegTokenInit (SPN HTTP/host.test.gokrb5, realm TEST.GOKRB5"},
		{"response", "fail", "401 Unauthorized", "WWW-Authenticate: Negotiate, NTLM"},
		{"request", "fallback", "[ntlm-negotiate]", "Authorization: NTLM - NTLM NEGOTIATE in SPNEGO NegTokenInit (domain WORKGROUP, workstation JACK)"},
		{"response", "plain", "401 Unauthorized", "WWW-Authenticate: NTLM - NTLM CHALLENGE (domain DOMAIN, server DC01.domain.local)"},
		{"request", "plain", "[ntlm-authenticate]  (same connection)", "Authorization: NTLM - NTLM AUTHENTICATE (NTLMv2, user vagrant-domain@DOMAIN.LOCAL, workstation JBOREAN-LINUX)"},
		{"response", "ok", "200 OK", "no WWW-Authenticate header"},
		{"request", "reauth", "[reuse-check]  (same connection)", "no Authorization header"},
		{"response", "reauth", "401 Unauthorized", "WWW-Authenticate: Negotiate, NTLM"},
	}
	for i, a := range arrows {
		w := wants[i]
		texts := map[string]string{}
		for _, tx := range findAll(a, byTag("text")) {
			c := attr(tx, "class")
			texts[c] = strings.TrimSpace(texts[c] + " " + textOf(tx)) // wrapped detail lines
		}
		if !hasClass(a, w.dir) || !hasClass(a, w.class) || !strings.Contains(texts["label"], w.label) || !strings.HasPrefix(texts["detail"], w.detail) {
			t.Errorf("arrow %d: class %q texts %q; want %+v", i, attr(a, "class"), texts, w)
		}
		line := findAll(a, byTag("line"))
		if len(line) != 1 {
			t.Fatalf("arrow %d: %d lines", i, len(line))
		}
		x1, x2 := attr(line[0], "x1"), attr(line[0], "x2")
		if (w.dir == "request") != (x1 < x2) { // "190" < "875": client left of server
			t.Errorf("arrow %d goes %s to %s", i, x1, x2)
		}
	}
	if !strings.Contains(textOf(svgs[0]), "fallback to NTLM") || !strings.Contains(textOf(svgs[0]), "challenged again") {
		t.Error("fallback or re-authentication not labelled")
	}
	facts := textOf(findAll(doc, func(n *html.Node) bool { return hasClass(n, "facts") })[0])
	for _, f := range []string{"SPN asked for: HTTP/ns01.example.com", "Authenticated with NTLM", "fell back to NTLM", "challenged again"} {
		if !strings.Contains(facts, f) {
			t.Errorf("facts lack %q: %s", f, facts)
		}
	}

	// Never a token.
	for _, tok := range raw {
		if bytes.Contains(out, []byte(tok)) || bytes.Contains(out, []byte(tok[:24])) {
			t.Errorf("token bytes in the report: %.24s...", tok)
		}
	}
	assertSelfContained(t, out, doc)
}

// shellOfBlock is the shell a command block (the <code> in its <pre>) is
// for: the data-shell of the box around it, which must match the label
// shown above it.
func shellOfBlock(code *html.Node) string {
	pre := code.Parent
	sh := attr(pre.Parent, "data-shell")
	label := ""
	for n := pre.PrevSibling; n != nil; n = n.PrevSibling {
		if n.Type == html.ElementNode {
			if hasClass(n, "shell-label") {
				label = textOf(n)
			}
			break
		}
	}
	if label != sh {
		return "label " + label + " vs " + sh
	}
	return sh
}

// assertShellBlocks checks every command block of a page: labelled with
// cmd or powershell, never the commands of both shells in one block, and
// in a plan step the step's shell; and that command blocks never wrap.
func assertShellBlocks(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, pre := range findAll(doc, byTag("pre")) {
		if !hasClass(pre, "commands") {
			continue
		}
		codes := findAll(pre, byTag("code"))
		if len(codes) != 1 {
			t.Errorf("command block with %d <code>", len(codes))
			continue
		}
		sh := shellOfBlock(codes[0])
		if sh != ShellCmd && sh != ShellPowerShell {
			t.Errorf("command block labelled %q:\n%s", sh, textOf(pre))
			continue
		}
		for _, line := range strings.Split(textOf(codes[0]), "\n") {
			if got := commandShell(line); got != sh {
				t.Errorf("%s command in a %s block: %s", got, sh, line)
			}
		}
		for n := pre.Parent; n != nil; n = n.Parent {
			if hasClass(n, "step") && attr(n, "data-shell") != sh {
				t.Errorf("step %s (%s) has a %s block", attr(n, "data-step"), attr(n, "data-shell"), sh)
			}
		}
	}
	css := textOf(findAll(doc, byTag("style"))[0])
	if !regexp.MustCompile(`(?m)^pre \{[^}]*white-space: pre;[^}]*overflow-x: auto;`).MatchString(css) {
		t.Error("command blocks may wrap: pre lacks white-space: pre and overflow-x: auto")
	}
}

// assertLinks fails on an in-page link without its target.
func assertLinks(t *testing.T, doc *html.Node) {
	t.Helper()
	ids := map[string]bool{}
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
		ids[attr(n, "id")] = true
	}
	for _, a := range findAll(doc, byTag("a")) {
		if h := attr(a, "href"); !strings.HasPrefix(h, "#") || !ids[h[1:]] {
			t.Errorf("dangling link %s (%s)", h, textOf(a))
		}
	}
}

// The diagnosis in HTML: the answer with one line per root cause and the
// unusable evidence, then root causes with their findings, symptoms and
// choices (the recommended one marked, with why and tradeoffs), the plan
// step by step, and what the plan leaves, before the details.
func TestWriteHTMLDiagnosis(t *testing.T) {
	r := htmlReport()
	out := renderHTML(t, r, nil)
	doc := parseDOM(t, out)
	byID := func(id string) *html.Node {
		n := findAll(doc, func(n *html.Node) bool { return attr(n, "id") == id })
		if len(n) != 1 {
			t.Fatalf("%d elements with id %s", len(n), id)
		}
		return n[0]
	}
	assertLinks(t, doc)
	assertShellBlocks(t, doc)

	// Order in the page.
	txt := textOf(doc)
	var last int
	for _, want := range []string{r.Summary.Headline, "RC1", "RC2", "logs/agent/empty.log", "Verdict", "Root causes",
		"Move the SPN to the computer account", "Plan", "S1", "S2", "S3", "After the plan", "Findings", "Checks"} {
		i := strings.Index(txt[last:], want)
		if i < 0 {
			t.Fatalf("%q missing or out of order", want)
		}
		last += i
	}

	// The answer.
	answer := byID("answer")
	if attr(answer, "data-status") != StatusProblems || !strings.Contains(textOf(findAll(answer, byTag("h2"))[0]), r.Summary.Headline) {
		t.Errorf("answer %q", textOf(answer))
	}
	lines := findAll(answer, func(n *html.Node) bool { return n.Data == "li" && attr(n, "data-rc") != "" })
	if len(lines) != 2 {
		t.Fatalf("%d root cause lines in the answer", len(lines))
	}
	for i, l := range lines {
		rc := r.RootCauses[i]
		a := findAll(l, byTag("a"))
		if attr(l, "data-rc") != rc.ID || len(a) != 1 || attr(a[0], "href") != "#rc-"+rc.ID || !strings.Contains(textOf(l), rc.Title) ||
			!strings.Contains(textOf(l), "resolved by the plan") {
			t.Errorf("answer line %d: %q", i, textOf(l))
		}
	}
	if u := findAll(answer, func(n *html.Node) bool { return hasClass(n, "unusable") }); len(u) != 1 ||
		textOf(u[0]) != "\nlogs/agent/empty.log (agent-logs): no readable agent log line\n" {
		t.Errorf("unusable evidence %v", u)
	}

	// Root causes.
	rcs := findAll(byID("root-causes"), func(n *html.Node) bool { return hasClass(n, "rootcause") })
	if len(rcs) != 2 {
		t.Fatalf("%d root causes", len(rcs))
	}
	for i, n := range rcs {
		rc := r.RootCauses[i]
		if attr(n, "id") != "rc-"+rc.ID || attr(n, "data-rc") != rc.ID || !hasClass(n, "sev-"+rc.Severity.String()) {
			t.Errorf("root cause %d: %v", i, n.Attr)
		}
		var links []string
		for _, a := range findAll(findAll(n, func(n *html.Node) bool { return hasClass(n, "rc-findings") })[0], byTag("a")) {
			links = append(links, textOf(a)+attr(a, "href"))
		}
		if want := rc.Findings[0] + "#finding-" + rc.Findings[0]; len(links) != 1 || links[0] != want {
			t.Errorf("root cause %d finding links %v, want %s", i, links, want)
		}
		choices := findAll(n, func(n *html.Node) bool { return hasClass(n, "choice") })
		if len(choices) != len(rc.Choices) {
			t.Fatalf("root cause %d: %d choices", i, len(choices))
		}
		for j, c := range choices {
			want := rc.Choices[j]
			marked := hasClass(c, "recommended") && attr(c, "data-recommended") == "true" &&
				strings.HasPrefix(textOf(c), "Recommended ")
			if marked != want.Recommended || !strings.Contains(textOf(c), want.Summary) {
				t.Errorf("root cause %d choice %d: recommended %v, text %q", i, j, marked, textOf(c))
			}
			if want.Reason != "" && !strings.Contains(textOf(c), "Why: "+want.Reason) {
				t.Errorf("root cause %d choice %d: no why", i, j)
			}
			if want.Tradeoff != "" && !strings.Contains(textOf(c), "Tradeoff: "+want.Tradeoff) {
				t.Errorf("root cause %d choice %d: no tradeoff", i, j)
			}
			var steps []string
			for _, a := range findAll(c, byTag("a")) {
				steps = append(steps, textOf(a))
			}
			if strings.Join(steps, ",") != strings.Join(want.Steps, ",") {
				t.Errorf("root cause %d choice %d: steps %v", i, j, steps)
			}
		}
	}
	if sym := textOf(rcs[1]); !strings.Contains(sym, "NEG002-1 (NEG002): Kerberos was attempted and rejected") || !strings.Contains(sym, "On: HTTP/ns01.example.com, Default Web Site") {
		t.Errorf("RC2 symptoms or subjects: %s", sym)
	}

	// The plan.
	steps := findAll(byID("plan"), func(n *html.Node) bool { return hasClass(n, "step") })
	if len(steps) != len(r.Plan) {
		t.Fatalf("%d plan steps", len(steps))
	}
	for i, n := range steps {
		st := r.Plan[i]
		h := textOf(findAll(n, byTag("h3"))[0])
		if attr(n, "id") != "step-"+st.ID || attr(n, "data-where") != st.Where || attr(n, "data-shell") != st.Shell ||
			h != st.ID+" "+st.Where+" "+st.Shell+" "+st.Summary {
			t.Errorf("step %d: %v %q", i, n.Attr, h)
		}
		codes := findAll(n, func(n *html.Node) bool { return n.Data == "code" && n.Parent.Data == "pre" })
		if len(codes) != 1 || textOf(codes[0]) != strings.Join(st.Commands, "\n") || shellOfBlock(codes[0]) != st.Shell {
			t.Errorf("step %d commands", i)
		}
		res := textOf(findAll(n, func(n *html.Node) bool { return hasClass(n, "resolves") })[0])
		if len(st.Resolves) > 0 && res != "Resolves "+strings.Join(st.Resolves, ", ") || len(st.Resolves) == 0 && !strings.Contains(res, "no root cause") {
			t.Errorf("step %d: %q", i, res)
		}
		if st.Tradeoff != "" && !strings.Contains(textOf(n), "Tradeoff: "+st.Tradeoff) {
			t.Errorf("step %d: tradeoff missing", i)
		}
	}

	// After the plan.
	after := textOf(byID("after-plan"))
	for _, want := range []string{"Simulated: 0 errors, 1 warning left.", r.AfterPlan.Remaining[0], r.AfterPlan.NotSimulated[0]} {
		if !strings.Contains(after, want) {
			t.Errorf("after the plan lacks %q: %s", want, after)
		}
	}

	// The not-verified check says what would settle it.
	row := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-status") == string(StatusNotVerified) })
	if len(row) != 1 || !strings.Contains(textOf(row[0]), "an ldifde export") {
		t.Error("not-verified check without what would settle it")
	}

	// A report without a diagnosis (hand-made, or from an older version)
	// gets a summary and no root cause, plan or after-plan section.
	bare := htmlReport()
	bare.Summary, bare.RootCauses, bare.Plan, bare.AfterPlan = Summary{}, nil, nil, AfterPlan{}
	doc = parseDOM(t, renderHTML(t, bare, nil))
	var ids []string
	for _, s := range findAll(doc, byTag("section")) {
		ids = append(ids, attr(s, "id"))
	}
	if got := strings.Join(ids, ","); got != "answer,verdict,findings,checks,warnings,notes" {
		t.Errorf("sections without a diagnosis: %s", got)
	}
	if h := textOf(findAll(doc, func(n *html.Node) bool { return hasClass(n, "headline") })[0]); !strings.Contains(h, "problems") || !strings.Contains(h, "Problems:") {
		t.Errorf("headline without a summary: %q", h)
	}
}

// assertSelfContained fails on scripts, external resources and event
// handlers.
// isCopyScript reports whether n is the page's one script: the copy button
// handler in <head>, which holds no report data.
func isCopyScript(n *html.Node) bool {
	return n.Data == "script" && n.Parent != nil && n.Parent.Data == "head" && attr(n, "src") == "" &&
		strings.Contains(textOf(n), "navigator.clipboard.writeText(code.textContent)") && !strings.Contains(textOf(n), "iiskerb")
}

func assertSelfContained(t *testing.T, out []byte, doc *html.Node) {
	t.Helper()
	scripts := 0
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		if isCopyScript(n) {
			scripts++
			continue
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject", "foreignobject":
			t.Errorf("element <%s> in the report", n.Data)
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if strings.HasPrefix(k, "on") || k == "src" || k == "srcset" || strings.HasSuffix(k, "href") && !strings.HasPrefix(a.Val, "#") ||
				strings.Contains(strings.ToLower(a.Val), "javascript:") {
				t.Errorf("attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
			}
		}
	}
	if scripts > 1 {
		t.Errorf("%d copy scripts, want one", scripts)
	}
	for _, bad := range []string{"@import", "url(http", "url(//"} {
		if bytes.Contains(bytes.ToLower(out), []byte(bad)) {
			t.Errorf("report contains %q", bad)
		}
	}
}

// The inline SVG must be well-formed XML too (it is the part most likely to
// be copied into other documents).
func TestWriteHTMLSVGIsXML(t *testing.T) {
	tr, _ := htmlTranscript(t)
	r := withProbe(htmlReport(), tr)
	r.Handshakes = append(r.Handshakes, traceHandshake(t, `http/<agent>&"register".txt`,
		"POST /Altiris/NS/Agent/Register.aspx HTTP/1.1\nHost: ns01\n\nHTTP/1.1 401 Unauthorized\nWWW-Authenticate: Negotiate\nWWW-Authenticate: NTLM\n"))
	out := renderHTML(t, r, nil)
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAll(out, -1)
	if len(svgs) != 2 {
		t.Fatalf("%d svg elements", len(svgs))
	}
	for i, s := range svgs {
		dec := xml.NewDecoder(bytes.NewReader(s))
		dec.Strict = true
		lines := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("svg %d is not well-formed XML: %v\n%s", i, err, s)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "line" {
				lines++
			}
		}
		if want := map[int]int{0: 10 + 2, 1: 2 + 2}[i]; lines != want { // arrows + two lifelines
			t.Errorf("svg %d: %d lines, want %d", i, lines, want)
		}
	}
}

const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&amp;`

// hostileHandshake is a handshake whose text fields hold a and b.
func hostileHandshake(a, b string) Handshake {
	return Handshake{Source: a, Kind: HandshakeTrace, Mechanism: MechNone, Offered: []string{b}, Notes: []string{a},
		Rounds: []Round{{
			Request: &Request{Method: a, Target: b, Auth: &AuthToken{Scheme: a, Mechanism: MechKerberos, MessageType: MsgAPReq, Token: TokenDecoded,
				SPNEGO: SPNEGOInit, SPN: b, Realm: a}},
			Response: &Response{Status: 401, Challenges: []AuthToken{{Scheme: b, Mechanism: MechOther, MessageType: MsgNone, Token: TokenNone}}},
		}}}
}

func TestWriteHTMLEscapesEverything(t *testing.T) {
	r := &Report{
		Profile: hostile,
		Verdict: []VerdictRow{{Scenario: hostile, Action: hostile, Reason: hostile, Findings: []string{hostile, "NOPE"}}},
		Findings: []Finding{{CheckID: hostile, Severity: Error, Subject: hostile, Message: hostile,
			Evidence:    []EvidenceRef{{Source: hostile, Locator: hostile, Detail: hostile}},
			Remediation: []Remedy{{Summary: hostile, Commands: []string{hostile, "javascript:alert(1)"}, Tradeoff: hostile}}}},
		Results:    []CheckResult{{CheckID: hostile, Status: Status(hostile), Reason: hostile}},
		Warnings:   []EvidenceWarning{{Source: hostile, Message: hostile}},
		Notes:      []string{hostile},
		Handshakes: []Handshake{hostileHandshake(hostile, hostile)},
		Summary: Summary{Status: hostile, Headline: hostile,
			Unusable: []UnusableEvidence{{Kind: EvidenceKind(hostile), Source: hostile, Reason: hostile}}},
		RootCauses: []RootCause{{ID: hostile, Title: hostile, Kind: hostile, Subjects: []string{hostile, hostile}, Findings: []string{hostile},
			Symptoms: []Symptom{{Finding: hostile, CheckID: hostile, Summary: hostile}},
			Choices:  []Choice{{Summary: hostile, Recommended: true, Reason: hostile, Steps: []string{hostile}, Tradeoff: hostile}}}},
		Plan:      []PlanStep{{ID: hostile, Where: hostile, Shell: hostile, Summary: hostile, Commands: []string{hostile}, Resolves: []string{hostile}, Tradeoff: hostile}},
		AfterPlan: AfterPlan{Remaining: []string{hostile}, NotSimulated: []string{hostile}},
	}
	out := renderHTML(t, r, &HTMLOptions{Title: hostile})
	doc := parseDOM(t, out)
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		if n.Data == "script" && !isCopyScript(n) || n.Data == "img" {
			t.Fatalf("hostile text became an element <%s>", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Fatalf("hostile text became an attribute %s", a.Key)
			}
		}
	}
	// The text survives, escaped, where it belongs.
	msg := findAll(doc, func(n *html.Node) bool { return hasClass(n, "message") })
	if len(msg) != 1 || textOf(msg[0]) != hostile {
		t.Errorf("message text %q", textOf(msg[0]))
	}
	code := findAll(doc, byTag("code"))
	found := false
	for _, c := range code {
		if textOf(c) == hostile+"\njavascript:alert(1)" {
			found = true
		}
	}
	if !found {
		t.Error("commands not rendered verbatim")
	}
	if got := strings.Count(textOf(doc), hostile); got < 25 {
		t.Errorf("hostile text shown %d times", got)
	}
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
		if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(attr(n, "id")) {
			t.Errorf("unsafe id %q", attr(n, "id"))
		}
	}
	assertLinks(t, doc)
	// The anchor made of a hostile check ID is reduced to safe characters
	// and the verdict link reaches it; an unknown ID is not a link.
	arts := findAll(doc, byTag("article"))
	if len(arts) != 1 || !regexp.MustCompile(`^finding-[A-Za-z0-9_-]+$`).MatchString(attr(arts[0], "id")) || attr(arts[0], "data-check") != hostile {
		t.Fatalf("article %v", arts)
	}
	links := findAll(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "#"+attr(arts[0], "id") })
	if len(links) != 2 { // verdict and results table
		t.Errorf("%d links to the hostile finding", len(links))
	}
	if !strings.Contains(textOf(doc), "NOPE") || len(findAll(doc, func(n *html.Node) bool { return n.Data == "a" && textOf(n) == "NOPE" })) != 0 {
		t.Error("verdict ID without a finding should be plain text")
	}
	if got := strings.Count(textOf(findAll(doc, byTag("svg"))[0]), hostile); got < 3 {
		t.Errorf("diagram shows the hostile text %d times", got)
	}
	assertSelfContained(t, out, doc)
}

func TestWriteHTMLGolden(t *testing.T) {
	tr, _ := htmlTranscript(t)
	r := withProbe(htmlReport(), tr)
	out := renderHTML(t, r, nil)
	for i := 0; i < 3; i++ {
		if again := renderHTML(t, withProbe(htmlReport(), tr), nil); !bytes.Equal(out, again) {
			t.Fatal("output differs between runs")
		}
	}
	// The deprecated raw-evidence options change nothing.
	if !bytes.Equal(out, renderHTML(t, r, &HTMLOptions{Probes: []*negotiate.Transcript{tr}, Tokens: []ObservedToken{{Source: "x"}}})) {
		t.Error("HTMLOptions.Probes or Tokens changed the page")
	}
	// The method form is WriteHTML with nil options.
	var m bytes.Buffer
	if err := r.WriteHTML(&m); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Bytes(), renderHTML(t, r, nil)) || !bytes.Equal(renderHTML(t, r, nil), renderHTML(t, r, &HTMLOptions{})) {
		t.Error("Report.WriteHTML, nil options and zero options differ")
	}
	golden := filepath.Join("testdata", "html", "report.golden.html")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("output differs from %s (run with -update after checking the change)", golden)
	}
}

func TestWriteHTMLEmptyReport(t *testing.T) {
	out := renderHTML(t, &Report{}, nil)
	doc := parseDOM(t, out)
	txt := textOf(doc)
	for _, want := range []string{"iiskerb report", "No scenario of the knowledge article's table applies", "No findings.", "0 errors0 warnings0 info", "0 passed, 0 failed"} {
		if !strings.Contains(txt, want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
	if len(findAll(doc, byTag("svg"))) != 0 || len(findAll(doc, byTag("article"))) != 0 {
		t.Error("empty report has diagrams or findings")
	}
	if err := WriteHTML(io.Discard, nil, nil); err == nil {
		t.Error("nil report accepted")
	}
}

type failWriter struct{ n int }

var errWriteFailed = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errWriteFailed
	}
	return len(p), nil
}

func TestWriteHTMLWriteError(t *testing.T) {
	err := WriteHTML(&failWriter{n: 100}, htmlReport(), nil)
	if !errors.Is(err, errWriteFailed) {
		t.Errorf("error %v does not wrap the writer's", err)
	}
}

// Diagram sources: every handshake of the report is drawn (probe, trace,
// tokens seen alone), from the model only.
func TestWriteHTMLDiagramSources(t *testing.T) {
	tr, _ := htmlTranscript(t)
	tr.URL = "https://admin:Secr3t@ns01.example.com/Altiris/?sig=Q9x7Zt#frag" // credentials must not be shown
	apreq, apreq64 := htmlToken(t, "gokrb5_spnego_gssapi_init_krb5_apreq.hex")
	_, neg64 := htmlToken(t, "impacket_spnego_negTokenInit_ntlm_negotiate.hex")
	_, chal64 := htmlToken(t, "pyspnego_ntlm_challenge.b64")
	auth, auth64 := htmlToken(t, "pyspnego_ntlm_authenticate.b64")
	aprep, _ := htmlToken(t, "pyspnego_initial_context_token_krb_ap_rep.b64")
	toks := []ObservedToken{
		{Source: "http/a.txt:3", Header: "Authorization", Token: apreq},
		{Source: "http/a.txt:9", Header: "WWW-Authenticate", Token: aprep},
		{Source: "http/a.txt:14", Header: "Authorization", Token: auth},
	}
	get := "GET /Altiris/NS/ HTTP/1.1\nHost: ns01\n"
	offer := "HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Negotiate\nWWW-Authenticate: NTLM\n\n"
	trace := traceHandshake(t, "http/fallback.txt", get+"\n"+offer+
		get+"Authorization: Negotiate "+apreq64+"\n\n"+offer+
		get+"Authorization: NTLM "+neg64+"\n\nHTTP/1.1 401 Unauthorized\nWWW-Authenticate: NTLM "+chal64+"\n\n"+
		get+"Authorization: NTLM "+auth64+"\n\nHTTP/1.1 200 OK\n\n"+
		"GET /Altiris/NS/agent.aspx HTTP/1.1\nHost: ns01\n\n"+offer)
	tokens, ok := handshakeFromTokens(toks, nil)
	if !ok {
		t.Fatal("no tokens handshake")
	}

	diagramsOf := func(r *Report) ([]*html.Node, []byte) {
		out := renderHTML(t, r, nil)
		return findAll(parseDOM(t, out), func(n *html.Node) bool { return hasClass(n, "diagram") }), out
	}
	classes := func(d *html.Node) string {
		var s []string
		for _, g := range findAll(d, func(n *html.Node) bool { return hasClass(n, "arrow") }) {
			c := strings.Fields(attr(g, "class"))
			s = append(s, c[1][:3]+"."+c[2])
		}
		return strings.Join(s, " ")
	}

	r := withProbe(&Report{Handshakes: []Handshake{}}, tr)
	r.Handshakes = append(r.Handshakes, trace, tokens)
	ds, out := diagramsOf(r)
	if len(ds) != 3 {
		t.Fatalf("%d diagrams, want probe, trace and tokens", len(ds))
	}
	if bytes.Contains(out, []byte("Secr3t")) || bytes.Contains(out, []byte("admin")) || bytes.Contains(out, []byte("Q9x7Zt")) {
		t.Error("URL credentials in the report")
	}
	if got := textOf(findAll(ds[0], byTag("h3"))[0]); got != "Probe https://ns01.example.com/Altiris/?…" {
		t.Errorf("probe title %q", got)
	}
	if got, want := classes(ds[1]), "req.plain res.plain req.plain res.fail req.fallback res.plain req.plain res.ok req.reauth res.reauth"; got != want {
		t.Errorf("trace arrows\n%s\nwant\n%s", got, want)
	}
	if got := textOf(findAll(ds[1], byTag("h3"))[0]); got != "http/fallback.txt" {
		t.Errorf("trace title %q", got)
	}
	facts := textOf(findAll(ds[1], func(n *html.Node) bool { return hasClass(n, "facts") })[0])
	for _, want := range []string{"Server offered: Negotiate, NTLM", "Authenticated with NTLM", "Kerberos failed: the server answered the AP-REQ with 401", "fell back to NTLM"} {
		if !strings.Contains(facts, want) {
			t.Errorf("trace facts lack %q: %s", want, facts)
		}
	}
	for _, tok := range []string{apreq64, neg64, chal64, auth64} {
		if bytes.Contains(out, []byte(tok[:24])) {
			t.Errorf("token bytes in the page: %.24s...", tok)
		}
	}
	if got, want := classes(ds[2]), "req.plain res.ok req.fallback"; got != want {
		t.Errorf("token arrows %s, want %s", got, want)
	}
	if txt := textOf(ds[2]); !strings.Contains(txt, "Kerberos AP-REP") || !strings.Contains(txt, "WWW-Authenticate: ") || !strings.Contains(txt, "user vagrant-domain@DOMAIN.LOCAL") {
		t.Errorf("token diagram text %s", txt)
	}

	// A report with only the text summary (an older JSON) has no diagram:
	// nothing parses the summary's prose.
	if ds, _ := diagramsOf(&Report{Exchanges: exchangesOf(r.Handshakes)}); len(ds) != 0 {
		t.Errorf("%d diagrams from Exchanges", len(ds))
	}
}

// A long capture is cut to a readable diagram and says so.
func TestWriteHTMLDiagramLimit(t *testing.T) {
	auth, _ := htmlToken(t, "pyspnego_ntlm_authenticate.b64")
	toks := make([]ObservedToken, 100)
	for i := range toks {
		toks[i] = ObservedToken{Source: fmt.Sprintf("http/capture.txt:%d", i+1), Header: "Authorization", Token: auth}
	}
	h, _ := handshakeFromTokens(toks, nil)
	doc := parseDOM(t, renderHTML(t, &Report{Handshakes: []Handshake{h}}, nil))
	if n := len(findAll(doc, func(n *html.Node) bool { return hasClass(n, "arrow") })); n != seqMaxArrow {
		t.Errorf("%d arrows drawn, want %d", n, seqMaxArrow)
	}
	if !strings.Contains(textOf(doc), "40 more messages not drawn") {
		t.Error("omitted messages not counted")
	}
}

// A report from a real bundle through the whole engine renders, links every
// verdict finding and draws the bundle's HTTP trace.
func TestWriteHTMLFromBundle(t *testing.T) {
	ev, err := LoadBundle(context.Background(), "testdata/scenarios/kb-2-kerberos-fails-ntlm-succeeds")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Diagnose(context.Background(), ev, &Options{Profile: ITMSProfile()})
	if err != nil {
		t.Fatal(err)
	}
	out := renderHTML(t, r, nil)
	doc := parseDOM(t, out)
	if len(findAll(doc, byTag("article"))) != len(r.Findings) {
		t.Error("findings missing")
	}
	assertLinks(t, doc)
	assertShellBlocks(t, doc)
	if len(r.Handshakes) == 0 || len(findAll(doc, byTag("svg"))) != len(r.Handshakes) {
		t.Errorf("%d handshakes, %d diagrams", len(r.Handshakes), len(findAll(doc, byTag("svg"))))
	}
	assertSelfContained(t, out, doc)
}

// TestExchangesFromTrace checks that exchanges come from raw HTTP traces in
// a bundle.
func TestExchangesFromTrace(t *testing.T) {
	ev, err := LoadBundle(context.Background(), "testdata/scenarios/kb-2-kerberos-fails-ntlm-succeeds")
	if err != nil {
		t.Fatal(err)
	}
	xs := exchanges(ev)
	if len(xs) != 1 || len(xs[0].Steps) != 4 {
		t.Fatalf("exchanges %+v", xs)
	}
	s := xs[0].Steps
	if s[0].Status != 401 || s[0].Sent != "" || !strings.Contains(s[0].Received, "Negotiate") || !strings.Contains(s[0].Received, "NTLM") {
		t.Errorf("step 0 %+v", s[0])
	}
	if !strings.Contains(s[1].Sent, "Negotiate") || s[1].Status != 401 {
		t.Errorf("step 1 %+v", s[1])
	}
	if s[3].Status != 200 || !strings.Contains(strings.ToLower(s[3].Sent), "ntlm") {
		t.Errorf("step 3 %+v", s[3])
	}
}

// FuzzWriteHTML renders reports made of arbitrary text: the page must
// always parse with the same structure and never gain elements or
// attributes from the text.
func FuzzWriteHTML(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, s := range []string{"", hostile, "]]></svg><svg onload=alert(1)>", "\x00\xff\xfe", "a\nb\r\nc", "finding-X", "</title><script>", "{{.}}"} {
		f.Add(s, s[len(s)/2:])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		r := &Report{Profile: a,
			Verdict:    []VerdictRow{{Scenario: a, Findings: []string{b, a}}},
			Findings:   []Finding{{CheckID: a, Subject: b, Message: a + b}, {CheckID: b, Message: b, Remediation: []Remedy{{Summary: a, Commands: []string{b}}}}},
			Results:    []CheckResult{{CheckID: a, Status: StatusFailed, Reason: b}},
			Handshakes: []Handshake{hostileHandshake(a, b)},
			Summary:    Summary{Status: "s" + a, Headline: b, Unusable: []UnusableEvidence{{Source: a, Reason: b}}},
			RootCauses: []RootCause{{ID: a, Title: b, Findings: []string{a, b}, Symptoms: []Symptom{{Finding: b, Summary: a}},
				Choices: []Choice{{Summary: a, Recommended: true, Reason: b, Steps: []string{b}}, {Summary: b, Tradeoff: a}}}},
			Plan:      []PlanStep{{ID: b, Where: a, Shell: a, Summary: b, Commands: []string{a, b}, Resolves: []string{a}}},
			AfterPlan: AfterPlan{Remaining: []string{a}, NotSimulated: []string{b}},
		}
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r, &HTMLOptions{Title: b}); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
			counts[n.Data]++
			for _, at := range n.Attr {
				if strings.HasPrefix(at.Key, "on") {
					t.Fatalf("attribute %s from text", at.Key)
				}
			}
		}
		if counts["script"] != 1 || counts["img"] != 0 || counts["article"] != 2 || counts["svg"] != 1 || counts["section"] != 8 || counts["g"] != 2 ||
			counts["pre"] != 2 || counts["li"] != 9 {
			t.Fatalf("structure changed by text: %v", counts)
		}
	})
}

// chromiumPath finds the Debian chromium binary: the test is skipped when it
// is missing, and fails instead when IISKERB_REQUIRE_INTEGRATION is set.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Skip(t, "chromium not found (apt-get install --no-install-recommends chromium; see testenv/browser/packages)")
	return ""
}

// runChromium runs headless chromium on page with its own profile
// directory and returns its standard output.
func runChromium(ctx context.Context, browser, profile, page string, args ...string) ([]byte, error) {
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + profile}, args...)
	cmd := exec.CommandContext(ctx, browser, append(all, "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %v: %w\n%s", browser, args, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// The report in a real browser: chromium renders it to a PNG of the
// window's size that is not blank and shows the severity colours, and the
// DOM chromium builds has the verdict first, every finding and the
// sequence diagram with one arrow per request and response.
func TestWriteHTMLInBrowser(t *testing.T) {
	browser := chromiumPath(t)
	tr, _ := htmlTranscript(t)
	r := htmlReport()
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, renderHTML(t, withProbe(r, tr), nil), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Screenshot and DOM dump in parallel, each with its own profile.
	shot := filepath.Join(dir, "report.png")
	type result struct {
		out []byte
		err error
	}
	shotDone := make(chan result, 1)
	go func() {
		out, err := runChromium(ctx, browser, filepath.Join(dir, "p1"), page, "--screenshot="+shot, "--window-size=1280,2000")
		shotDone <- result{out, err}
	}()
	dom, err := runChromium(ctx, browser, filepath.Join(dir, "p2"), page, "--dump-dom")
	if err != nil {
		t.Fatal(err)
	}
	if res := <-shotDone; res.err != nil {
		t.Fatal(res.err)
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Fatalf("screenshot is %v, want 1280x2000", b)
	}
	// Not blank: the luminance varies, and the error badges' red is there
	// (so the inline CSS applied).
	var n, sum, sumSq float64
	red := 0
	for y := 0; y < 2000; y += 2 {
		for x := 0; x < 1280; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r8, g8, b8 := int(cr>>8), int(cg>>8), int(cb>>8)
			l := 0.299*float64(r8) + 0.587*float64(g8) + 0.114*float64(b8)
			n++
			sum += l
			sumSq += l * l
			if htmlAbs(r8-0xcf) < 12 && htmlAbs(g8-0x22) < 12 && htmlAbs(b8-0x2e) < 12 {
				red++
			}
		}
	}
	mean := sum / n
	if variance := sumSq/n - mean*mean; variance < 100 || mean < 128 {
		t.Errorf("screenshot looks blank or dark: mean %.1f, variance %.1f", mean, variance)
	}
	if red < 50 {
		t.Errorf("only %d pixels of the error red", red)
	}

	doc := parseDOM(t, dom)
	var sections []string
	for _, s := range findAll(doc, byTag("section")) {
		sections = append(sections, attr(s, "id"))
	}
	if got := strings.Join(sections, ","); got != "answer,verdict,root-causes,plan,after-plan,findings,exchanges,checks,warnings,notes" {
		t.Errorf("sections as the browser built them: %v", sections)
	}
	arts := findAll(doc, byTag("article"))
	if len(arts) != len(r.Findings) {
		t.Errorf("browser DOM has %d findings, want %d", len(arts), len(r.Findings))
	}
	ids := map[string]bool{}
	for _, a := range arts {
		ids[attr(a, "data-check")] = true
	}
	for _, f := range r.Findings {
		if !ids[f.CheckID] {
			t.Errorf("finding %s missing from the browser DOM", f.CheckID)
		}
	}
	for _, row := range findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-scenario") != "" }) {
		for _, a := range findAll(row, byTag("a")) {
			if !ids[textOf(a)] {
				t.Errorf("verdict links to %s", textOf(a))
			}
		}
	}
	svgs := findAll(doc, byTag("svg"))
	if len(svgs) != 1 {
		t.Fatalf("browser DOM has %d svg elements", len(svgs))
	}
	if svgs[0].Namespace != "svg" {
		t.Errorf("svg parsed in namespace %q", svgs[0].Namespace)
	}
	arrows := findAll(svgs[0], func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "arrow") })
	if len(arrows) != 2*len(tr.Rounds) {
		t.Errorf("browser DOM has %d arrows, want %d", len(arrows), 2*len(tr.Rounds))
	}
	for _, n := range findAll(doc, byTag("script")) {
		if !isCopyScript(n) {
			t.Error("a script other than the copy button's in the browser DOM")
		}
	}
}

// narrowProbe is a test page that shows a report in a 400 px wide frame
// and, once it has loaded, writes what overflows into an <output>: the
// report's own page width and the elements (outside the scrollable table
// boxes, command blocks and diagrams) that reach past the frame, and the
// computed wrapping of the command blocks.
const narrowProbe = `<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body { margin: 0; } iframe { border: 0; width: 400px; height: 4000px; }</style>
<script>
function measure(f) {
  var d = f.contentDocument, win = f.contentWindow, w = d.documentElement.clientWidth, bad = [], pres = [];
  d.querySelectorAll("body *").forEach(function (e) {
    var p = e.parentElement;
    if (p && p.closest(".scroll, pre, svg")) return;
    var r = e.getBoundingClientRect();
    if (r.right > w + 0.5 || r.left < -0.5) bad.push(e.tagName + "." + e.className + " " + Math.round(r.left) + ".." + Math.round(r.right));
  });
  d.querySelectorAll("pre.commands").forEach(function (p) {
    var s = win.getComputedStyle(p);
    pres.push(s.whiteSpace + " " + s.overflowX);
  });
  var o = document.createElement("output");
  o.id = "layout";
  o.textContent = JSON.stringify({width: w, scrollWidth: d.documentElement.scrollWidth, bad: bad, pres: pres});
  document.body.appendChild(o);
}
</script></head><body><iframe onload="measure(this)" srcdoc="%s"></iframe></body></html>`

// At 400 px the page does not scroll sideways: tables scroll in their own
// box and command blocks neither wrap nor widen the page (they scroll).
func TestWriteHTMLNarrowInBrowser(t *testing.T) {
	browser := chromiumPath(t)
	tr, _ := htmlTranscript(t)
	ev, err := LoadBundle(context.Background(), "testdata/scenarios/IIS-itms-misconfigured")
	if err != nil {
		t.Fatal(err)
	}
	full, err := Diagnose(context.Background(), ev, &Options{Profile: ITMSProfile()})
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string][]byte{
		"fixture": renderHTML(t, withProbe(htmlReport(), tr), nil),
		"bundle":  renderHTML(t, full, nil),
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for name, out := range pages {
		page := filepath.Join(dir, name+".html")
		if err := os.WriteFile(page, fmt.Appendf(nil, narrowProbe, html.EscapeString(string(out))), 0o644); err != nil {
			t.Fatal(err)
		}
		dom, err := runChromium(ctx, browser, filepath.Join(dir, "p-"+name), page, "--dump-dom", "--window-size=800,4000")
		if err != nil {
			t.Fatal(err)
		}
		outs := findAll(parseDOM(t, dom), func(n *html.Node) bool { return attr(n, "id") == "layout" })
		if len(outs) != 1 {
			t.Fatalf("%s: no layout measured", name)
		}
		var m struct {
			Width, ScrollWidth int
			Bad, Pres          []string
		}
		if err := json.Unmarshal([]byte(textOf(outs[0])), &m); err != nil {
			t.Fatalf("%s: %v: %s", name, err, textOf(outs[0]))
		}
		if m.Width != 400 || m.ScrollWidth > m.Width || len(m.Bad) > 0 {
			t.Errorf("%s at %d px: page %d px wide; overflowing: %v", name, m.Width, m.ScrollWidth, m.Bad)
		}
		if len(m.Pres) == 0 {
			t.Errorf("%s: no command block", name)
		}
		for _, p := range m.Pres {
			if p != "pre auto" {
				t.Errorf("%s: command block wraps or does not scroll: %s", name, p)
				break
			}
		}
	}
}

func htmlAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func ExampleWriteHTML() {
	r := &Report{
		Profile: "itms",
		Verdict: []VerdictRow{{Scenario: ScenarioTaskServer, Action: "Investigate", Findings: []string{"IIS006"}}},
		Findings: []Finding{{CheckID: "IIS006", Severity: Error, Subject: "Default Web Site/Altiris/TaskManagement/CTAgent",
			Message: "authPersistNonNTLM is false"}},
		Handshakes: []Handshake{{Source: "http/agent.txt", Kind: HandshakeTrace, Mechanism: MechNone, Rounds: []Round{{
			Request: &Request{Method: "GET", Target: "/Altiris/NS/"},
			Response: &Response{Status: 401, Challenges: []AuthToken{
				{Scheme: "Negotiate", Mechanism: MechSPNEGO, MessageType: MsgNone, Token: TokenNone},
				{Scheme: "NTLM", Mechanism: MechNTLM, MessageType: MsgNone, Token: TokenNone},
			}},
		}}}},
	}
	var b strings.Builder
	if err := WriteHTML(&b, r, &HTMLOptions{Title: "NS01 <Task Server>"}); err != nil {
		fmt.Println(err)
		return
	}
	page := b.String()
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "<title>") || strings.HasPrefix(line, "<tr class=") || strings.HasPrefix(line, "<article") {
			fmt.Println(line)
		}
	}
	fmt.Println(strings.Count(page, `<g class="arrow`), "arrows")
	// Output:
	// <title>NS01 &lt;Task Server&gt;</title>
	// <tr class="verdict-no" data-scenario="Agents cannot register with Task Server">
	// <article class="finding sev-error" id="finding-IIS006" data-check="IIS006" data-severity="error">
	// 2 arrows
}
