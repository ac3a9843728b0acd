package spn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// SPN is a service principal name: serviceclass/host[:port][/servicename]
// (MS-ADTS 5.1.1.4; Kerberos principal syntax in Windows).
type SPN struct {
	// ServiceClass names the service: "HTTP", "HOST", "MSSQLSvc".
	ServiceClass string
	// Host is the DNS or NetBIOS name the client uses.
	Host string
	// Port is the optional port; 0 when absent.
	Port int
	// ServiceName is the optional third component (a domain or service
	// instance name); empty when absent.
	ServiceName string

	raw    string // the text it was parsed from, kept for malformed values
	parsed bool   // raw is meaningful
}

// ProblemKind classifies something wrong with an SPN value.
type ProblemKind int

// Problem kinds seen in real directories.
const (
	ProblemNoClass        ProblemKind = iota + 1 // no "class/" prefix or empty class
	ProblemEmptyHost                             // nothing after "class/"
	ProblemScheme                                // a URL scheme: "HTTP/https://web01"
	ProblemPath                                  // a URL path or extra components: "HTTP/web01/app"
	ProblemWhitespace                            // spaces, tabs or line breaks anywhere
	ProblemTrailingDot                           // "HTTP/web01.example.com." (clients never ask for it)
	ProblemBadPort                               // port not a number in 1-65535
	ProblemHostCharacters                        // characters that cannot appear in a host name
	// ProblemRealm: a Kerberos realm suffix inside the value
	// ("HTTP/web01@CORP.EXAMPLE.COM"). servicePrincipalName values never
	// carry the realm; clients request "HTTP/web01" and never match it.
	ProblemRealm
	// ProblemHostLabel: a host label DNS does not allow: one starting or
	// ending with a hyphen ("MSSQLSvc/-sqlread:31436", often a name whose
	// prefix was lost), an empty label ("web..example.com") or one longer
	// than 63 characters (RFC 952/1123).
	ProblemHostLabel
	// ProblemUnderscore: an underscore in the host ("HTTP/web_01"), which
	// is not valid in a DNS host name (RFC 952/1123). It is advisory (see
	// [ProblemKind.Advisory]): Windows DNS, NetBIOS and browsers accept
	// such names, so clients may still request the value.
	ProblemUnderscore
)

// String names the problem ("URL scheme", "trailing dot").
func (k ProblemKind) String() string {
	switch k {
	case ProblemNoClass:
		return "no service class"
	case ProblemEmptyHost:
		return "empty host"
	case ProblemScheme:
		return "URL scheme"
	case ProblemPath:
		return "path"
	case ProblemWhitespace:
		return "whitespace"
	case ProblemTrailingDot:
		return "trailing dot"
	case ProblemBadPort:
		return "bad port"
	case ProblemHostCharacters:
		return "invalid host characters"
	case ProblemRealm:
		return "realm suffix"
	case ProblemHostLabel:
		return "invalid host label"
	case ProblemUnderscore:
		return "underscore in host name"
	}
	return "unknown problem"
}

// Advisory reports whether the problem is a flag rather than a defect: the
// value breaks a naming rule but clients may still request it, so it must
// not be removed without checking which name clients use. Only
// [ProblemUnderscore] is advisory.
func (k ProblemKind) Advisory() bool { return k == ProblemUnderscore }

// Problem is one defect of an SPN value, with a human explanation.
type Problem struct {
	Kind   ProblemKind
	Detail string
}

// String returns "kind: detail".
func (p Problem) String() string { return p.Kind.String() + ": " + p.Detail }

// ErrMalformed is matched (errors.Is) by every [*SyntaxError].
var ErrMalformed = errors.New("spn: malformed SPN")

// SyntaxError reports an SPN value with problems. Parse returns it together
// with its best-effort SPN.
type SyntaxError struct {
	Value    string
	Problems []Problem
}

// Error lists the value and its problems.
func (e *SyntaxError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("spn: malformed SPN %q: %s", e.Value, strings.Join(parts, "; "))
}

// Is reports whether target is [ErrMalformed].
func (e *SyntaxError) Is(target error) bool { return target == ErrMalformed }

// Advisory reports whether every problem is advisory
// ([ProblemKind.Advisory]): the value is flagged, yet clients may request it.
func (e *SyntaxError) Advisory() bool { return len(serious(e.Problems)) == 0 }

// serious returns the problems that are not advisory.
func serious(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if !p.Kind.Advisory() {
			out = append(out, p)
		}
	}
	return out
}

// Parse parses an SPN. For a value with problems it returns the best-effort
// SPN (String returns the original text, so it can be deleted with setspn -D)
// and a [*SyntaxError] listing every problem. Values seen in the wild are
// recognised: a URL scheme or path, whitespace, a trailing dot, a bad port,
// a realm suffix ("HTTP/web01@CORP.COM"), a host label starting with a
// hyphen ("MSSQLSvc/-sqlread:31436"), and (advisory) an underscore in the
// host ("HTTP/web_01"); [SyntaxError.Advisory] tells the last apart.
func Parse(s string) (SPN, error) {
	sp, probs := parse(s)
	if len(probs) > 0 {
		return sp, &SyntaxError{Value: s, Problems: probs}
	}
	return sp, nil
}

// MustParse is Parse for values known to be valid (constants in code and
// tests); it panics on malformed input and must not be used on evidence.
func MustParse(s string) SPN {
	sp, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// New returns the SPN class/host with no port or service name.
func New(class, host string) SPN { return SPN{ServiceClass: class, Host: host} }

func parse(s string) (SPN, []Problem) {
	var probs []Problem
	add := func(k ProblemKind, format string, a ...any) {
		for _, p := range probs {
			if p.Kind == k {
				return
			}
		}
		probs = append(probs, Problem{Kind: k, Detail: fmt.Sprintf(format, a...)})
	}
	sp := SPN{raw: s, parsed: true}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		add(ProblemWhitespace, "contains whitespace; clients never request such a name")
	}
	t := strings.TrimSpace(s)
	class, rest, ok := strings.Cut(t, "/")
	sp.ServiceClass = class
	if !ok || class == "" {
		add(ProblemNoClass, "want serviceclass/host[:port][/servicename]")
		if !ok {
			return sp, probs
		}
	}
	if i := strings.Index(rest, "://"); i >= 0 && isScheme(rest[:i]) {
		add(ProblemScheme, "contains the URL scheme %q; register the bare host name", rest[:i+3])
		rest = rest[i+3:]
	}
	if r, realm, ok := cutRealm(rest); ok {
		add(ProblemRealm, "ends with the realm suffix %q: servicePrincipalName values never include the realm, so clients (which request %s) never match it", "@"+realm, class+"/"+r)
		rest = r
	}
	hostPort, svc, hasSvc := strings.Cut(rest, "/")
	if hasSvc {
		sp.ServiceName = svc
		switch {
		case svc == "" || strings.Contains(svc, "/"):
			add(ProblemPath, "contains a path %q; an SPN names a host, not a URL", "/"+svc)
		case isWebClass(class):
			add(ProblemPath, "contains %q after the host; HTTP SPNs name a host, not a URL path", "/"+svc)
		}
	}
	host := hostPort
	if i := strings.LastIndexByte(hostPort, ':'); i >= 0 && !strings.Contains(hostPort[:i], ":") {
		host = hostPort[:i]
		portText := hostPort[i+1:]
		p, err := strconv.Atoi(portText)
		switch {
		case err != nil || strings.HasPrefix(portText, "+") || strings.HasPrefix(portText, "-"):
			add(ProblemBadPort, "port %q is not a number", portText)
		case p < 1 || p > 65535:
			add(ProblemBadPort, "port %d is outside 1-65535", p)
		default:
			sp.Port = p
		}
	} else if strings.Count(hostPort, ":") > 1 {
		add(ProblemHostCharacters, "host %q contains several colons", hostPort)
	}
	sp.Host = host
	switch {
	case host == "":
		add(ProblemEmptyHost, "no host after %q", class+"/")
	case strings.HasSuffix(host, "."):
		add(ProblemTrailingDot, "host %q ends with a dot; clients request the name without it", host)
	}
	if i := strings.IndexFunc(host, badHostRune); i >= 0 {
		r := []rune(host[i:])[0]
		if !unicode.IsSpace(r) {
			add(ProblemHostCharacters, "host %q contains %q", host, r)
		}
	}
	if host != "" && !strings.Contains(host, ":") {
		checkLabels(host, add)
	}
	return sp, probs
}

// cutRealm splits a Kerberos realm suffix ("@CORP.EXAMPLE.COM") off the part
// of an SPN after "class/". A suffix containing "/" is not a realm.
func cutRealm(rest string) (before, realm string, ok bool) {
	i := strings.LastIndexByte(rest, '@')
	if i < 0 || strings.Contains(rest[i+1:], "/") {
		return rest, "", false
	}
	return rest[:i], rest[i+1:], true
}

// checkLabels reports DNS label problems of a host name (RFC 952/1123): an
// empty label, one starting or ending with a hyphen or longer than 63
// characters, and (advisory) underscores.
func checkLabels(host string, add func(ProblemKind, string, ...any)) {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	for _, l := range labels {
		switch {
		case l == "":
			add(ProblemHostLabel, "host %q has an empty label; clients never request such a name", host)
		case strings.HasPrefix(l, "-"):
			add(ProblemHostLabel, "host label %q starts with a hyphen, which DNS host names cannot (RFC 952/1123), so clients never request it; such values usually come from a name whose prefix was lost (an empty variable in a script)", l)
		case strings.HasSuffix(l, "-"):
			add(ProblemHostLabel, "host label %q ends with a hyphen, which DNS host names cannot (RFC 952/1123), so clients never request it", l)
		case len(l) > 63:
			add(ProblemHostLabel, "host label %.20q... is longer than 63 characters (RFC 1035)", l)
		}
	}
	if strings.Contains(host, "_") {
		add(ProblemUnderscore, "host %q contains '_', which is not valid in a DNS host name (RFC 952/1123): standard resolvers and some clients refuse it, though Windows DNS, NetBIOS and browsers accept it; keep the SPN only if clients really reach the server by this name", host)
	}
}

func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func isWebClass(c string) bool {
	return strings.EqualFold(c, "http") || strings.EqualFold(c, "https") || strings.EqualFold(c, "www")
}

// badHostRune reports characters that cannot appear in a DNS or NetBIOS host
// name as clients send it ('_' is left to checkLabels, which flags it as
// advisory: it exists in real DNS).
func badHostRune(r rune) bool {
	if r == '.' || r == '-' || r == '_' {
		return false
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// String formats the SPN. A parsed SPN returns exactly the text it was parsed
// from (so malformed values round-trip into setspn -D commands).
func (s SPN) String() string {
	if s.parsed {
		return s.raw
	}
	var b strings.Builder
	b.WriteString(s.ServiceClass)
	b.WriteByte('/')
	b.WriteString(s.Host)
	if s.Port != 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(s.Port))
	}
	if s.ServiceName != "" {
		b.WriteByte('/')
		b.WriteString(s.ServiceName)
	}
	return b.String()
}

// Key returns the lower-case form used to compare SPNs: Active Directory
// compares servicePrincipalName values case-insensitively.
func (s SPN) Key() string { return strings.ToLower(s.String()) }

// Equal reports whether s and o are the same SPN, ignoring case.
func (s SPN) Equal(o SPN) bool { return strings.EqualFold(s.String(), o.String()) }

// Problems returns what is wrong with the SPN; nil for a well-formed one.
func (s SPN) Problems() []Problem {
	_, probs := parse(s.String())
	return probs
}

// WithClass returns the SPN with another service class (e.g. HOST for HTTP),
// keeping host, port and service name.
func (s SPN) WithClass(class string) SPN {
	return SPN{ServiceClass: class, Host: s.Host, Port: s.Port, ServiceName: s.ServiceName}
}

// Repaired returns the SPN a malformed value most likely meant: the URL
// scheme, web paths, a realm suffix and a trailing dot removed, surrounding
// whitespace trimmed, an unreadable port dropped. It reports false when the
// SPN has no problem other than advisory ones, or cannot be repaired (no
// class, empty host, whitespace inside, an invalid host label). The result
// may keep an advisory problem ("HTTP/web_01@CORP.COM" gives "HTTP/web_01").
func (s SPN) Repaired() (SPN, bool) {
	if len(serious(s.Problems())) == 0 {
		return s, false
	}
	raw := strings.TrimSpace(s.String())
	class, rest, ok := strings.Cut(raw, "/")
	if !ok || class == "" {
		return SPN{}, false
	}
	if i := strings.Index(rest, "://"); i >= 0 && isScheme(rest[:i]) {
		rest = rest[i+3:]
	}
	rest, _, _ = cutRealm(rest)
	hostPort, tail, hasTail := strings.Cut(rest, "/")
	c := SPN{ServiceClass: class}
	if hasTail && !isWebClass(class) && tail != "" && !strings.Contains(tail, "/") {
		c.ServiceName = tail
	}
	host := hostPort
	if i := strings.LastIndexByte(hostPort, ':'); i >= 0 {
		host = hostPort[:i]
		if p, err := strconv.Atoi(hostPort[i+1:]); err == nil && p > 0 && p <= 65535 {
			c.Port = p
		}
	}
	c.Host = strings.TrimSuffix(host, ".")
	if len(serious(c.Problems())) > 0 {
		return SPN{}, false
	}
	return c, true
}
