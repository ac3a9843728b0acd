package diagnose

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// The model of real traces: rounds, mechanisms, message types, statuses
// and conclusions, with the trace's line numbers.
func TestHandshakeFromTrace(t *testing.T) {
	t.Run("kerberos with mutual authentication", func(t *testing.T) {
		h := handshakeFromTrace(readTrace(t, "realworld/quarkus-curl-v-negotiate-mit.txt"))
		if h.Kind != HandshakeTrace || len(h.Rounds) != 2 || h.Mechanism != MechKerberos || !h.Authenticated || !h.MutualAuth || h.FellBackToNTLM {
			t.Fatalf("%+v", h)
		}
		r := h.Rounds[1]
		a := r.Request.Auth
		if r.Request.Line != 44 || a.Line != 46 || a.Scheme != "Negotiate" || a.Mechanism != MechKerberos || a.MessageType != MsgAPReq || a.SPNEGO != SPNEGOInit ||
			a.SPN != "HTTP/localhost" || a.Realm != "EXAMPLE.COM" || a.Token != TokenDecoded {
			t.Errorf("AP-REQ %+v", a)
		}
		if r.Response.Status != 200 || len(r.Response.Challenges) != 1 || r.Response.Challenges[0].MessageType != MsgAPRep {
			t.Errorf("response %+v", r.Response)
		}
		if k := h.Kerberos; !k.Attempted || k.AttemptRound != 2 || k.AuthenticatedRound != 2 || k.Failure != "" {
			t.Errorf("kerberos %+v", k)
		}
		if h.OfferedRound != 1 || strings.Join(h.Offered, ",") != "Negotiate" || h.responseLine(h.OfferedRound) != 17 {
			t.Errorf("offer %v in round %d", h.Offered, h.OfferedRound)
		}
	})
	t.Run("NTLM challenge on a closing connection", func(t *testing.T) {
		h := handshakeFromTrace(readTrace(t, "realworld/curl13291-iis-ntlm-connection-close.txt"))
		if len(h.Rounds) != 1 {
			t.Fatalf("%d rounds", len(h.Rounds))
		}
		r := h.Rounds[0]
		if a := r.Request.Auth; a.Scheme != "NTLM" || a.Token != TokenRedacted || a.Mechanism != MechNTLM {
			t.Errorf("auth %+v", a)
		}
		if r.Response.ConnectionClose != "Connection: close" || r.Response.ConnectionCloseLine != 15 {
			t.Errorf("response %+v", r.Response)
		}
		if tp := h.transport(); tp.closeRound != 1 || !tp.closeRedacted {
			t.Errorf("transport %+v", tp)
		}
	})
	t.Run("raw NTLM inside Negotiate over HTTP/2, cut off", func(t *testing.T) {
		h := handshakeFromTrace(readTrace(t, "realworld/curl12511-h2-negotiate-raw-ntlm.txt"))
		tp := h.transport()
		if tp.http2Round == 0 || !h.Truncated || h.TruncatedLine != 30 || h.NTLM.InNegotiateRound == 0 {
			t.Fatalf("%+v %+v", tp, h)
		}
		q := h.round(tp.http2Round).Request
		if q.Proto != "HTTP/2" || q.Auth.SPNEGO != "" || q.Auth.MessageType != MsgNTLMNegotiate || h.round(tp.http2Round).Response != nil {
			t.Errorf("request %+v", q)
		}
		if got := describeSent(q.Auth); got != "Negotiate credentials carrying a raw NTLM NEGOTIATE message (the client is not using Kerberos)" {
			t.Errorf("sent %q", got)
		}
	})
}

// A probe's model keeps its rounds, its steps and connection reuse, and its
// own conclusions.
func TestHandshakeFromProbe(t *testing.T) {
	tr, raw := htmlTranscript(t)
	h := handshakeFromProbe(tr)
	if h.Kind != HandshakeProbe || h.Source != "probe "+tr.URL || len(h.Rounds) != 5 || h.Mechanism != MechNTLM || !h.FellBackToNTLM ||
		h.ReauthOnSameConnection == nil || !*h.ReauthOnSameConnection || h.ReauthRound != 5 || h.OfferedRound != 1 {
		t.Fatalf("%+v", h)
	}
	want := []struct {
		step string
		mech Mechanism
		msg  MessageType
		conn int
	}{
		{"initial", MechNone, MsgNone, 1},
		{"kerberos", MechKerberos, MsgAPReq, 2},
		{"ntlm-negotiate", MechNTLM, MsgNTLMNegotiate, 3},
		{"ntlm-authenticate", MechNTLM, MsgNTLMAuthenticate, 3},
		{"reuse-check", MechNone, MsgNone, 3},
	}
	for i, w := range want {
		r := h.Rounds[i]
		if r.Step != w.step || r.Request.Mechanism() != w.mech || r.Request.MessageType() != w.msg || r.Connection != w.conn || r.Request.Target != "/Altiris/TaskManagement/CTAgent/" {
			t.Errorf("round %d: %s %s %s conn %d", i+1, r.Step, r.Request.Mechanism(), r.Request.MessageType(), r.Connection)
		}
	}
	if k := h.Kerberos; !k.Attempted || k.AttemptRound != 2 || k.RejectedRound != 2 || k.Failure != KerberosRejected || k.FailureDetail == "" {
		t.Errorf("kerberos %+v", k)
	}
	if n := h.NTLM; !n.Authenticated || n.AuthenticateRound != 4 || n.User != "vagrant-domain@DOMAIN.LOCAL" {
		t.Errorf("ntlm %+v", n)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range raw {
		if bytes.Contains(b, []byte(tok[:20])) {
			t.Errorf("token bytes in the model: %.20s...", tok)
		}
	}
}

// Tokens that a trace of the evidence holds are modelled with the trace;
// the others make one "tokens" handshake.
func TestHandshakeTokens(t *testing.T) {
	tr := readTrace(t, "realworld/quarkus-curl-v-negotiate-mit.txt")
	toks, _ := tr.Tokens(context.Background())
	ev := &Evidence{HTTPTraces: []*HTTPTrace{tr}, Tokens: toks}
	if hs := buildHandshakes(ev); len(hs) != 1 || hs[0].Kind != HandshakeTrace {
		t.Fatalf("%d handshakes", len(hs))
	}
	ev.Tokens = append(ev.Tokens, ObservedToken{Source: "pasted", Header: "Authorization", Token: toks[0].Token})
	hs := buildHandshakes(ev)
	if len(hs) != 2 || hs[1].Kind != HandshakeTokens || len(hs[1].Rounds) != 1 || hs[1].Rounds[0].Source != "pasted" ||
		hs[1].Rounds[0].Request.MessageType() != MsgAPReq || !hs[1].Kerberos.Attempted {
		t.Fatalf("%+v", hs)
	}
}

// Diagnose builds the model once and the report carries it; the NEG checks
// and the verdict read the same one.
func TestReportHandshakes(t *testing.T) {
	ev, err := LoadBundle(context.Background(), "testdata/scenarios/kb-2-kerberos-fails-ntlm-succeeds")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Handshakes) != 1 || len(rep.Exchanges) != 1 || len(rep.Handshakes[0].Rounds) != len(rep.Exchanges[0].Steps) {
		t.Fatalf("%d handshakes, %d exchanges", len(rep.Handshakes), len(rep.Exchanges))
	}
	handshakeMemo.Lock()
	left := len(handshakeMemo.m)
	handshakeMemo.Unlock()
	if left != 0 {
		t.Errorf("%d models left in the memo after Diagnose", left)
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	// No token of the bundle's traces is in the report.
	files, _ := filepath.Glob("testdata/scenarios/kb-2-kerberos-fails-ntlm-succeeds/http/*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range base64Runs(string(data)) {
			if bytes.Contains(b.Bytes(), []byte(tok)) {
				t.Errorf("token text %.20s... of %s in the report", tok, f)
			}
		}
	}
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/]{24,}={0,2}`)

// base64Runs are the long base64 texts of s (tokens).
func base64Runs(s string) []string { return base64Run.FindAllString(s, -1) }

// FuzzHandshakeFromTrace builds the model of arbitrary traces: it must
// never panic, every message must be in exactly one round with its line,
// every round reference must point at a round, the model must carry no
// token text, survive a JSON round trip, and give one exchange step per
// round.
func FuzzHandshakeFromTrace(f *testing.F) {
	testenv.ShortFuzzMinimize()
	seeds, _ := filepath.Glob("testdata/http/*.txt")
	more, _ := filepath.Glob("testdata/http/realworld/*.txt")
	scen, _ := filepath.Glob("testdata/scenarios/*/http/*.txt")
	for _, p := range append(append(seeds, more...), scen...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseHTTPTrace("fuzz.txt", bytes.NewReader(data))
		if err != nil {
			return
		}
		h := handshakeFromTrace(tr)
		reqs, resps := 0, 0
		for _, r := range h.Rounds {
			if r.Request == nil && r.Response == nil {
				t.Fatal("empty round")
			}
			if r.Request != nil {
				m := tr.Messages[reqs+resps]
				if !m.IsRequest() || m.Line != r.Request.Line {
					t.Fatalf("request of round does not match message %d", reqs+resps)
				}
				reqs++
			}
			if r.Response != nil {
				m := tr.Messages[reqs+resps]
				if m.IsRequest() || m.Line != r.Response.Line || m.Status != r.Response.Status {
					t.Fatalf("response of round does not match message %d", reqs+resps)
				}
				resps++
			}
		}
		if reqs+resps != len(tr.Messages) {
			t.Fatalf("%d of %d messages in rounds", reqs+resps, len(tr.Messages))
		}
		for _, n := range []int{h.OfferedRound, h.ReauthRound, h.PersistentAuthFalseRound, h.Kerberos.AttemptRound, h.Kerberos.AuthenticatedRound,
			h.Kerberos.RejectedRound, h.Kerberos.ErrorRound, h.NTLM.InNegotiateRound, h.NTLM.AuthenticateRound, h.NTLM.AuthenticatedRound} {
			if n < 0 || n > len(h.Rounds) {
				t.Fatalf("round reference %d of %d", n, len(h.Rounds))
			}
		}
		if h.Kerberos.Authenticated != (h.Kerberos.AuthenticatedRound != 0) || h.NTLM.Authenticated != (h.NTLM.AuthenticatedRound != 0) ||
			h.FellBackToNTLM && !h.NTLM.Authenticated || h.Authenticated && h.Mechanism == MechNone {
			t.Fatalf("inconsistent conclusions %+v", h)
		}
		if x := exchangeOf(&h); len(x.Steps) != len(h.Rounds) {
			t.Fatalf("%d steps for %d rounds", len(x.Steps), len(h.Rounds))
		}
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var back Handshake
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if b2, _ := json.Marshal(back); !bytes.Equal(b, b2) {
			t.Fatalf("JSON round trip changes the model:\n%s\n%s", b, b2)
		}
		// No token text in the rounds (the request line and the scheme
		// names are the evidence's own text).
		for i := range back.Rounds {
			r := &back.Rounds[i]
			if q := r.Request; q != nil {
				q.Method, q.Target = "", ""
			}
			for _, a := range roundTokens(r) {
				a.Scheme = ""
			}
		}
		rb, _ := json.Marshal(back.Rounds)
		for i := range tr.Messages {
			for _, name := range []string{"Authorization", "Www-Authenticate", "Proxy-Authorization", "Proxy-Authenticate"} {
				for _, v := range tr.Messages[i].Header.Values(name) {
					for _, tok := range base64Runs(v) {
						if bytes.Contains(rb, []byte(tok)) {
							t.Fatalf("token text %q in the model", tok)
						}
					}
				}
			}
		}
	})
}
