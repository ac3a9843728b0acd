package diagnose

// This file holds the diagnosis part of a Report: the summary, the root
// causes with their mutually exclusive choices, the ordered plan built from
// the recommended choices, and what remains after the plan was simulated.
// See rootcause.go for how they are built and simulate.go for the
// simulation.

// Run statuses of a report's Summary.
const (
	// StatusHealthy: no error finding, no knowledge-article row that needs
	// investigation, and every piece of supplied evidence was used.
	StatusHealthy = "healthy"
	// StatusProblems: an error finding, or a row of the knowledge article's
	// table that is not expected behaviour.
	StatusProblems = "problems"
	// StatusInconclusive: no problem found, but supplied evidence could not
	// be used or nothing could be verified.
	StatusInconclusive = "inconclusive"
)

// Summary is the answer in a few values: the run's status, the counts
// behind it, and the supplied evidence that could not be used.
type Summary struct {
	// Status is "healthy", "problems" or "inconclusive" (see the Status*
	// constants).
	Status string `json:"status"`
	// Headline states the answer in one sentence.
	Headline string `json:"headline"`
	// Errors, Warnings and Infos count the findings per severity.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	// RootCauses counts the root causes.
	RootCauses int `json:"root_causes"`
	// Passed, Failed, NotVerified, Skipped and CheckErrors count the check
	// results per status.
	Passed      int `json:"passed"`
	Failed      int `json:"failed"`
	NotVerified int `json:"not_verified"`
	Skipped     int `json:"skipped"`
	CheckErrors int `json:"check_errors"`
	// Unusable lists the supplied evidence that could not be used (a file
	// that did not parse, a log without one readable line).
	Unusable []UnusableEvidence `json:"unusable,omitempty"`
}

// RootCause is one cause behind one or more findings: the findings it
// explains (on every path, SPN or account they concern), the symptoms in
// logs, tickets and traces that corroborate it, and the ways to fix it.
type RootCause struct {
	// ID is "RC1", "RC2", ... in report order (errors first).
	ID string `json:"id"`
	// Title states the cause in one line.
	Title string `json:"title"`
	// Severity is the highest severity of its findings.
	Severity Severity `json:"severity"`
	// Kind is the stable cause key shared by its findings
	// ("auth-persist-non-ntlm", "spn-owner", ...).
	Kind string `json:"kind"`
	// Subjects are the paths, SPNs or accounts concerned.
	Subjects []string `json:"subjects,omitempty"`
	// Findings are the IDs of the findings that share this cause.
	Findings []string `json:"findings"`
	// Symptoms are findings from logs, tickets and traces that this cause
	// explains.
	Symptoms []Symptom `json:"symptoms"`
	// Choices are mutually exclusive ways to fix the cause; exactly one is
	// recommended when there is any.
	Choices []Choice `json:"choices"`
	// Resolved is true when the simulation of the plan shows none of the
	// cause's findings left.
	Resolved bool `json:"resolved"`
}

// Symptom is an observation that corroborates a root cause.
type Symptom struct {
	// Finding is the ID of the finding that reports it.
	Finding string `json:"finding"`
	// CheckID is the check that reported it.
	CheckID string `json:"check_id"`
	// Summary is the finding's message, shortened to one sentence.
	Summary string `json:"summary"`
}

// Choice is one way to fix a root cause.
type Choice struct {
	// Summary is a verb phrase ("Set authPersistNonNTLM to True on ...").
	Summary string `json:"summary"`
	// Recommended marks the choice the plan follows.
	Recommended bool `json:"recommended"`
	// Reason says why this choice is (or is not) recommended.
	Reason string `json:"reason,omitempty"`
	// Steps are the IDs of the plan steps that carry it out (recommended
	// choice only).
	Steps []string `json:"steps"`
	// Tradeoff states the cost of this choice.
	Tradeoff string `json:"tradeoff,omitempty"`
	// Actions are the changes the choice makes, as structured data.
	Actions []Action `json:"actions,omitempty"`
}

// Where a plan step runs.
const (
	WhereIISServer       = "iis-server"
	WhereActiveDirectory = "active-directory"
	WhereClient          = "client"
	WhereDNS             = "dns"
	WhereNetwork         = "network"
)

// Shells of a plan step.
const (
	ShellCmd        = "cmd"
	ShellPowerShell = "powershell"
)

// PlanStep is one step of the plan: commands for one shell on one kind of
// machine.
type PlanStep struct {
	// ID is "S1", "S2", ... in execution order.
	ID string `json:"id"`
	// Where is "iis-server", "active-directory", "client", "dns" or
	// "network".
	Where string `json:"where"`
	// Shell is "cmd" or "powershell"; empty for a step without commands.
	Shell string `json:"shell,omitempty"`
	// Summary says what the step does.
	Summary string `json:"summary"`
	// Commands are exact commands for Shell, run in order.
	Commands []string `json:"commands"`
	// Resolves are the IDs of the root causes the step contributes to.
	Resolves []string `json:"resolves"`
	// Tradeoff states the cost of the step, if any.
	Tradeoff string `json:"tradeoff,omitempty"`
}

// AfterPlan is what the simulation of the plan leaves.
type AfterPlan struct {
	// Errors and Warnings count the findings left after the plan's changes
	// were applied to a copy of the evidence and the checks ran again
	// (symptoms from logs and traces count as resolved when their root
	// cause is).
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// Remaining lists the findings left ("SPN001 HTTP/web01: ...").
	Remaining []string `json:"remaining"`
	// NotSimulated lists what the simulation cannot show (client tickets,
	// DNS, steps without a model).
	NotSimulated []string `json:"not_simulated"`
}

// UnusableEvidence is supplied evidence that could not be used.
type UnusableEvidence struct {
	// Kind is the evidence kind it would have been.
	Kind EvidenceKind `json:"kind"`
	// Source names the file or input.
	Source string `json:"source"`
	// Reason says why it could not be used.
	Reason string `json:"reason"`
}
