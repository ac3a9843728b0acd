package diagnose

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/iiskerb/iiskerb/negotiate"
)

// Exchange is an HTTP authentication exchange taken from the evidence (a
// probe transcript or a raw HTTP trace), summarised for reports: each step
// is a request with the token it carried, and the response.
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
func exchanges(ev *Evidence) []Exchange {
	var out []Exchange
	for _, t := range ev.Probes {
		if t == nil || len(out) >= maxExchanges {
			continue
		}
		x := Exchange{Source: "probe " + t.URL}
		path := t.URL
		if u, err := url.Parse(t.URL); err == nil && u.Path != "" {
			path = u.Path
		}
		for _, r := range t.Rounds {
			m := r.Method
			if m == "" {
				m = "GET"
			}
			st := ExchangeStep{Request: m + " " + path, Status: r.Status}
			if r.Step != "" {
				st.Request += " (" + r.Step + ")"
			}
			if r.Sent != nil {
				st.Sent = tokenSummary(r.Sent)
			}
			st.Received = challengeSummary(r.Challenges, r.Tokens)
			x.Steps = append(x.Steps, st)
		}
		out = append(out, x)
	}
	for _, tr := range ev.HTTPTraces {
		if tr == nil || len(out) >= maxExchanges {
			continue
		}
		if x := traceExchange(tr); len(x.Steps) > 0 {
			out = append(out, x)
		}
	}
	return out
}

// traceExchange summarises one HTTP trace: each request with the response
// that follows it; a response without a request before it gets a step of
// its own.
func traceExchange(tr *HTTPTrace) Exchange {
	x := Exchange{Source: tr.Source}
	for _, n := range tr.Notes {
		if n.Line > 0 {
			x.Notes = append(x.Notes, fmt.Sprintf("line %d: %s", n.Line, n.Message))
		} else {
			x.Notes = append(x.Notes, n.Message)
		}
	}
	for i := 0; i < len(tr.Messages); i++ {
		m := &tr.Messages[i]
		var st ExchangeStep
		resp := m
		if m.IsRequest() {
			st.Request = strings.TrimSpace(m.Method + " " + m.Target)
			if st.Request == "" {
				st.Request = "(request line not in the trace)"
			}
			st.Proto = m.Proto
			if v := m.Header.Get("Authorization"); v != "" {
				st.Sent = headerSummary(v, true)
			}
			resp = nil
			if i+1 < len(tr.Messages) && !tr.Messages[i+1].IsRequest() {
				i++
				resp = &tr.Messages[i]
			}
		} else {
			st.Request = "(request not in the trace)"
			st.Proto = m.Proto
		}
		if resp == nil {
			st.Notes = append(st.Notes, "no response recorded")
		} else {
			st.Status = resp.Status
			var parts []string
			for _, v := range resp.Header.Values("Www-Authenticate") {
				parts = append(parts, headerSummary(v, false))
			}
			st.Received = strings.Join(parts, "; ")
			if why := connectionCloses(resp); why != "" {
				st.Notes = append(st.Notes, "response closes the connection ("+why+")")
			}
		}
		x.Steps = append(x.Steps, st)
	}
	return x
}

// tokenSummary says what an observer sees in a token.
func tokenSummary(t *negotiate.Token) string {
	if t == nil {
		return ""
	}
	v := t.Visible()
	if v.Summary != "" {
		return v.Summary
	}
	return t.Kind.String()
}

// headerSummary describes an Authorization (one challenge) or
// WWW-Authenticate (several) header value.
func headerSummary(v string, authorization bool) string {
	av := parseAuthValue(v, authorization)
	if len(av.chs) == 0 {
		return "unparsed header"
	}
	return challengeSummary(av.chs, av.toks)
}

func challengeSummary(chs []negotiate.Challenge, toks []*negotiate.Token) string {
	var parts []string
	for i, c := range chs {
		s := c.Scheme
		switch {
		case i < len(toks) && toks[i] != nil:
			s += ": " + tokenSummary(toks[i])
		case len(c.Token) > 0:
			s += fmt.Sprintf(" (%d-byte token)", len(c.Token))
		case c.Redacted:
			s += " (token redacted in the evidence)"
		case c.Truncated:
			s += " (token cut off in the evidence)"
		case c.Is("Basic"):
			s = "Basic (credentials not shown)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
