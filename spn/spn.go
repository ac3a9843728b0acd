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
	}
	return "unknown problem"
}

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

// Parse parses an SPN. For a value with problems it returns the best-effort
// SPN (String returns the original text, so it can be deleted with setspn -D)
// and a [*SyntaxError] listing every problem.
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
	return sp, probs
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
// name as clients send it ('_' is tolerated: it exists in real DNS).
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
// scheme, web paths and a trailing dot removed, surrounding whitespace
// trimmed, an unreadable port dropped. It reports false when the SPN is
// already well-formed or cannot be repaired (no class, empty host, whitespace
// inside).
func (s SPN) Repaired() (SPN, bool) {
	if len(s.Problems()) == 0 {
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
	if len(c.Problems()) > 0 {
		return SPN{}, false
	}
	return c, true
}
