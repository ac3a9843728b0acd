package negotiate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Challenge is one authentication challenge from a WWW-Authenticate header,
// or the credentials of an Authorization header (RFC 7235 section 2.1). Both
// have the same shape: a scheme followed by nothing, a token68 or
// comma-separated auth-params.
type Challenge struct {
	// Scheme is the auth-scheme as received ("Negotiate", "NTLM", "Basic").
	// Compare it with strings.EqualFold or use Challenge.Is.
	Scheme string
	// Token is the base64-decoded token68 for the Negotiate, NTLM and
	// Kerberos schemes; nil when the challenge is bare ("Negotiate" alone).
	Token []byte `json:",omitempty"`
	// Token68 is the token68 text as received (any scheme).
	Token68 string `json:",omitempty"`
	// Params holds auth-params (realm="...", ...) with lower-case names.
	Params map[string]string `json:",omitempty"`
	// Raw is the text of this challenge within the header value.
	Raw string
}

// Is reports whether the challenge's scheme is scheme, ignoring case.
func (c Challenge) Is(scheme string) bool { return strings.EqualFold(c.Scheme, scheme) }

// tokenScheme reports whether s is a scheme whose token68 is base64 of a
// GSS/NTLM token.
func tokenScheme(s string) bool {
	return strings.EqualFold(s, "Negotiate") || strings.EqualFold(s, "NTLM") || strings.EqualFold(s, "Kerberos")
}

// ParseChallenges parses every WWW-Authenticate header in h, in order. One
// header may carry several challenges ("Negotiate, NTLM") and a response may
// carry several headers; both are flattened into one list. A header that
// cannot be parsed gives a *HeaderError; the challenges before it are
// returned with the error.
func ParseChallenges(h http.Header) ([]Challenge, error) {
	var out []Challenge
	for _, v := range h.Values("WWW-Authenticate") {
		cs, err := ParseChallengeValue(v)
		out = append(out, cs...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// ParseChallengeValue parses one WWW-Authenticate (or Proxy-Authenticate)
// header value, which may hold several comma-separated challenges.
func ParseChallengeValue(value string) ([]Challenge, error) {
	p := headerParser{s: value}
	var out []Challenge
	for {
		p.skipSeparators()
		if p.i >= len(p.s) {
			return out, nil
		}
		c, err := p.challenge()
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
}

// ParseAuthorization parses the value of an Authorization (or
// Proxy-Authorization) header: one scheme with its token or parameters,
// for example "Negotiate YIIH...". An empty value, a second challenge or
// invalid base64 in a Negotiate/NTLM/Kerberos token give a *HeaderError.
// Basic credentials (a password in base64) are dropped: the Challenge keeps
// only the scheme and Raw reads "Basic [redacted]".
func ParseAuthorization(value string) (Challenge, error) {
	p := headerParser{s: value}
	p.skipSpace()
	if p.i >= len(p.s) {
		return Challenge{}, &HeaderError{Offset: 0, Err: errors.New("empty Authorization value")}
	}
	c, err := p.challenge()
	if err != nil {
		return Challenge{}, err
	}
	p.skipSeparators()
	if p.i < len(p.s) {
		return Challenge{}, p.errorf("unexpected text after the credentials")
	}
	if c.Is("Basic") {
		// user:password in base64: never keep it.
		c.Token68, c.Params = "", nil
		c.Raw = c.Scheme + " " + redacted
	}
	return c, nil
}

// redacted replaces Basic credentials in Challenge.Raw.
const redacted = "[redacted]"

// PersistentAuth reads the Persistent-Auth response header IIS sends with
// Windows Authentication ("Persistent-Auth: true" means the connection stays
// authenticated). present is false when the header is missing or is neither
// true nor false.
func PersistentAuth(h http.Header) (persistent, present bool) {
	v := strings.TrimSpace(h.Get("Persistent-Auth"))
	switch {
	case strings.EqualFold(v, "true"):
		return true, true
	case strings.EqualFold(v, "false"):
		return false, true
	}
	return false, false
}

type headerParser struct {
	s string
	i int
}

func (p *headerParser) errorf(format string, a ...any) error {
	return &HeaderError{Offset: p.i, Err: fmt.Errorf(format, a...)}
}

func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func (p *headerParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *headerParser) skipSeparators() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *headerParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// atEndOrComma reports whether only whitespace remains before the end or a
// comma.
func (p *headerParser) atEndOrComma() bool {
	j := p.i
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	return j >= len(p.s) || p.s[j] == ','
}

// paramAhead reports whether an auth-param (token OWS "=") starts at p.i,
// as opposed to the next challenge's scheme.
func (p *headerParser) paramAhead() bool {
	j := p.i
	for j < len(p.s) && isTchar(p.s[j]) {
		j++
	}
	if j == p.i {
		return false
	}
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	return j < len(p.s) && p.s[j] == '='
}

func (p *headerParser) challenge() (Challenge, error) {
	start := p.i
	scheme := p.token()
	if scheme == "" {
		return Challenge{}, p.errorf("expected an auth-scheme, found %q", p.s[p.i])
	}
	c := Challenge{Scheme: scheme}
	if p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != '\t' && p.s[p.i] != ',' {
		return Challenge{}, p.errorf("invalid character %q in auth-scheme", p.s[p.i])
	}
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] == ',' {
		c.Raw = strings.TrimSpace(p.s[start:p.i])
		return c, nil
	}
	// token68?
	j := p.i
	for j < len(p.s) && isToken68(p.s[j]) {
		j++
	}
	k := j
	for k < len(p.s) && p.s[k] == '=' {
		k++
	}
	save := p.i
	if j > p.i {
		p.i = k
		if p.atEndOrComma() {
			c.Token68 = p.s[save:k]
			if tokenScheme(scheme) {
				b, err := decodeBase64(c.Token68)
				if err != nil {
					p.i = save
					return Challenge{}, p.errorf("%s token is not base64: %w", scheme, err)
				}
				c.Token = b
			}
			p.skipSpace()
			c.Raw = strings.TrimSpace(p.s[start:p.i])
			return c, nil
		}
		p.i = save
	}
	// auth-params
	for {
		if !p.paramAhead() {
			if c.Params == nil {
				return Challenge{}, p.errorf("expected a token68 or auth-param after %q", scheme)
			}
			break
		}
		name := strings.ToLower(p.token())
		p.skipSpace()
		p.i++ // '='
		p.skipSpace()
		var val string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			v, err := p.quoted()
			if err != nil {
				return Challenge{}, err
			}
			val = v
		} else {
			val = p.token()
			if val == "" {
				return Challenge{}, p.errorf("auth-param %q has no value", name)
			}
		}
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		c.Params[name] = val
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] != ',' {
			return Challenge{}, p.errorf("expected ',' after auth-param %q", name)
		}
		end := p.i
		p.skipSeparators()
		if !p.paramAhead() {
			p.i = end
			break
		}
	}
	c.Raw = strings.TrimSpace(p.s[start:p.i])
	return c, nil
}

func (p *headerParser) quoted() (string, error) {
	start := p.i
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.s) {
				p.i = start
				return "", p.errorf("unterminated quoted-string")
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	p.i = start
	return "", p.errorf("unterminated quoted-string")
}

// decodeBase64 accepts standard base64 with or without padding.
func decodeBase64(s string) ([]byte, error) {
	t := strings.TrimRight(s, "=")
	if strings.ContainsAny(t, "-_") {
		return base64.RawURLEncoding.DecodeString(t)
	}
	return base64.RawStdEncoding.DecodeString(t)
}
