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
		x := Exchange{Source: tr.Source}
		for i := 0; i < len(tr.Messages); i++ {
			m := &tr.Messages[i]
			if !m.IsRequest() {
				continue
			}
			st := ExchangeStep{Request: m.Method + " " + m.Target}
			if v := m.Header.Get("Authorization"); v != "" {
				st.Sent = headerSummary(v, true)
			}
			if i+1 < len(tr.Messages) && !tr.Messages[i+1].IsRequest() {
				resp := &tr.Messages[i+1]
				st.Status = resp.Status
				var parts []string
				for _, v := range resp.Header.Values("Www-Authenticate") {
					parts = append(parts, headerSummary(v, false))
				}
				st.Received = strings.Join(parts, "; ")
				i++
			}
			x.Steps = append(x.Steps, st)
		}
		if len(x.Steps) > 0 {
			out = append(out, x)
		}
	}
	return out
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
	var chs []negotiate.Challenge
	if authorization {
		c, err := negotiate.ParseAuthorization(v)
		if err != nil {
			return "unparsed header"
		}
		chs = []negotiate.Challenge{c}
	} else {
		var err error
		chs, err = negotiate.ParseChallengeValue(v)
		if err != nil && len(chs) == 0 {
			return "unparsed header"
		}
	}
	toks := make([]*negotiate.Token, len(chs))
	for i, c := range chs {
		if len(c.Token) > 0 {
			if t, err := negotiate.DecodeToken(c.Token); err == nil {
				toks[i] = t
			}
		}
	}
	return challengeSummary(chs, toks)
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
		case c.Is("Basic"):
			s = "Basic (credentials not shown)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
