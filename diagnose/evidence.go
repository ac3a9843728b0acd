package diagnose

import (
	"context"
	"io"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/iiskerb/iiskerb/spn"
)

// Evidence is everything Diagnose may look at. Every part is optional: a
// check whose evidence is missing is reported as skipped, so the report
// always shows what was not verified. Build it by hand, with LoadBundle, or
// both (load a bundle, then add a live Directory or Probes).
type Evidence struct {
	// Config is the parsed applicationHost.config.
	Config *iisconfig.Config
	// ConfigSource names where Config came from ("applicationHost.config"),
	// used in findings' evidence references.
	ConfigSource string
	// Host names the IIS server: needed to compute the SPNs clients ask for.
	Host Host
	// Directory answers who owns SPNs: LDAP, setspn/ldifde output or memory.
	Directory spn.Directory
	// Klists are parsed klist outputs from clients.
	Klists []*negotiate.Klist
	// KlistSources names the file of each Klists entry (same index), when
	// known.
	KlistSources []string
	// TicketRequests are service tickets requested for the server's SPNs
	// (negotiate.RequestTicket), with their errors.
	TicketRequests []TicketRequest
	// Probes are live Negotiate handshakes (negotiate.Probe).
	Probes []*negotiate.Transcript
	// HTTPTraces are raw HTTP exchanges (LoadBundle's http/*.txt); their
	// tokens are also in Tokens.
	HTTPTraces []*HTTPTrace
	// Tokens are Negotiate/Kerberos/NTLM tokens seen in HTTP headers.
	Tokens []ObservedToken
	// IISLogs, AgentLogs and SMPLogs are opened lazily by the checks that
	// read them.
	IISLogs, AgentLogs, SMPLogs []LogFile
	// Keys are service keys (negotiate.LoadKeytab, KeysFromPassword) that
	// KRB003 tries on the Kerberos tickets captured in HTTP traces. They are
	// never printed.
	Keys []negotiate.Key
	// Events are Windows event exports (wevtutil or Event Viewer XML, JSON
	// from a SIEM) from the IIS server and the domain controllers, read by
	// diagnose/winevent when an EVT check needs them.
	Events []LogFile
	// Resolver answers CNAME lookups for binding host names (nil: no DNS
	// evidence).
	Resolver Resolver
	// Scenario holds facts about the environment the evidence cannot show.
	Scenario Scenario
	// Warnings are problems met while gathering the evidence (LoadBundle
	// fills it); they are copied into the report.
	Warnings []EvidenceWarning
	// Unusable lists supplied evidence that could not be used (a config
	// that does not parse, a file that is not klist output). A check that
	// needs a kind of evidence that was supplied but unusable is "not
	// verified", not skipped, and the report's status cannot be healthy.
	Unusable []UnusableEvidence
}

// Host describes the IIS server.
type Host struct {
	// Computer is the NetBIOS computer name ("NS01").
	Computer string `json:"computer,omitempty"`
	// FQDN is the DNS name ("ns01.example.com").
	FQDN string `json:"fqdn,omitempty"`
	// Domain is the NetBIOS domain name ("EXAMPLE") used in DOMAIN\account.
	Domain string `json:"domain,omitempty"`
	// Realm is the Kerberos realm ("EXAMPLE.COM").
	Realm string `json:"realm,omitempty"`
	// Role is "notification-server", "task-server", "web" or empty.
	Role string `json:"role,omitempty"`
	// Aliases are other names clients use for the server (load-balancer
	// names, DNS aliases).
	Aliases []string `json:"aliases,omitempty"`
	// CNAMEs maps an alias to its canonical name, when known without DNS.
	CNAMEs map[string]string `json:"cnames,omitempty"`
}

// IsZero reports whether no host fact is known.
func (h Host) IsZero() bool {
	return h.Computer == "" && h.FQDN == "" && h.Domain == "" && h.Realm == "" &&
		h.Role == "" && len(h.Aliases) == 0 && len(h.CNAMEs) == 0
}

// Names returns the distinct host names clients may use: computer name,
// FQDN and aliases, in that order, compared case-insensitively.
func (h Host) Names() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSuffix(strings.TrimSpace(s), ".")
		if s == "" || seen[strings.ToLower(s)] {
			return
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	add(h.Computer)
	add(h.FQDN)
	for _, a := range h.Aliases {
		add(a)
	}
	return out
}

// Scenario holds facts about the environment that the evidence cannot show.
type Scenario struct {
	// NTLMDisabled: NTLM is disabled in the domain, so Kerberos must work.
	NTLMDisabled bool `json:"ntlm_disabled,omitempty"`
	// NonDomainClients: some clients (CEM, workgroup) cannot use Kerberos.
	NonDomainClients bool `json:"non_domain_clients,omitempty"`
	// TLSInspection: a device between clients and IIS terminates or
	// inspects TLS.
	TLSInspection bool `json:"tls_inspection,omitempty"`
	// FirewallShowsServiceAccount: an identity-aware firewall attributes the
	// traffic to a service, machine or unknown identity.
	FirewallShowsServiceAccount bool `json:"firewall_service_account,omitempty"`
}

// IsZero reports whether no scenario fact is set.
func (s Scenario) IsZero() bool { return s == Scenario{} }

// ObservedToken is a token seen in an HTTP header.
type ObservedToken struct {
	// Source names where it was seen ("http/agent-register.txt:12").
	Source string `json:"source"`
	// Header is "Authorization" or "WWW-Authenticate".
	Header string `json:"header"`
	// Token is the decoded token.
	Token *negotiate.Token `json:"-"`
}

// TicketRequest is the outcome of requesting a service ticket for an SPN.
type TicketRequest struct {
	// SPN is the service principal name asked for ("HTTP/ns01.example.com").
	SPN string
	// Ticket is the ticket obtained, nil on failure.
	Ticket *negotiate.Ticket
	// Err is the failure (often a *negotiate.KDCError), nil on success.
	Err error
}

// LogFile is a log that a check opens when it needs it.
type LogFile struct {
	// Name identifies the log in findings ("logs/iis/W3SVC1/u_ex260124.log").
	Name string
	// Open returns the raw bytes (any encoding; the log readers detect it).
	Open func() (io.ReadCloser, error)
}

// Resolver looks up DNS aliases.
type Resolver interface {
	// LookupCNAME returns the canonical name of host (host itself when it
	// is not an alias).
	LookupCNAME(ctx context.Context, host string) (string, error)
}

// Has reports whether evidence of kind k is present.
func (ev *Evidence) Has(k EvidenceKind) bool {
	if ev == nil {
		return false
	}
	switch k {
	case EvConfig:
		return ev.Config != nil
	case EvTickets:
		return len(ev.Klists) > 0 || len(ev.TicketRequests) > 0
	case EvHost:
		return ev.Host.Computer != "" || ev.Host.FQDN != "" || len(ev.Host.Aliases) > 0
	case EvDirectory:
		return ev.Directory != nil
	case EvDNS:
		return ev.Resolver != nil || len(ev.Host.CNAMEs) > 0
	case EvProbe:
		return len(ev.Probes) > 0
	case EvTokens:
		// An HTTP trace is evidence of what the server offers even when it
		// carries no token (a request and its 401 challenges).
		return len(ev.Tokens) > 0 || len(ev.HTTPTraces) > 0
	case EvIISLogs:
		return len(ev.IISLogs) > 0
	case EvAgentLogs:
		return len(ev.AgentLogs) > 0
	case EvSMPLogs:
		return len(ev.SMPLogs) > 0
	case EvEvents:
		return len(ev.Events) > 0
	case EvKeys:
		return len(ev.Keys) > 0
	case EvScenario:
		return !ev.Scenario.IsZero()
	}
	return false
}
