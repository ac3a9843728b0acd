package diagnose

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"github.com/iiskerb/iiskerb/internal/textenc"
	"github.com/iiskerb/iiskerb/negotiate"
)

// HTTPMessage is one request or response read from a raw HTTP trace.
type HTTPMessage struct {
	// Line is the 1-based line of the request or status line.
	Line int
	// Method and Target are set for a request ("GET",
	// "/Altiris/ClientTaskServer/Register.aspx").
	Method, Target string
	// Status is set for a response (401).
	Status int
	// Header holds the headers in canonical form.
	Header http.Header
	// headerLines maps canonical header names to the line of each value.
	headerLines map[string][]int
}

// IsRequest reports whether m is a request.
func (m *HTTPMessage) IsRequest() bool { return m.Method != "" }

// HTTPTrace is a parsed raw HTTP exchange file: requests and responses in
// the order they appear, as curl -v, a proxy (Fiddler, Burp, mitmproxy) or a
// browser's "copy request headers" prints them.
type HTTPTrace struct {
	// Source names the file.
	Source string
	// Messages are the requests and responses in file order.
	Messages []HTTPMessage
}

var (
	requestLine = regexp.MustCompile(`^([A-Z]+) (\S+) HTTP/\d(?:\.\d)?$`)
	statusLine  = regexp.MustCompile(`^HTTP/\d(?:\.\d)? (\d{3})(?: .*)?$`)
	headerLine  = regexp.MustCompile(`^([!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+):[ \t]*(.*)$`)
)

// maxTraceLine bounds one line of a trace (a Negotiate header with a PAC can
// be tens of kilobytes).
const maxTraceLine = 1 << 20

// ParseHTTPTrace reads a raw HTTP exchange. It accepts curl -v output ("> "
// request and "< " response prefixes, "* " notes), plain header dumps
// separated by blank lines, UTF-8/UTF-16 text and CRLF line ends; bodies and
// other lines are skipped. A file without any request or status line is an
// error.
func ParseHTTPTrace(source string, r io.Reader) (*HTTPTrace, error) {
	tr, _, err := textenc.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	t := &HTTPTrace{Source: source}
	sc := bufio.NewScanner(tr)
	sc.Buffer(make([]byte, 0, 64*1024), maxTraceLine)
	var cur *HTTPMessage
	inHeaders := false
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		// curl -v prefixes: "> " request, "< " response, "* " info.
		switch {
		case strings.HasPrefix(line, "> ") || line == ">":
			line = strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")
		case strings.HasPrefix(line, "< ") || line == "<":
			line = strings.TrimPrefix(strings.TrimPrefix(line, "<"), " ")
		case strings.HasPrefix(line, "* "), strings.HasPrefix(line, "{ ["), strings.HasPrefix(line, "} ["):
			continue
		}
		if m := requestLine.FindStringSubmatch(line); m != nil {
			t.Messages = append(t.Messages, HTTPMessage{Line: lineNo, Method: m[1], Target: m[2], Header: http.Header{}, headerLines: map[string][]int{}})
			cur, inHeaders = &t.Messages[len(t.Messages)-1], true
			continue
		}
		if m := statusLine.FindStringSubmatch(line); m != nil {
			code, _ := strconv.Atoi(m[1])
			t.Messages = append(t.Messages, HTTPMessage{Line: lineNo, Status: code, Header: http.Header{}, headerLines: map[string][]int{}})
			cur, inHeaders = &t.Messages[len(t.Messages)-1], true
			continue
		}
		if !inHeaders || cur == nil {
			continue
		}
		if strings.TrimSpace(line) == "" {
			inHeaders = false
			continue
		}
		if m := headerLine.FindStringSubmatch(line); m != nil {
			name := textproto.CanonicalMIMEHeaderKey(m[1])
			cur.Header.Add(name, strings.TrimSpace(m[2]))
			cur.headerLines[name] = append(cur.headerLines[name], lineNo)
			continue
		}
		// Anything else ends the header block (a body line without a blank
		// line before it, as some tools print).
		inHeaders = false
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", source, lineNo+1, err)
	}
	if len(t.Messages) == 0 {
		return nil, fmt.Errorf("%s: no HTTP request or status line found", source)
	}
	return t, nil
}

// Tokens decodes every Negotiate, NTLM and Kerberos token in the trace's
// Authorization, Proxy-Authorization, WWW-Authenticate and
// Proxy-Authenticate headers. Headers or tokens that cannot be decoded are
// returned as warnings; the rest are still decoded.
func (t *HTTPTrace) Tokens(ctx context.Context) ([]ObservedToken, []EvidenceWarning) {
	var toks []ObservedToken
	var warns []EvidenceWarning
	for i := range t.Messages {
		m := &t.Messages[i]
		for _, name := range []string{"Authorization", "Proxy-Authorization", "Www-Authenticate", "Proxy-Authenticate"} {
			for j, v := range m.Header.Values(name) {
				if ctx.Err() != nil {
					return toks, warns
				}
				ln := m.Line
				if ls := m.headerLines[name]; j < len(ls) {
					ln = ls[j]
				}
				loc := strconv.Itoa(ln)
				display := name
				if name == "Www-Authenticate" {
					display = "WWW-Authenticate"
				}
				var chs []negotiate.Challenge
				var err error
				if strings.HasSuffix(name, "Authorization") {
					var c negotiate.Challenge
					c, err = negotiate.ParseAuthorization(v)
					if err == nil {
						chs = []negotiate.Challenge{c}
					}
				} else {
					chs, err = negotiate.ParseChallengeValue(v)
				}
				if err != nil {
					warns = append(warns, EvidenceWarning{Source: t.Source, Locator: loc,
						Message: fmt.Sprintf("%s header not understood: %v", display, err)})
				}
				for _, c := range chs {
					if len(c.Token) == 0 {
						continue
					}
					tok, err := negotiate.DecodeToken(c.Token)
					if err != nil {
						warns = append(warns, EvidenceWarning{Source: t.Source, Locator: loc,
							Message: fmt.Sprintf("%s %s token not decoded: %v", display, c.Scheme, err)})
						continue
					}
					toks = append(toks, ObservedToken{Source: t.Source + ":" + loc, Header: display, Token: tok})
				}
			}
		}
	}
	return toks, warns
}
