package diagnose

import (
	"context"
	"encoding/json"
	"fmt"
	"go/token"
	"regexp"
	"strings"
)

// Severity ranks a finding. The zero value is Info.
type Severity int

// Severities, from least to most serious.
const (
	Info Severity = iota
	Warning
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// ParseSeverity parses "info", "warning" or "error" (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return Info, fmt.Errorf("diagnose: unknown severity %q (want info, warning or error)", s)
}

// MarshalText encodes the severity as its name, so JSON shows "warning".
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Error {
		return nil, fmt.Errorf("diagnose: invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// EvidenceKind names one kind of evidence a check can require.
type EvidenceKind string

// Evidence kinds. A check lists the kinds it needs in Check.Requires (all of
// them) or Check.RequiresAny (at least one); when they are absent the check is
// skipped and the report says which evidence was missing.
const (
	EvConfig    EvidenceKind = "config"     // Evidence.Config: a parsed applicationHost.config
	EvHost      EvidenceKind = "host"       // Evidence.Host: computer name, FQDN, domain or realm
	EvDirectory EvidenceKind = "directory"  // Evidence.Directory: LDAP, setspn/ldifde output or memory
	EvDNS       EvidenceKind = "dns"        // Evidence.Resolver: CNAME lookups
	EvTickets   EvidenceKind = "tickets"    // Evidence.Klists or Evidence.TicketRequests
	EvProbe     EvidenceKind = "probe"      // Evidence.Probes: live Negotiate handshakes
	EvTokens    EvidenceKind = "tokens"     // Evidence.Tokens: decoded Authorization/WWW-Authenticate tokens
	EvIISLogs   EvidenceKind = "iis-logs"   // Evidence.IISLogs: W3C logs
	EvAgentLogs EvidenceKind = "agent-logs" // Evidence.AgentLogs: Symantec Management Agent logs
	EvSMPLogs   EvidenceKind = "smp-logs"   // Evidence.SMPLogs: Notification Server logs
	EvScenario  EvidenceKind = "scenario"   // Evidence.Scenario: facts such as "NTLM is disabled"
	EvEvents    EvidenceKind = "events"     // Evidence.Events: Windows event exports (XML, JSON)
	EvKeys      EvidenceKind = "keys"       // Evidence.Keys: service keys (keytabs, password-derived)
	// EvUnrecognised marks supplied files that matched no evidence kind
	// (Evidence.Unusable only; no check requires it).
	EvUnrecognised EvidenceKind = "unrecognised"
)

// Check is one diagnostic: plain data plus a run function, in the style of
// golang.org/x/tools/go/analysis. IDs are stable API: never renumbered, never
// reused.
type Check struct {
	// ID is the stable identifier, three capital letters and three digits
	// ("IIS006").
	ID string
	// Name is a Go identifier naming the check ("AuthPersistNonNTLM").
	Name string
	// Doc is a title line, a blank line and an explanation of what the check
	// detects and why it matters. docs/checks.md is generated from it.
	Doc string
	// Severity is the default severity of the check's findings; a finding
	// may set its own, and Options.Severity overrides both.
	Severity Severity
	// Requires lists evidence kinds that must all be present.
	Requires []EvidenceKind
	// RequiresAny lists evidence kinds of which at least one must be present.
	RequiresAny []EvidenceKind
	// Run inspects p.Evidence and reports findings with p.Report. A returned
	// error (or a panic) makes the check's result "error"; other checks
	// still run.
	Run func(ctx context.Context, p *Pass) error
}

// Title returns the first line of the check's Doc.
func (c *Check) Title() string {
	t, _, _ := strings.Cut(c.Doc, "\n")
	return strings.TrimSpace(t)
}

// Explanation returns the check's Doc without its title line.
func (c *Check) Explanation() string {
	_, rest, _ := strings.Cut(c.Doc, "\n")
	return strings.TrimSpace(rest)
}

// jsonCheck is the JSON form of a check (without its run function).
type jsonCheck struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Title       string         `json:"title"`
	Doc         string         `json:"doc"`
	Severity    Severity       `json:"severity"`
	Requires    []EvidenceKind `json:"requires,omitempty"`
	RequiresAny []EvidenceKind `json:"requires_any,omitempty"`
}

// MarshalJSON encodes the check's data (ID, name, title, doc, severity,
// required evidence); the run function is not encoded.
func (c *Check) MarshalJSON() ([]byte, error) {
	return json.Marshal(&jsonCheck{ID: c.ID, Name: c.Name, Title: c.Title(), Doc: c.Doc,
		Severity: c.Severity, Requires: c.Requires, RequiresAny: c.RequiresAny})
}

// Checks returns the full catalogue, in a fixed order (IIS, SPN, KRB/NEG,
// LOG). Each call returns fresh values; callers may modify them. There is no
// global registry: to add a check, append it to this list in your own code
// and pass it with Options.Extra.
func Checks() []*Check {
	var all []*Check
	all = append(all, iisChecks()...)
	all = append(all, spnChecks()...)
	all = append(all, krbNegChecks()...)
	all = append(all, krb003Check())
	all = append(all, logChecks()...)
	all = append(all, evtChecks()...)
	return all
}

var idPattern = regexp.MustCompile(`^[A-Z]{3}[0-9]{3}$`)

var knownKinds = map[EvidenceKind]bool{
	EvConfig: true, EvHost: true, EvDirectory: true, EvDNS: true, EvTickets: true, EvProbe: true,
	EvTokens: true, EvIISLogs: true, EvAgentLogs: true, EvSMPLogs: true, EvScenario: true, EvEvents: true, EvKeys: true,
}

// Validate reports whether the check is well formed: an ID of three capital
// letters and three digits, a Go identifier as Name, a Doc of title line,
// blank line and explanation, a valid severity, known evidence kinds and a
// run function. Diagnose refuses to run an invalid check.
func (c *Check) Validate() error {
	bad := func(format string, args ...any) error {
		id := "<nil>"
		if c != nil {
			id = c.ID
		}
		return &OptionsError{Field: "Check", Value: id, Problem: fmt.Sprintf(format, args...)}
	}
	if c == nil {
		return bad("nil check")
	}
	if !idPattern.MatchString(c.ID) {
		return bad("ID must match ^[A-Z]{3}[0-9]{3}$")
	}
	if !token.IsIdentifier(c.Name) {
		return bad("Name %q is not a Go identifier", c.Name)
	}
	lines := strings.Split(c.Doc, "\n")
	if len(lines) < 3 || strings.TrimSpace(lines[0]) == "" || strings.TrimSpace(lines[1]) != "" ||
		strings.TrimSpace(strings.Join(lines[2:], "\n")) == "" {
		return bad("Doc must be a title line, a blank line and an explanation")
	}
	if c.Severity < Info || c.Severity > Error {
		return bad("invalid severity %d", int(c.Severity))
	}
	for _, k := range append(append([]EvidenceKind(nil), c.Requires...), c.RequiresAny...) {
		if !knownKinds[k] {
			return bad("unknown evidence kind %q", k)
		}
	}
	if c.Run == nil {
		return bad("no Run function")
	}
	return nil
}
