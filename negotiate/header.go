package negotiate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Challenge is one authentication challenge from a WWW-Authenticate header,
// or the credentials of an Authorization header (RFC 7235 section 2.1). Both
// have the same shape: a scheme followed by nothing, a token68 or
// comma-separated auth-params.
type Challenge struct {
	// Scheme is the auth-scheme as received ("Negotiate", "NTLM", "Basic").
	// Compare it with strings.EqualFold or use Challenge.Is.
	Scheme string `json:"scheme"`
	// Token is the base64-decoded token68 for the Negotiate, NTLM and
	// Kerberos schemes; nil when the challenge is bare ("Negotiate" alone),
	// redacted or cut off.
	Token []byte `json:"token,omitempty"`
	// Token68 is the token68 text as received (any scheme), after the
	// cleaning listed in Cleaned (quotes and line breaks removed).
	Token68 string `json:"token68,omitempty"`
	// Params holds auth-params (realm="...", ...) with lower-case names.
	Params map[string]string `json:"params,omitempty"`
	// Raw is the text of this challenge within the header value.
	Raw string `json:"raw"`
	// Redacted is true when a token was present but replaced by a
	// placeholder before the text was shared ("NTLM [redacted]",
	// "Negotiate <token>", "Negotiate ****"): the scheme shows that a token
	// travelled, its content is lost.
	Redacted bool `json:"redacted,omitempty"`
	// Truncated is true when the token was cut short ("YIINPwY...", or a
	// base64 text one character too long for whole bytes); Token is nil and
	// the parse returns an error wrapping ErrTruncated.
	Truncated bool `json:"truncated,omitempty"`
	// Cleaned says what was removed from the value before decoding, in the
	// order it was done: "literal \r\n (Wireshark display text)",
	// "surrounding quotes", "header name", "2 line breaks inside the token".
	Cleaned []string `json:"cleaned,omitempty"`
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
//
// Text that copying a header out of a tool adds is removed first and listed
// in each challenge's Cleaned: a trailing literal "\r\n" (Wireshark),
// quotes around the value or the token, a leading header name, and line
// breaks or spaces inside a Negotiate/NTLM/Kerberos token (wrapped text). A
// token replaced by a placeholder ("[redacted]", "<token>", "****") gives a
// challenge with Redacted set and no error. A token that cannot be decoded
// gives a *HeaderError naming the cause: cut off ("..." at its end, or a
// length no base64 text has: wraps ErrTruncated) or not base64 (the first
// offending character and its offset: wraps ErrMalformed). The challenge
// that was cut off is returned with the error (Truncated set, no token);
// error messages never contain token text.
func ParseChallengeValue(value string) ([]Challenge, error) {
	p, notes := newHeaderParser(value)
	var out []Challenge
	for {
		p.skipSeparators()
		if p.i >= p.end {
			return out, nil
		}
		c, err := p.challenge()
		c.Cleaned = append(append([]string(nil), notes...), c.Cleaned...)
		switch {
		case err == nil:
			out = append(out, c)
		case c.Truncated:
			// The scheme and the fact that a token was cut off are
			// evidence; a token that is not base64 shows nothing.
			out = append(out, failed(c))
		}
		if err != nil {
			return out, err
		}
	}
}

// failed keeps what a challenge that did not parse still shows: its scheme
// and whether its token was cut off or redacted.
func failed(c Challenge) Challenge {
	return Challenge{Scheme: c.Scheme, Truncated: c.Truncated, Redacted: c.Redacted, Cleaned: c.Cleaned}
}

// ParseAuthorization parses the value of an Authorization (or
// Proxy-Authorization) header: one scheme with its token or parameters,
// for example "Negotiate YIIH...". The value is cleaned as in
// ParseChallengeValue. An empty value, a second challenge, or a
// Negotiate/NTLM/Kerberos token that is cut off or not base64 gives a
// *HeaderError; the Challenge returned with it keeps only the scheme and
// the Truncated flag. Basic credentials (a password in base64) are dropped:
// the Challenge keeps only the scheme and Raw reads "Basic [redacted]".
func ParseAuthorization(value string) (Challenge, error) {
	p, notes := newHeaderParser(value)
	p.skipSpace()
	if p.i >= p.end {
		return Challenge{}, &HeaderError{Offset: p.i, Err: errors.New("empty Authorization value")}
	}
	c, err := p.challenge()
	c.Cleaned = append(append([]string(nil), notes...), c.Cleaned...)
	if err == nil {
		p.skipSeparators()
		if p.i < p.end {
			err = p.errorf("unexpected text after the credentials (an Authorization header carries one scheme)")
		}
	}
	if c.Is("Basic") {
		// user:password in base64: never keep it.
		c.Token68, c.Params = "", nil
		c.Raw = c.Scheme + " " + redacted
	}
	if err != nil {
		return failed(c), err
	}
	return c, nil
}

// ParseHeaderLine parses one authentication header as it is pasted from a
// tool: "WWW-Authenticate: Negotiate, NTLM", "> Authorization: Negotiate
// YII..." (curl -v), "Proxy-Authorization: NTLM TlRM...\r\n" (Wireshark), or
// an attribute such as Auth_header="Negotiate YII..." (AuthMon). It returns
// the header name as written and its challenges. A name ending in
// "Authenticate" (case-insensitive) is a challenge list, parsed as
// ParseChallengeValue does; any other name carries credentials, parsed as
// ParseAuthorization does. Errors are *HeaderError values whose Offset
// counts from the start of line.
func ParseHeaderLine(line string) (name string, chs []Challenge, err error) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if strings.HasPrefix(line[i:], "\ufeff") {
		i += len("\ufeff")
	}
	if i < len(line) && (line[i] == '>' || line[i] == '<') {
		i++
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	start := i
	for i < len(line) && isTchar(line[i]) && line[i] != '=' {
		i++
	}
	name = line[start:i]
	j := i
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	if name == "" || j >= len(line) || (line[j] != ':' && line[j] != '=') {
		return "", nil, &HeaderError{Offset: j, Err: fmt.Errorf("not a header line (expected Name: value): %w", ErrMalformed)}
	}
	value := line[j+1:]
	base := j + 1
	shift := func(err error) error {
		var he *HeaderError
		if errors.As(err, &he) {
			return &HeaderError{Offset: he.Offset + base, Err: he.Err}
		}
		return err
	}
	if len(name) >= len("authenticate") && strings.EqualFold(name[len(name)-len("authenticate"):], "authenticate") {
		chs, err = ParseChallengeValue(value)
		return name, chs, shift(err)
	}
	c, err := ParseAuthorization(value)
	if c.Scheme != "" {
		chs = []Challenge{c}
	}
	return name, chs, shift(err)
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

// headerParser reads s[i:end]; offsets in errors count from the start of s.
type headerParser struct {
	s   string
	i   int
	end int
}

// authHeaderNames are header names a pasted value may still start with.
var authHeaderNames = []string{"authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate"}

// newHeaderParser trims what copying a header out of a tool adds around its
// value: whitespace and a byte-order mark, a trailing literal "\r\n" as
// Wireshark prints it, a leading header name, and quotes around the whole
// value. It returns the parser over what is left and notes saying what was
// removed.
func newHeaderParser(v string) (*headerParser, []string) {
	var notes []string
	lo, hi := 0, len(v)
	trim := func() {
		for lo < hi && isSpace(v[lo]) {
			lo++
		}
		for hi > lo && isSpace(v[hi-1]) {
			hi--
		}
	}
	trim()
	if strings.HasPrefix(v[lo:hi], "\ufeff") {
		lo += len("\ufeff")
		trim()
	}
	literal := false
	for {
		s, n := v[lo:hi], 0
		switch {
		case strings.HasSuffix(s, `\r\n`):
			n = 4
		case strings.HasSuffix(s, `\n`), strings.HasSuffix(s, `\r`):
			n = 2
		}
		if n == 0 {
			break
		}
		hi -= n
		literal = true
		trim()
	}
	if literal {
		notes = append(notes, `literal \r\n (Wireshark display text)`)
	}
	for _, n := range authHeaderNames {
		if len(v[lo:hi]) > len(n) && strings.EqualFold(v[lo:lo+len(n)], n) && v[lo+len(n)] == ':' {
			lo += len(n) + 1
			trim()
			notes = append(notes, "header name")
			break
		}
	}
	if q, size := quoteAt(v[lo:hi]); q != 0 && hi-lo > 2*size {
		closeQ := closing(q)
		last, lsize := utf8.DecodeLastRuneInString(v[lo:hi])
		inner := v[lo+size : hi-lsize]
		if last == closeQ && !strings.ContainsRune(inner, q) && !strings.ContainsRune(inner, closeQ) {
			lo += size
			hi -= lsize
			trim()
			notes = append(notes, "surrounding quotes")
		}
	}
	return &headerParser{s: v, i: lo, end: hi}, notes
}

// quoteAt returns the quote character s starts with and its size in bytes.
func quoteAt(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	switch r {
	case '"', '\'', '\u201c', '\u2018', '\u201e':
		return r, size
	}
	return 0, 0
}

// closing returns the quote that closes q.
func closing(q rune) rune {
	switch q {
	case '\u201c', '\u201e':
		return '\u201d'
	case '\u2018':
		return '\u2019'
	}
	return q
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

// isBase64 reports whether c belongs to the standard or URL-safe base64
// alphabet (padding excluded).
func isBase64(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return c == '+' || c == '/' || c == '-' || c == '_'
}

// isSpace reports whether c is whitespace inside a pasted header value:
// spaces, tabs, and the line breaks of wrapped or multi-line text.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (p *headerParser) skipSpace() {
	for p.i < p.end && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *headerParser) skipSeparators() {
	for p.i < p.end && (isSpace(p.s[p.i]) || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *headerParser) token() string {
	start := p.i
	for p.i < p.end && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// atEndOrComma reports whether only whitespace remains before the end or a
// comma.
func (p *headerParser) atEndOrComma() bool {
	j := p.i
	for j < p.end && isSpace(p.s[j]) {
		j++
	}
	return j >= p.end || p.s[j] == ','
}

// paramAhead reports whether an auth-param (token OWS "=") starts at p.i,
// as opposed to the next challenge's scheme.
func (p *headerParser) paramAhead() bool {
	_, ok := p.paramEquals()
	return ok
}

// paramEquals reports whether "token OWS =" starts at p.i and returns the
// index just after the "=".
func (p *headerParser) paramEquals() (int, bool) {
	j := p.i
	for j < p.end && isTchar(p.s[j]) {
		j++
	}
	if j == p.i {
		return 0, false
	}
	for j < p.end && isSpace(p.s[j]) {
		j++
	}
	if j >= p.end || p.s[j] != '=' {
		return 0, false
	}
	return j + 1, true
}

// describeByte names the byte at s[i] for an error message without echoing
// token text: the character for punctuation, a code point otherwise.
func describeByte(s string, i int) string {
	c := s[i]
	switch {
	case c >= 0x21 && c < 0x7f:
		return fmt.Sprintf("%q", rune(c))
	case c == ' ':
		return "a space"
	case c < 0x80:
		return fmt.Sprintf("control byte 0x%02x", c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02x (not UTF-8)", c)
	}
	return fmt.Sprintf("%U", r)
}

func (p *headerParser) challenge() (Challenge, error) {
	start := p.i
	scheme := p.token()
	if scheme == "" {
		return Challenge{}, p.errorf("expected an auth-scheme, found %s", describeByte(p.s, p.i))
	}
	c := Challenge{Scheme: scheme}
	if p.i < p.end && !isSpace(p.s[p.i]) && p.s[p.i] != ',' {
		return Challenge{}, p.errorf("invalid character %s in auth-scheme", describeByte(p.s, p.i))
	}
	p.skipSpace()
	if p.i >= p.end || p.s[p.i] == ',' {
		c.Raw = strings.TrimSpace(p.s[start:p.i])
		return c, nil
	}
	if tokenScheme(scheme) && !p.quotedParamAhead() {
		return p.tokenChallenge(c, start)
	}
	// token68?
	j := p.i
	for j < p.end && isToken68(p.s[j]) {
		j++
	}
	k := j
	for k < p.end && p.s[k] == '=' {
		k++
	}
	save := p.i
	if j > p.i {
		p.i = k
		if p.atEndOrComma() {
			c.Token68 = p.s[save:k]
			p.skipSpace()
			c.Raw = strings.TrimSpace(p.s[start:p.i])
			return c, nil
		}
		p.i = save
	}
	// auth-params. Errors never name a parameter: in a Basic credential the
	// "name" may be part of the password's base64.
	for {
		if !p.paramAhead() {
			if c.Params == nil {
				return c, p.errorf("expected a token68 or auth-param after the %s scheme", scheme)
			}
			break
		}
		name := strings.ToLower(p.token())
		p.skipSpace()
		p.i++ // '='
		p.skipSpace()
		var val string
		if p.i < p.end && p.s[p.i] == '"' {
			v, err := p.quoted()
			if err != nil {
				return c, err
			}
			val = v
		} else {
			val = p.token()
			if val == "" {
				return c, p.errorf("auth-param has no value")
			}
		}
		if c.Params == nil {
			c.Params = map[string]string{}
		}
		c.Params[name] = val
		p.skipSpace()
		if p.i >= p.end {
			break
		}
		if p.s[p.i] != ',' {
			return c, p.errorf("expected ',' after an auth-param, found %s", describeByte(p.s, p.i))
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

// quotedParamAhead reports whether an auth-param with a quoted value
// (realm="...") starts at p.i. Base64 has no quote, so this never mistakes
// a token for a parameter.
func (p *headerParser) quotedParamAhead() bool {
	j, ok := p.paramEquals()
	if !ok {
		return false
	}
	for j < p.end && isSpace(p.s[j]) {
		j++
	}
	return j < p.end && p.s[j] == '"'
}

// tokenChallenge reads the token of a Negotiate, NTLM or Kerberos challenge:
// everything up to the next comma (base64 has none), cleaned of quotes and
// line breaks, checked for placeholders and truncation, and decoded.
func (p *headerParser) tokenChallenge(c Challenge, start int) (Challenge, error) {
	a := p.i
	b := a
	for b < p.end && p.s[b] != ',' {
		b++
	}
	p.i = b
	hi := b
	for hi > a && isSpace(p.s[hi-1]) {
		hi--
	}
	c.Raw = strings.TrimSpace(p.s[start:hi])
	lo := a
	if q, size := quoteAt(p.s[lo:hi]); q != 0 {
		last, lsize := utf8.DecodeLastRuneInString(p.s[lo:hi])
		if hi-lo < 2*size || last != closing(q) {
			p.i = lo
			return c, p.errorf("%s token opens a quote that does not close: %w", c.Scheme, ErrMalformed)
		}
		lo += size
		hi -= lsize
		c.Cleaned = append(c.Cleaned, "quotes around the token")
		for lo < hi && isSpace(p.s[lo]) {
			lo++
		}
		for hi > lo && isSpace(p.s[hi-1]) {
			hi--
		}
	}
	tok := p.s[lo:hi]
	if isPlaceholder(tok) {
		c.Redacted = true
		return c, nil
	}
	cut := ""
	for _, m := range []string{"...", "\u2026", "[truncated]", "(truncated)"} {
		if strings.HasSuffix(tok, m) {
			cut = m
			hi -= len(m)
			for hi > lo && isSpace(p.s[hi-1]) {
				hi--
			}
			break
		}
	}
	// b64 collects the base64 characters only once a space forces a copy;
	// until then the token is the substring p.s[lo:end64].
	var b64 strings.Builder
	copying, end64 := false, lo
	breaks, pad, padAt := 0, 0, -1
	std, url := false, false
	for i := lo; i < hi; i++ {
		ch := p.s[i]
		switch {
		case isSpace(ch):
			if i == lo || !isSpace(p.s[i-1]) {
				breaks++
			}
			if !copying {
				copying = true
				b64.Grow(hi - lo)
				b64.WriteString(p.s[lo:end64])
			}
			continue
		case ch == '=':
			if padAt < 0 {
				padAt = i
			}
			pad++
			continue
		case !isBase64(ch):
			p.i = i
			return c, p.errorf("%s token is not base64: %s is not a base64 character: %w",
				c.Scheme, describeByte(p.s, i), ErrMalformed)
		}
		if padAt >= 0 {
			p.i = padAt
			return c, p.errorf("%s token is not base64: padding '=' is followed by more base64 (two tokens run together?): %w",
				c.Scheme, ErrMalformed)
		}
		switch ch {
		case '+', '/':
			std = true
		case '-', '_':
			url = true
		}
		if copying {
			b64.WriteByte(ch)
		} else {
			end64 = i + 1
		}
	}
	text := p.s[lo:end64]
	if copying {
		text = b64.String()
	}
	if breaks > 0 {
		c.Cleaned = append(c.Cleaned, fmt.Sprintf("%d line breaks or spaces inside the token (wrapped text)", breaks))
	}
	n := len(text)
	if cut != "" {
		c.Truncated = true
		p.i = lo
		return c, p.errorf("%s token is cut off: it ends with %q after %d base64 characters (shortened by a display, pager or log); copy the whole header value: %w",
			c.Scheme, cut, n, ErrTruncated)
	}
	if n == 0 {
		p.i = lo
		return c, p.errorf("%s token has no base64 characters: %w", c.Scheme, ErrMalformed)
	}
	if n%4 == 1 {
		c.Truncated = true
		p.i = lo
		return c, p.errorf("%s token is truncated base64: %d characters cannot encode whole bytes (the text was cut or a character lost): %w",
			c.Scheme, n, ErrTruncated)
	}
	if pad > 2 || (pad > 0 && (n+pad)%4 != 0) {
		p.i = padAt
		return c, p.errorf("%s token is not base64: %d padding characters do not fit its length of %d: %w", c.Scheme, pad, n, ErrMalformed)
	}
	if std && url {
		p.i = lo
		return c, p.errorf("%s token is not base64: it mixes the standard (+/) and URL-safe (-_) alphabets: %w", c.Scheme, ErrMalformed)
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	raw, err := enc.DecodeString(text)
	if err != nil {
		p.i = lo
		return c, p.errorf("%s token is not base64 (%d characters): %w", c.Scheme, n, ErrMalformed)
	}
	if copying {
		c.Token68 = text + strings.Repeat("=", pad)
	} else {
		c.Token68 = p.s[lo : end64+pad]
	}
	c.Token = raw
	return c, nil
}

// isPlaceholder reports whether a token was replaced before sharing:
// bracketed text ("[redacted]", "<token>", "(removed)", "{...}"), a run of
// '*' or 'x', an ellipsis alone, or a word such as REDACTED.
func isPlaceholder(t string) bool {
	if len(t) >= 2 {
		open, close := t[0], t[len(t)-1]
		if (open == '[' && close == ']') || (open == '<' && close == '>') || (open == '(' && close == ')') || (open == '{' && close == '}') {
			return true
		}
	}
	if t == "..." || t == "\u2026" {
		return true
	}
	body := strings.TrimRight(strings.TrimSuffix(t, "\u2026"), ".")
	if len(body) >= 3 && strings.Trim(body, "*") == "" {
		return true
	}
	if len(body) >= 3 && strings.Trim(body, "xX") == "" {
		return true
	}
	if len(body) > 8 {
		return false
	}
	for _, w := range []string{"redacted", "removed", "hidden", "snip", "snipped", "token", "base64", "elided", "omitted"} {
		if strings.EqualFold(body, w) {
			return true
		}
	}
	return false
}

func (p *headerParser) quoted() (string, error) {
	start := p.i
	p.i++ // opening quote
	var b strings.Builder
	for p.i < p.end {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= p.end {
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
