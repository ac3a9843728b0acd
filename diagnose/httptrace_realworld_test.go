package diagnose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/negotiate"
)

// readTrace parses a trace from testdata/http.
func readTrace(t *testing.T, rel string) *HTTPTrace {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "http", rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ParseHTTPTrace(rel, f)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// traceEvidence is what LoadBundle makes of one trace: the trace, its
// tokens and its warnings.
func traceEvidence(t *testing.T, tr *HTTPTrace) *Evidence {
	t.Helper()
	toks, warns := tr.Tokens(context.Background())
	return &Evidence{HTTPTraces: []*HTTPTrace{tr}, Tokens: toks, Warnings: warns}
}

// traceChecks runs NEG001-NEG004 over ev as "TRC001"-"TRC004": the same
// checks without their evidence requirements, so a trace is checked even
// when it holds no decodable token (the catalogue's NEG checks need
// Evidence.Has(EvTokens), which only counts tokens).
func traceChecks(t *testing.T, ev *Evidence) *Report {
	t.Helper()
	var extra []*Check
	for _, c := range krbNegChecks() {
		if strings.HasPrefix(c.ID, "NEG") {
			cp := *c
			cp.ID, cp.Name = "TRC"+c.ID[3:], "Trace"+c.Name
			cp.Requires, cp.RequiresAny = nil, nil
			extra = append(extra, &cp)
		}
	}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"TRC*"}, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Message)
		for _, e := range f.Evidence {
			b.WriteString(" [" + e.Source + ":" + e.Locator + " " + e.Detail + "]")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func warningsOf(ws []EvidenceWarning) string { return warningsText(ws) }

// TestRealWorldTraces reads the traces in testdata/http/realworld (see its
// PROVENANCE) and asserts the conclusion a correct reader reaches.
func TestRealWorldTraces(t *testing.T) {
	t.Run("gitforwindows389", func(t *testing.T) {
		// TFS on IIS 8.5, GIT_CURL_VERBOSE: request headers without "> ",
		// a 401 offering Negotiate then NTLM, no client token.
		tr := readTrace(t, "realworld/gitforwindows389-tfs-iis85-401.txt")
		if len(tr.Messages) != 2 || tr.Messages[0].Target != "/tfs/TWA/TeamDev/_git/pylon/info/refs?service=git-upload-pack" ||
			tr.Messages[0].Header.Get("Host") != "bhr156s.basler.corp:8080" || tr.Messages[1].Status != 401 {
			t.Fatalf("messages %+v", tr.Messages)
		}
		fl := analyzeTrace(tr)
		if strings.Join(fl.offered, ", ") != "Negotiate, NTLM" || fl.offeredLine != 15 || !fl.negotiateOffered {
			t.Errorf("offer %v at %d", fl.offered, fl.offeredLine)
		}
		if fl.kerberosSent != 0 || fl.ntlmSent != 0 || fl.ntlmUnderNego {
			t.Errorf("client token seen: %+v", fl)
		}
		ev := traceEvidence(t, tr)
		if len(ev.Tokens) != 0 || len(ev.Warnings) != 0 {
			t.Errorf("tokens %d warnings %v", len(ev.Tokens), ev.Warnings)
		}
		rep := traceChecks(t, ev)
		for _, id := range []string{"TRC001", "TRC002", "TRC003", "TRC004"} {
			if r, _ := rep.Result(id); r.Status != StatusPassed {
				t.Errorf("%s: %s %s", id, r.Status, r.Reason)
			}
		}
		xs := exchanges(ev)
		if len(xs) != 1 || len(xs[0].Steps) != 1 || xs[0].Steps[0].Status != 401 || xs[0].Steps[0].Received != "Negotiate; NTLM" || xs[0].Steps[0].Sent != "" {
			t.Errorf("exchange %+v", xs)
		}
		// The same offer with NTLM alone is NEG001's finding.
		ntlmOnly := strings.Replace(readFile(t, "testdata/http/realworld/gitforwindows389-tfs-iis85-401.txt"), "< WWW-Authenticate: Negotiate\n", "", 1)
		tr2, err := ParseHTTPTrace("ntlm-only.txt", strings.NewReader(ntlmOnly))
		if err != nil {
			t.Fatal(err)
		}
		fs := traceChecks(t, traceEvidence(t, tr2)).FindingsOf("TRC001")
		if len(fs) != 1 || !strings.Contains(fs[0].Message, "challenges with NTLM and not Negotiate") || fs[0].Evidence[0].Locator != "15" {
			t.Errorf("NTLM only: %s", findingsText(fs))
		}
	})
	t.Run("curl13291", func(t *testing.T) {
		// IIS/HTTP.sys answers the NTLM type 1 with 401, its challenge and
		// "Connection: close": the handshake cannot complete. Tokens are
		// redacted: nothing to decode, but the NTLM scheme still tells.
		tr := readTrace(t, "realworld/curl13291-iis-ntlm-connection-close.txt")
		if len(tr.Messages) != 2 || tr.Messages[1].Status != 401 || tr.Messages[1].Header.Get("Connection") != "close" {
			t.Fatalf("messages %+v", tr.Messages)
		}
		fl := analyzeTrace(tr)
		if fl.closeOnChallenge != 15 || fl.closeWhy != "Connection: close" || !fl.closeRedacted {
			t.Errorf("close on challenge: %+v", fl)
		}
		if len(fl.offered) != 0 {
			t.Errorf("an NTLM challenge leg is not an offer: %v", fl.offered)
		}
		ev := traceEvidence(t, tr)
		w := warningsOf(ev.Warnings)
		if len(ev.Tokens) != 0 || !strings.Contains(w, "curl13291-iis-ntlm-connection-close.txt:6: Authorization NTLM token was redacted") ||
			!strings.Contains(w, ":13: WWW-Authenticate NTLM token was redacted") || strings.Contains(w, "not understood") {
			t.Errorf("tokens %d warnings:\n%s", len(ev.Tokens), w)
		}
		rep := traceChecks(t, ev)
		fs := rep.FindingsOf("TRC002")
		if len(fs) != 1 || fs[0].Severity != Warning || !strings.Contains(fs[0].Message, "NTLM handshake cannot complete") ||
			!strings.Contains(fs[0].Message, "Connection: close") || fs[0].Evidence[0].Locator != "15" || !strings.Contains(fs[0].Remediation[0].Commands[0], "allowKeepAlive") {
			t.Errorf("TRC002: %s", findingsText(fs))
		}
		if fs := rep.FindingsOf("TRC001"); len(fs) != 0 {
			t.Errorf("NEG001 on a challenge leg: %s", findingsText(fs))
		}
		xs := exchanges(ev)
		if len(xs) != 1 || xs[0].Steps[0].Sent != "NTLM (token redacted in the evidence)" ||
			strings.Join(xs[0].Steps[0].Notes, ";") != "response closes the connection (Connection: close)" {
			t.Errorf("exchange %+v", xs)
		}
	})
	t.Run("curl12511", func(t *testing.T) {
		// curl over HTTP/2 (ALPN h2) to IIS sends Negotiate carrying a raw
		// NTLM type 1, described only in curl's stream lines; the excerpt
		// ends at "* [H".
		tr := readTrace(t, "realworld/curl12511-h2-negotiate-raw-ntlm.txt")
		if !tr.Truncated || len(tr.Messages) != 1 {
			t.Fatalf("truncated %v messages %+v", tr.Truncated, tr.Messages)
		}
		m := tr.Messages[0]
		if !m.IsRequest() || m.Method != "GET" || m.Target != "/" || m.Proto != "HTTP/2" || m.Header.Get("Host") != "192.168.1.206" || m.HeaderLine("Authorization", 0) != 29 {
			t.Errorf("request %+v", m)
		}
		ev := traceEvidence(t, tr)
		if len(ev.Tokens) != 1 || ev.Tokens[0].Token.Kind != negotiate.NTLMNegotiate || ev.Tokens[0].Source != "realworld/curl12511-h2-negotiate-raw-ntlm.txt:29" {
			t.Fatalf("tokens %+v", ev.Tokens)
		}
		w := warningsOf(ev.Warnings)
		if !strings.Contains(w, ":30: the text ends in the middle of this line: the trace is cut off") || !strings.Contains(w, "no response recorded") {
			t.Errorf("warnings:\n%s", w)
		}
		fl := analyzeTrace(tr)
		if fl.http2 != 29 || fl.http2Answered || fl.truncated != 30 || !fl.ntlmUnderNego {
			t.Errorf("flow %+v", fl)
		}
		fs := traceChecks(t, ev).FindingsOf("TRC002")
		if len(fs) != 1 || fs[0].Severity != Warning {
			t.Fatalf("TRC002: %s", findingsText(fs))
		}
		for _, want := range []string{"raw NTLM NEGOTIATE", "over HTTP/2", "IIS does not support Windows authentication", "HTTP/2 on IIS", "cut off", "does not show whether"} {
			if !strings.Contains(fs[0].Message, want) {
				t.Errorf("message lacks %q: %s", want, fs[0].Message)
			}
		}
		xs := exchanges(ev)
		if len(xs) != 1 || xs[0].Steps[0].Proto != "HTTP/2" || !strings.HasPrefix(xs[0].Steps[0].Sent, "Negotiate: ") || len(xs[0].Notes) == 0 {
			t.Errorf("exchange %+v", xs)
		}
	})
	t.Run("quarkus", func(t *testing.T) {
		// First request: no ticket (gss_init_sec_context failed), 401 with a
		// bare Negotiate; after kinit: Kerberos AP-REQ for HTTP/localhost,
		// 200 with the mutual-authentication AP-REP. Shell prompts, kinit
		// and klist output in between are not HTTP.
		tr := readTrace(t, "realworld/quarkus-curl-v-negotiate-mit.txt")
		if len(tr.Messages) != 4 || tr.Messages[1].Status != 401 || tr.Messages[3].Status != 200 {
			t.Fatalf("messages %+v", tr.Messages)
		}
		ev := traceEvidence(t, tr)
		if len(ev.Warnings) != 0 || len(ev.Tokens) != 2 {
			t.Fatalf("tokens %d warnings %v", len(ev.Tokens), ev.Warnings)
		}
		req, rep := ev.Tokens[0].Token, ev.Tokens[1].Token
		if req.InnerKind != negotiate.KerberosAPReq || req.Kerberos.APReq.SPN != "HTTP/localhost" || req.Kerberos.APReq.Realm != "EXAMPLE.COM" {
			t.Errorf("AP-REQ %+v", req.Kerberos)
		}
		if rep.InnerKind != negotiate.KerberosAPRep || ev.Tokens[1].Header != "WWW-Authenticate" {
			t.Errorf("AP-REP %v", rep.InnerKind)
		}
		fl := analyzeTrace(tr)
		if strings.Join(fl.offered, ",") != "Negotiate" || fl.offeredLine != 17 || fl.kerberosSent != 44 || fl.kerberosSuccess != 50 || fl.kerberosRejected != 0 {
			t.Errorf("flow %+v", fl)
		}
		if ok, where := kerberosOnWire(ev); !ok || !strings.Contains(where, "quarkus-curl-v-negotiate-mit.txt:44 answered 200") {
			t.Errorf("kerberos on wire: %v %q", ok, where)
		}
		if fs := traceChecks(t, ev).Findings; len(fs) != 0 {
			t.Errorf("findings on a working handshake: %s", findingsText(fs))
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A trace of only a request and its 401 challenges is evidence: the NEG
// checks run on it. This needs Evidence.Has(EvTokens) to count HTTP traces
// (diagnose/evidence.go); until it does, the test says so and skips.
func TestTraceWithoutTokensIsEvidence(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "http"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, "testdata/http/realworld/gitforwindows389-tfs-iis85-401.txt")
	if err := os.WriteFile(filepath.Join(dir, "http", "git.txt"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	ev, err := LoadBundle(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.HTTPTraces) != 1 || len(ev.Tokens) != 0 || len(ev.Unusable) != 0 {
		t.Fatalf("traces %d tokens %d unusable %+v", len(ev.HTTPTraces), len(ev.Tokens), ev.Unusable)
	}
	if !ev.Has(EvTokens) {
		t.Skip("Evidence.Has(EvTokens) ignores HTTP traces without tokens: NEG001-NEG003 skip this trace (change evidence.go: len(ev.Tokens) > 0 || len(ev.HTTPTraces) > 0)")
	}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"NEG*"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"NEG001", "NEG002", "NEG003"} {
		if r, _ := rep.Result(id); r.Status == StatusSkipped {
			t.Errorf("%s skipped: %s", id, r.Reason)
		}
	}
}

// An unrecognised file is a typed error that says what the text looks like.
func TestParseHTTPTraceWhyNothing(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "the file is empty"},
		{"   \n\n", "the file is empty"},
		{"hello\nworld\n", "no request line"},
		{"*   Trying 10.0.0.5:443...\n* Connected to ns01 (10.0.0.5) port 443\n", "only curl notes (2"},
		{"<!DOCTYPE html>\n<html><body>401</body></html>\n", "an HTML page"},
		{`{"log": {"version": "1.2", "entries": []}}`, "a HAR (JSON) export"},
		{"Host: web01\nAccept: */*\n", "header lines without a request line"},
		{"\x00\x01\x02binary\x00", "binary data"},
		{"=> Send header, 16 bytes (0x10)\n0000: 47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a GET / HTTP/1.1..\n", "curl --trace hex"},
		{"== Info: Trying\n<= Recv data, 5 bytes (0x5)\n0000: hello\n", "without a request or status line"},
	}
	for _, tc := range tests {
		_, err := ParseHTTPTrace("x.txt", strings.NewReader(tc.in))
		var te *TraceError
		if !errors.As(err, &te) || !errors.Is(err, ErrNotHTTPTrace) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.txt: ") {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}
