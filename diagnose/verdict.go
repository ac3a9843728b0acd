package diagnose

import (
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/negotiate"
)

// VerdictRow is one row of the knowledge article's "expected vs
// problematic" table that applies to the evidence.
type VerdictRow struct {
	// ID is the row's stable short identifier ("task-server-registration"):
	// the same in every version, unlike the wording.
	ID string `json:"id"`
	// Title is the row's scenario text, as in the article (same as Scenario).
	Title string `json:"title"`
	// Scenario is the row's scenario text, as in the article.
	Scenario string `json:"scenario"`
	// Expected is true for behaviour that is normal ("yes" in the table).
	Expected bool `json:"expected"`
	// Action is the row's action ("Investigate", "Optional tuning").
	Action string `json:"action"`
	// ActionID is Action as a lower-case name ("investigate",
	// "optional-tuning", "usually-none", "full-kerberos-validation").
	ActionID string `json:"action_id"`
	// Findings are the IDs of the checks whose findings put the row in the
	// verdict, in report order, each once.
	Findings []string `json:"findings"`
	// Reason explains in one sentence why the row applies.
	Reason string `json:"reason,omitempty"`
	// Members are the findings behind the row (check and subject): a check
	// can put some of its findings in a row and not others (IIS006 on a
	// Task Server path but not on the console).
	Members []FindingKey `json:"members,omitempty"`
}

// FindingKey identifies a finding within a report.
type FindingKey struct {
	CheckID string `json:"check_id"`
	Subject string `json:"subject"`
}

// The scenario texts of the knowledge article's table (Broadcom article
// 434345, "When Is This Behavior Expected vs Problematic"), in its order.
const (
	ScenarioFirewallIdentity   = "Firewall shows a service/system account, but the application functions correctly"
	ScenarioKerberosFallback   = "Kerberos attempt fails, then NTLM succeeds"
	ScenarioTaskServer         = "Agents cannot register with Task Server"
	ScenarioRepeatedAuthErrors = "Repeated authentication errors appear in logs"
	ScenarioNTLMDisabled       = "Kerberos is required because NTLM is disabled"
)

// Stable IDs of the knowledge article's rows (VerdictRow.ID).
const (
	VerdictFirewallIdentity   = "firewall-identity"
	VerdictKerberosFallback   = "kerberos-fallback"
	VerdictTaskServer         = "task-server-registration"
	VerdictRepeatedAuthErrors = "repeated-auth-errors"
	VerdictNTLMDisabled       = "ntlm-disabled"
)

type verdictDef struct {
	id, scenario string
	expected     bool
	action       string
	actionID     string
}

var verdictTable = [...]verdictDef{
	{VerdictFirewallIdentity, ScenarioFirewallIdentity, true, "Usually none", "usually-none"},
	{VerdictKerberosFallback, ScenarioKerberosFallback, true, "Optional tuning", "optional-tuning"},
	{VerdictTaskServer, ScenarioTaskServer, false, "Investigate", "investigate"},
	{VerdictRepeatedAuthErrors, ScenarioRepeatedAuthErrors, false, "Investigate", "investigate"},
	{VerdictNTLMDisabled, ScenarioNTLMDisabled, false, "Full Kerberos validation required", "full-kerberos-validation"},
}

// Which checks' findings put which rows in the verdict, independent of the
// finding's subject. Task Server membership also follows from the subject
// (a warning or error on a path or URI whose profile role is task-server).
var verdictByCheck = map[string][]string{
	"NEG002": {ScenarioKerberosFallback},
	"LOG001": {ScenarioTaskServer, ScenarioRepeatedAuthErrors},
	"LOG002": {ScenarioRepeatedAuthErrors},
}

// computeVerdict decides which table rows apply.
func computeVerdict(ev *Evidence, prof *Profile, rep *Report) []VerdictRow {
	ids := map[string][]string{}
	members := map[string][]FindingKey{}
	reasons := map[string]string{}
	add := func(row string, f Finding) {
		k := FindingKey{CheckID: f.CheckID, Subject: f.Subject}
		for _, x := range members[row] {
			if x == k {
				return
			}
		}
		members[row] = append(members[row], k)
		for _, x := range ids[row] {
			if x == f.CheckID {
				return
			}
		}
		ids[row] = append(ids[row], f.CheckID)
	}
	applies := map[string]bool{}
	// Failed registrations are a symptom the agent or IIS logs show; a
	// configuration finding on a Task Server path explains the row but does
	// not make it apply.
	registration := false
	for _, f := range rep.Findings {
		if f.Severity == Info {
			continue
		}
		switch f.CheckID {
		case "LOG001":
			registration = true
		case "LOG002":
			if pp, ok := prof.Match(f.Subject); ok && pp.Role == RoleTaskServer {
				registration = true
			}
		}
	}
	for _, f := range rep.Findings {
		for _, row := range verdictByCheck[f.CheckID] {
			if row == ScenarioTaskServer && !registration {
				continue
			}
			if row == ScenarioKerberosFallback || f.Severity > Info {
				applies[row] = true
				add(row, f)
			}
		}
		if f.Severity > Info && registration {
			if pp, ok := prof.Match(f.Subject); ok && pp.Role == RoleTaskServer {
				applies[ScenarioTaskServer] = true
				add(ScenarioTaskServer, f)
			}
		}
	}
	if applies[ScenarioTaskServer] {
		reasons[ScenarioTaskServer] = "the logs show failed registrations; the root causes below explain them"
	}
	if applies[ScenarioRepeatedAuthErrors] {
		reasons[ScenarioRepeatedAuthErrors] = "the logs show authentication failures beyond the normal Negotiate handshake"
	}
	if applies[ScenarioKerberosFallback] {
		reasons[ScenarioKerberosFallback] = "Kerberos failed and NTLM completed: normal fallback while both providers are enabled"
	}

	// Firewall identity: a row only when the administrator says a firewall
	// shows a service account; Kerberos on the wire alone is a note.
	if ev.Scenario.FirewallShowsServiceAccount {
		applies[ScenarioFirewallIdentity] = true
		reasons[ScenarioFirewallIdentity] = "reported by the administrator; a firewall cannot read the user from a Kerberos ticket"
		if kerb, kerbSource := kerberosOnWire(ev); kerb {
			reasons[ScenarioFirewallIdentity] += " (Kerberos is in use: " + kerbSource + ")"
		}
		for _, f := range rep.Findings {
			if strings.HasPrefix(f.CheckID, "NEG") && f.Severity == Info || f.CheckID == "EVT006" {
				add(ScenarioFirewallIdentity, f)
			}
		}
		for _, f := range rep.Findings {
			if f.CheckID == "EVT006" {
				reasons[ScenarioFirewallIdentity] += "; the Windows events show service or computer accounts authenticating from client addresses (EVT006)"
				break
			}
		}
	}

	if ev.Scenario.NTLMDisabled {
		n := 0
		for _, f := range rep.Findings {
			if f.Severity > Info {
				add(ScenarioNTLMDisabled, f)
				n++
			}
		}
		unverified := 0
		for _, r := range rep.Results {
			if r.Status == StatusNotVerified {
				unverified++
			}
		}
		switch {
		case n > 0:
			applies[ScenarioNTLMDisabled] = true
			reasons[ScenarioNTLMDisabled] = fmt.Sprintf("NTLM is disabled in the domain: with no fallback, %s blocks Kerberos for some clients", plural(n, "finding", "findings"))
		case unverified > 0:
			applies[ScenarioNTLMDisabled] = true
			reasons[ScenarioNTLMDisabled] = fmt.Sprintf("NTLM is disabled in the domain: every client must complete Kerberos, and %s could not be verified with the evidence given", plural(unverified, "check", "checks"))
		}
	}

	rows := []VerdictRow{}
	for _, d := range verdictTable {
		if !applies[d.scenario] {
			continue
		}
		f := ids[d.scenario]
		if f == nil {
			f = []string{}
		}
		rows = append(rows, VerdictRow{ID: d.id, Title: d.scenario, Scenario: d.scenario, Expected: d.expected, Action: d.action, ActionID: d.actionID,
			Findings: f, Reason: reasons[d.scenario], Members: members[d.scenario]})
	}
	return rows
}

// kerberosOnWire reports whether the evidence shows Kerberos authenticating
// to the server, and where: a probe that authenticated with Kerberos, a
// traced request carrying a Kerberos AP-REQ that was answered 2xx/3xx, or a
// Kerberos AP-REP (mutual authentication: the server accepted the ticket).
// An AP-REQ alone is not enough: it may have been refused. It reads the
// handshake model (handshakesFor).
func kerberosOnWire(ev *Evidence) (bool, string) {
	hs := handshakesFor(ev)
	for _, h := range hs {
		if h.Kind == HandshakeProbe && h.Authenticated && h.Mechanism == MechKerberos {
			return true, "probe of " + h.URL + " authenticated with Kerberos"
		}
	}
	for _, h := range hs {
		if h.Kind != HandshakeTrace {
			continue
		}
		for _, r := range h.Rounds {
			if r.Request == nil || r.Response == nil || r.Response.Status < 200 || r.Response.Status >= 400 {
				continue
			}
			if a := r.Request.Auth; a != nil && a.MessageType == MsgAPReq {
				return true, fmt.Sprintf("Kerberos AP-REQ in %s:%d answered %d", h.Source, r.Request.Line, r.Response.Status)
			}
		}
	}
	for _, h := range hs {
		if h.Kind == HandshakeProbe {
			continue
		}
		for _, r := range h.Rounds {
			for _, a := range roundTokens(&r) {
				if a.MessageType != MsgAPRep {
					continue
				}
				src := r.Source
				if h.Kind == HandshakeTrace {
					src = fmt.Sprintf("%s:%d", h.Source, a.Line)
				}
				return true, "Kerberos AP-REP (the server accepted the ticket) in " + src
			}
		}
	}
	return false, ""
}

func isKind(t *negotiate.Token, k negotiate.TokenKind) bool {
	return t != nil && (t.Kind == k || t.InnerKind == k)
}

func detectProfile(ev *Evidence) *Profile {
	switch strings.ToLower(ev.Host.Role) {
	case "notification-server", "task-server", "package-server":
		return ITMSProfile()
	}
	if cfg := ev.Config; cfg != nil {
		for _, site := range cfg.Sites {
			for _, app := range site.Applications {
				if under(app.Path, "Altiris") {
					return ITMSProfile()
				}
			}
		}
		for _, l := range cfg.Locations {
			if _, rest, ok := strings.Cut(normPath(l.Path), "/"); ok && under(rest, "Altiris") {
				return ITMSProfile()
			}
		}
	}
	return GenericProfile()
}
