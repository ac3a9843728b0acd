package diagnose

import (
	"encoding/json"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON with the keys documented on
// Report, Finding, CheckResult and VerdictRow.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.normalized())
}

// normalized returns a copy whose nil slices are empty, so JSON shows []
// rather than null for the top-level lists.
func (r *Report) normalized() *Report {
	c := *r
	if c.Verdict == nil {
		c.Verdict = []VerdictRow{}
	}
	if c.Findings == nil {
		c.Findings = []Finding{}
	}
	if c.Results == nil {
		c.Results = []CheckResult{}
	}
	if c.Warnings == nil {
		c.Warnings = []EvidenceWarning{}
	}
	if c.RootCauses == nil {
		c.RootCauses = []RootCause{}
	}
	if c.Plan == nil {
		c.Plan = []PlanStep{}
	}
	if c.AfterPlan.Remaining == nil {
		c.AfterPlan.Remaining = []string{}
	}
	if c.AfterPlan.NotSimulated == nil {
		c.AfterPlan.NotSimulated = []string{}
	}
	return &c
}

// findingGroup is a verdict row (or the rest) with its findings.
type findingGroup struct {
	Row      *VerdictRow // nil for "other findings"
	Findings []Finding
}

// has reports whether f is behind the row: listed in Members, or, for a
// row without Members (hand-made or older reports), of a listed check.
func (v *VerdictRow) has(f Finding) bool {
	if len(v.Members) > 0 {
		for _, m := range v.Members {
			if m.CheckID == f.CheckID && m.Subject == f.Subject {
				return true
			}
		}
		return false
	}
	for _, id := range v.Findings {
		if id == f.CheckID {
			return true
		}
	}
	return false
}

// groupFindings puts each finding under the first verdict row it is behind, and the rest in a final group; within a group findings are
// ordered by subject, then severity (errors first), then check ID.
func (r *Report) groupFindings() []findingGroup {
	var groups []findingGroup
	used := make([]bool, len(r.Findings))
	for i := range r.Verdict {
		row := &r.Verdict[i]
		g := findingGroup{Row: row}
		for j, f := range r.Findings {
			if used[j] || !row.has(f) {
				continue
			}
			g.Findings = append(g.Findings, f)
			used[j] = true
		}
		groups = append(groups, g)
	}
	rest := findingGroup{}
	for j, f := range r.Findings {
		if !used[j] {
			rest.Findings = append(rest.Findings, f)
		}
	}
	if len(rest.Findings) > 0 {
		groups = append(groups, rest)
	}
	for _, g := range groups {
		sortBySubject(g.Findings)
	}
	return groups
}

func sortBySubject(fs []Finding) {
	// Stable insertion order from the report (severity, check, subject)
	// then grouped by subject in order of first appearance.
	order := map[string]int{}
	for _, f := range fs {
		k := strings.ToLower(f.Subject)
		if _, ok := order[k]; !ok {
			order[k] = len(order)
		}
	}
	tmp := append([]Finding(nil), fs...)
	i := 0
	for n := 0; n < len(order); n++ {
		for _, f := range tmp {
			if order[strings.ToLower(f.Subject)] == n {
				fs[i] = f
				i++
			}
		}
	}
}

// statusCounts counts check results per status.
func (r *Report) statusCounts() map[Status]int {
	m := map[Status]int{}
	for _, res := range r.Results {
		m[res.Status]++
	}
	return m
}

// Where returns the evidence location for people: "source:line" when the
// locator is a line number, the locator alone when it already names the
// source, else "source (locator)".
func (e EvidenceRef) Where() string {
	switch {
	case e.Locator == "":
		return e.Source
	case e.Source == "" || strings.HasPrefix(e.Locator, e.Source+":") || strings.HasPrefix(e.Locator, e.Source+" "):
		return e.Locator
	case e.Locator[0] >= '0' && e.Locator[0] <= '9':
		return e.Source + ":" + e.Locator
	}
	return e.Source + " (" + e.Locator + ")"
}
