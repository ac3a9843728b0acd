package diagnose

import (
	"fmt"
	"strings"
)

// Exchange is an HTTP authentication exchange taken from the evidence (a
// probe transcript or a raw HTTP trace), summarised for reports: each step
// is a request with the token it carried, and the response. It is a text
// view of a Handshake (Report.Handshakes holds the typed model).
type Exchange struct {
	// Source names the evidence ("probe https://ns01/...", "http/a.txt").
	Source string `json:"source"`
	// Steps are the request/response pairs in order.
	Steps []ExchangeStep `json:"steps"`
	// Notes are what the reader noticed about the evidence itself ("line
	// 30: the text ends in the middle of this line: the trace is cut off").
	Notes []string `json:"notes,omitempty"`
}

// ExchangeStep is one request and its response.
type ExchangeStep struct {
	// Request is "GET /path".
	Request string `json:"request"`
	// Sent describes the Authorization token, as an observer sees it
	// ("Kerberos AP-REQ: realm EXAMPLE.COM, SPN HTTP/ns01..."); empty when
	// none was sent.
	Sent string `json:"sent,omitempty"`
	// Status is the response status (0 when no response was recorded).
	Status int `json:"status"`
	// Received describes the WWW-Authenticate challenges and tokens.
	Received string `json:"received,omitempty"`
	// Proto is the HTTP version of the request when the evidence shows it
	// ("HTTP/1.1", "HTTP/2").
	Proto string `json:"proto,omitempty"`
	// Notes are facts about the step that matter to the handshake
	// ("response closes the connection (Connection: close)", "no response
	// recorded").
	Notes []string `json:"notes,omitempty"`
}

// maxExchanges bounds the exchanges copied into a report.
const maxExchanges = 20

// exchanges summarises the probes and HTTP traces of ev.
func exchanges(ev *Evidence) []Exchange { return exchangesOf(handshakesFor(ev)) }

// exchangesOf summarises the probe and trace handshakes as text.
func exchangesOf(hs []Handshake) []Exchange {
	var out []Exchange
	for i := range hs {
		h := &hs[i]
		if h.Kind == HandshakeProbe && len(out) < maxExchanges {
			out = append(out, exchangeOf(h))
		}
	}
	for i := range hs {
		h := &hs[i]
		if h.Kind == HandshakeTrace && len(h.Rounds) > 0 && len(out) < maxExchanges {
			out = append(out, exchangeOf(h))
		}
	}
	return out
}

// exchangeOf summarises one handshake: each round is a step.
func exchangeOf(h *Handshake) Exchange {
	x := Exchange{Source: h.Source}
	probe := h.Kind == HandshakeProbe
	if !probe {
		x.Notes = h.Notes
	}
	for _, r := range h.Rounds {
		var st ExchangeStep
		q, resp := r.Request, r.Response
		switch {
		case probe:
			st.Request = q.Method + " " + q.Target
			if r.Step != "" {
				st.Request += " (" + r.Step + ")"
			}
			if q.Auth != nil && q.Auth.Token == TokenDecoded {
				st.Sent = q.Auth.Summary
			}
		case q != nil:
			st.Request = strings.TrimSpace(q.Method + " " + q.Target)
			if st.Request == "" {
				st.Request = "(request line not in the trace)"
			}
			st.Proto = q.Proto
			if q.Auth != nil {
				st.Sent = authSummary(q.Auth)
			}
		default:
			st.Request = "(request not in the trace)"
			st.Proto = resp.Proto
		}
		switch {
		case resp == nil && !probe:
			st.Notes = append(st.Notes, "no response recorded")
		case resp == nil:
		default:
			st.Status = resp.Status
			var parts []string
			for i, c := range resp.Challenges {
				s := authSummary(&resp.Challenges[i])
				if i > 0 && (probe || c.value == resp.Challenges[i-1].value) {
					s = ", " + s
				} else if i > 0 {
					s = "; " + s
				}
				parts = append(parts, s)
			}
			st.Received = strings.Join(parts, "")
			if resp.ConnectionClose != "" && !probe {
				st.Notes = append(st.Notes, "response closes the connection ("+resp.ConnectionClose+")")
			}
		}
		x.Steps = append(x.Steps, st)
	}
	return x
}

// authSummary describes one challenge or Authorization value.
func authSummary(a *AuthToken) string {
	s := a.Scheme
	switch {
	case a.Token == TokenUnparsed:
		return "unparsed header"
	case a.Token == TokenDecoded:
		s += ": " + a.Summary
	case a.Token == TokenUndecoded:
		s += fmt.Sprintf(" (%d-byte token)", a.TokenBytes)
	case a.Token == TokenRedacted:
		s += " (token redacted in the evidence)"
	case a.Token == TokenTruncated:
		s += " (token cut off in the evidence)"
	case a.Mechanism == MechBasic:
		s = "Basic (credentials not shown)"
	}
	return s
}
