package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/spn"
)

// Finding is one problem or observation a check reports.
type Finding struct {
	// ID identifies the finding within the report: its check ID and a
	// sequence number in report order ("IIS007-2"). Root causes and plan
	// steps refer to findings by it.
	ID string `json:"id"`
	// CheckID is the ID of the check that reported it (filled by Pass.Report).
	CheckID string `json:"check_id"`
	// Severity is info, warning or error (Pass.Report fills the check's
	// default when the finding leaves it zero and the check's default is
	// higher; Options.Severity overrides it).
	Severity Severity `json:"severity"`
	// Subject is what the finding is about: a site/path ("Default Web
	// Site/Altiris/TaskManagement/CTAgent"), an SPN, an account or a URI.
	Subject string `json:"subject"`
	// Message says what is wrong and why it matters, in one or two sentences.
	Message string `json:"message"`
	// Evidence points at what the finding is based on.
	Evidence []EvidenceRef `json:"evidence,omitempty"`
	// Remediation lists alternative fixes, the preferred one first.
	Remediation []Remedy `json:"remediation,omitempty"`
	// Cause is the key of the root cause the finding belongs to
	// ("spn-owner:default web site"): findings with the same Cause become
	// one RootCause. Empty: the finding is its own root cause (or, for a
	// symptom, attached to the cause it corroborates).
	Cause string `json:"cause,omitempty"`

	// symptomOf lists the cause kinds (the part of Cause before ':') this
	// finding corroborates, in order of preference: a finding from logs,
	// tickets or traces is then a symptom of that root cause.
	symptomOf []string
}

// Location is a structured form of an evidence locator.
type Location struct {
	// File is the file the evidence is in, when it is a file.
	File string `json:"file,omitempty"`
	// Line is the 1-based line, when known.
	Line int `json:"line,omitempty"`
	// Path is the configuration path of a <location> tag
	// ("Default Web Site/Altiris"), when the evidence is one.
	Path string `json:"path,omitempty"`
}

// EvidenceRef points at one piece of evidence behind a finding.
type EvidenceRef struct {
	// Source names the evidence: a file name ("applicationHost.config",
	// "setspn/computer.txt"), "ldap://..." or "probe https://...".
	Source string `json:"source"`
	// Locator is where in the source: "412" (a line), "applicationHost.config:412
	// (location "Default Web Site/Altiris")", a token's header, a log line.
	Locator string `json:"locator,omitempty"`
	// Detail is the relevant value or excerpt.
	Detail string `json:"detail,omitempty"`
	// Location is Source and Locator in structured form (Diagnose fills it
	// where the locator names a file line or a configuration path).
	Location *Location `json:"location,omitempty"`
}

// Remedy is one way to fix a finding.
type Remedy struct {
	// Summary is a verb phrase ("Set authPersistNonNTLM to True on CTAgent").
	Summary string `json:"summary"`
	// Commands are exact, copy-pasteable commands (setspn, appcmd,
	// PowerShell), run in order.
	Commands []string `json:"commands,omitempty"`
	// Tradeoff states the cost of this remedy, if any (for example the
	// security cost of putting NTLM before Negotiate).
	Tradeoff string `json:"tradeoff,omitempty"`
	// Actions are the structured changes behind Commands; the plan and its
	// simulation use them. A remedy without actions is advice only.
	Actions []Action `json:"actions,omitempty"`
	// Choice keys the remedy across findings of one root cause: remedies
	// with the same Choice are one way to fix the cause ("decrypt-with-pool-
	// account"); empty means the remedy's Summary.
	Choice string `json:"choice,omitempty"`
	// Workaround marks a remedy that hides the cause instead of fixing it
	// (NTLM before Negotiate): it is never the recommended choice.
	Workaround bool `json:"workaround,omitempty"`
}

// Status is the outcome of one check.
type Status string

// Check statuses.
const (
	StatusPassed  Status = "passed"  // ran and reported nothing above info
	StatusFailed  Status = "failed"  // ran and reported at least one warning or error
	StatusSkipped Status = "skipped" // did not run: evidence missing, not selected, or disabled
	StatusError   Status = "error"   // returned an error or panicked
	// StatusNotVerified: the evidence was supplied but could not establish
	// the facts the check needs (an unreadable log, a directory that does
	// not show an attribute); Settle says what would.
	StatusNotVerified Status = "not_verified"
)

// CheckResult is the outcome of one check in a run.
type CheckResult struct {
	// CheckID is the check's ID.
	CheckID string `json:"check_id"`
	// Status is passed, failed, skipped or error.
	Status Status `json:"status"`
	// Reason explains a skip ("no evidence: directory"), an error, what
	// could not be verified, or summarises the findings ("2 findings").
	Reason string `json:"reason,omitempty"`
	// Settle names the evidence that would settle a not-verified result.
	Settle string `json:"settle,omitempty"`
}

// EvidenceWarning is a problem with the evidence itself: a file that could not be
// read or recognised, a truncated log, an unknown app pool referenced by the
// configuration. Warnings never stop a run.
type EvidenceWarning struct {
	// Source is the file or evidence the warning is about.
	Source string `json:"source"`
	// Locator is a line or position in Source, when known.
	Locator string `json:"locator,omitempty"`
	// Message says what was wrong and what was done about it.
	Message string `json:"message"`
}

// String formats the warning as "source:locator: message".
func (w EvidenceWarning) String() string {
	var b strings.Builder
	b.WriteString(w.Source)
	if w.Locator != "" {
		if w.Source != "" {
			b.WriteByte(':')
		}
		b.WriteString(w.Locator)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(w.Message)
	return b.String()
}

// SchemaVersion is the version of the report's JSON contract
// (docs/report.schema.json). The major number changes only when a key is
// removed or changes meaning; additions raise the minor number.
const SchemaVersion = "1.0"

// ToolInfo names the program that made a report.
type ToolInfo struct {
	// Name is "iiskerb".
	Name string `json:"name"`
	// Version is the module version from the build information ("v1.2.0",
	// or "(devel)" for a build from a source tree).
	Version string `json:"version"`
}

// HostInfo is the server a report is about, as the evidence names it.
type HostInfo struct {
	// Names are the computer name, FQDN and aliases (Host.Names).
	Names []string `json:"names"`
	// Role is "notification-server", "task-server", "package-server", "web"
	// or empty.
	Role string `json:"role,omitempty"`
	// Domain and Realm are the NetBIOS domain and Kerberos realm, when given.
	Domain string `json:"domain,omitempty"`
	Realm  string `json:"realm,omitempty"`
}

// Report is the result of Diagnose.
type Report struct {
	// SchemaVersion is the version of the JSON contract (SchemaVersion).
	SchemaVersion string `json:"schema_version"`
	// GeneratedAt is when the report was made (RFC 3339 in JSON).
	GeneratedAt time.Time `json:"generated_at"`
	// Tool names the program and its version.
	Tool ToolInfo `json:"tool"`
	// Host is the server the evidence is about; nil when it names none.
	Host *HostInfo `json:"host,omitempty"`
	// Profile is the name of the profile the run used ("itms", "generic").
	Profile string `json:"profile"`
	// Sources lists what the run looked at, one line per evidence kind
	// present ("config: applicationHost.config (1 site, 7 applications,
	// 2 pools)").
	Sources []string `json:"sources,omitempty"`
	// Verdict lists the rows of the knowledge article's table that apply, in
	// the table's order.
	Verdict []VerdictRow `json:"verdict"`
	// Findings are ordered by severity (errors first), then check ID, then
	// subject.
	Findings []Finding `json:"findings"`
	// Results has one entry per check in the catalogue (and per extra check),
	// in catalogue order, including the checks that were skipped.
	Results []CheckResult `json:"results"`
	// Warnings are problems with the evidence (unreadable files and the like).
	Warnings []EvidenceWarning `json:"warnings"`
	// Exchanges summarise the HTTP authentication exchanges in the evidence
	// (probes and raw traces): what each request carried and what came
	// back, as an observer sees it.
	Exchanges []Exchange `json:"exchanges,omitempty"`
	// Handshakes are the Negotiate handshakes in the evidence (probes, HTTP
	// traces, tokens seen alone) as one typed model: rounds, each request's
	// mechanism and message type, each response's status and challenges,
	// connection reuse, and what each mechanism did. The NEG checks, the
	// verdict and the renderers read it; Exchanges is its text summary. At
	// most 20 are kept (the checks see all).
	Handshakes []Handshake `json:"handshakes,omitempty"`
	// Notes are informational lines about the run that are not findings,
	// such as profile paths that do not exist on this server.
	Notes []string `json:"notes,omitempty"`
	// Summary is the answer: status, counts and unusable evidence.
	Summary Summary `json:"summary"`
	// RootCauses group the findings by cause, with symptoms and choices.
	RootCauses []RootCause `json:"root_causes"`
	// Plan is one ordered plan built from the recommended choices.
	Plan []PlanStep `json:"plan"`
	// AfterPlan is what the simulation of the plan leaves.
	AfterPlan AfterPlan `json:"after_plan"`

	unusable []UnusableEvidence // recorded by checks (Pass.Unusable)
	audit    *spn.Audit         // the directory audit of the run, reused by the simulation
}

// MaxSeverity returns the highest severity among the findings and whether
// there is any finding at all.
func (r *Report) MaxSeverity() (Severity, bool) {
	if len(r.Findings) == 0 {
		return Info, false
	}
	m := Info
	for _, f := range r.Findings {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m, true
}

// HasErrors reports whether any finding has severity Error.
func (r *Report) HasErrors() bool {
	m, ok := r.MaxSeverity()
	return ok && m == Error
}

// Result returns the result of the check with the given ID.
func (r *Report) Result(id string) (CheckResult, bool) {
	for _, res := range r.Results {
		if res.CheckID == id {
			return res, true
		}
	}
	return CheckResult{}, false
}

// FindingsOf returns the findings of the check with the given ID.
func (r *Report) FindingsOf(id string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.CheckID == id {
			out = append(out, f)
		}
	}
	return out
}

// Counts returns the number of findings per severity.
func (r *Report) Counts() (errors, warnings, infos int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		default:
			infos++
		}
	}
	return
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
