package diagnose

import (
	"context"

	"errors"
	"fmt"
	"github.com/iiskerb/iiskerb/spn"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Pass is what a check's Run function receives: the evidence, the profile,
// shared data computed once per run, and Report to record findings.
type Pass struct {
	// Check is the check being run.
	Check *Check
	// Evidence is the run's evidence (never nil).
	Evidence *Evidence
	// Profile is the run's profile (never nil).
	Profile *Profile

	run      *runState
	findings []Finding
	// unverified lists facts the check needed but the evidence could not
	// establish (NotVerified); sharedErrs the failures of shared
	// computations the check used.
	unverified []unverifiedFact
	sharedErrs []error
}

type unverifiedFact struct{ what, settle string }

// NotVerified records that a fact the check needs could not be
// established from the evidence given (an unreadable log, a directory
// answer that does not show an attribute): what names the fact, settle the
// evidence that would establish it. A check that records an unverified fact
// and no warning or error gets the result "not_verified", never "passed".
func (p *Pass) NotVerified(what, settle string) {
	for _, u := range p.unverified {
		if u.what == what {
			return
		}
	}
	p.unverified = append(p.unverified, unverifiedFact{what, settle})
}

// runState is shared by every Pass of one Diagnose call.
type runState struct {
	// sim is set in the runs of a plan's simulation.
	sim      *simContext
	mu       sync.Mutex
	shared   map[string]*sharedEntry
	warnings []EvidenceWarning
	notes    []string
	unusable []UnusableEvidence
}

type sharedEntry struct {
	once sync.Once
	v    any
	err  error
}

// Report records a finding. It fills CheckID, and the check's default
// severity when f.Severity is Info (the zero value); use ReportAs to record
// an Info finding from a check whose default is higher.
func (p *Pass) Report(f Finding) {
	if f.Severity == Info {
		f.Severity = p.Check.Severity
	}
	p.ReportAs(f.Severity, f)
}

// ReportAs records a finding with exactly the given severity.
func (p *Pass) ReportAs(sev Severity, f Finding) {
	f.CheckID = p.Check.ID
	f.Severity = sev
	p.findings = append(p.findings, f)
}

// Reportf records a finding with the check's default severity, the given
// subject and a formatted message, with optional evidence and remedies
// added afterwards through the returned pointer (valid until the next
// Report call).
func (p *Pass) Reportf(subject, format string, args ...any) *Finding {
	p.Report(Finding{Subject: subject, Message: fmt.Sprintf(format, args...)})
	return &p.findings[len(p.findings)-1]
}

// Warn records a problem with the evidence (not with the server): a log
// line that could not be parsed, an incomplete directory answer. Warnings
// appear in Report.Warnings.
func (p *Pass) Warn(w EvidenceWarning) {
	p.run.mu.Lock()
	defer p.run.mu.Unlock()
	for _, x := range p.run.warnings {
		if x == w {
			return
		}
	}
	p.run.warnings = append(p.run.warnings, w)
}

// Unusable records that supplied evidence could not be used at all (a log
// without one readable line): the report lists it and its status cannot be
// healthy. Record the unverified facts with NotVerified as well.
func (p *Pass) Unusable(kind EvidenceKind, source, reason string) {
	p.run.mu.Lock()
	defer p.run.mu.Unlock()
	u := UnusableEvidence{Kind: kind, Source: source, Reason: reason}
	for _, x := range p.run.unusable {
		if x == u {
			return
		}
	}
	p.run.unusable = append(p.run.unusable, u)
}

// Shared returns the value computed by compute for key, calling compute at
// most once per Diagnose run; later calls (from any check) get the same
// value and error. Use it for expensive data several checks need, such as a
// log analysis or a directory scan. Keys are free-form; prefix them with
// your package or file ("w3clog:summary").
func (p *Pass) Shared(key string, compute func() (any, error)) (any, error) {
	p.run.mu.Lock()
	e, ok := p.run.shared[key]
	if !ok {
		e = &sharedEntry{}
		p.run.shared[key] = e
	}
	p.run.mu.Unlock()
	e.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				e.err = fmt.Errorf("diagnose: computing %s panicked: %v", key, r)
			}
		}()
		e.v, e.err = compute()
	})
	if e.err != nil && p.Check != nil {
		// The check depends on a computation that failed: its result is
		// "error" even if it ignores the returned error.
		p.sharedErrs = append(p.sharedErrs, e.err)
	}
	return e.v, e.err
}

// Diagnose runs the checks over the evidence and returns the report. Nil
// options mean defaults; nil evidence is treated as empty evidence (every
// check skipped). It returns an error only for misuse (invalid options or
// checks) or when ctx is cancelled; a check that returns an error or panics
// gets the result status "error" and the other checks still run.
func Diagnose(ctx context.Context, ev *Evidence, opts *Options) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ev == nil {
		ev = &Evidence{}
	}
	checks := Checks()
	if opts != nil {
		checks = append(checks, opts.Extra...)
	}
	seen := map[string]bool{}
	for _, c := range checks {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if seen[c.ID] {
			return nil, &OptionsError{Field: "Extra", Value: c.ID, Problem: "duplicate check ID"}
		}
		seen[c.ID] = true
	}
	pl, err := opts.plan(checks)
	if err != nil {
		return nil, err
	}
	prof := (*Profile)(nil)
	if opts != nil {
		prof = opts.Profile
	}
	if prof == nil {
		prof = detectProfile(ev)
	}
	if err := prof.Validate(); err != nil {
		return nil, err
	}

	// The handshake model is built once: the checks, the verdict and the
	// renderers read it.
	hs, release := rememberHandshakes(ev)
	defer release()
	rep, err := runChecks(ctx, ev, checks, prof, pl, nil)
	if err != nil {
		return nil, err
	}
	assignFindingIDs(rep.Findings)
	rep.Verdict = computeVerdict(ev, prof, rep)
	if kerb, where := kerberosOnWire(ev); kerb && !ev.Scenario.FirewallShowsServiceAccount {
		rep.Notes = append(rep.Notes, "Kerberos is in use ("+where+"): an on-path device sees only the realm and the SPN, not the user, "+
			"so an identity-aware firewall would attribute this traffic to a service or machine identity - visibility, not wrong credentials")
	}
	if ev.Scenario.NTLMDisabled && len(rep.Verdict) == 0 {
		rep.Notes = append(rep.Notes, "NTLM is disabled in the domain: no finding blocks Kerberos and every check that ran could verify its facts")
	}
	rep.Exchanges = exchangesOf(hs)
	rep.Handshakes = hs[:min(len(hs), maxHandshakes)]
	rep.Sources = sources(ev)
	if err := diagnoseReport(ctx, ev, checks, prof, pl, rep); err != nil {
		return nil, err
	}
	stampReport(rep, ev, time.Now())
	return rep, nil
}

// runChecks runs every check over ev and returns the findings, results,
// warnings and notes; the diagnosis parts are left empty. The simulation of
// a plan calls it again on a changed copy of the evidence.
func runChecks(ctx context.Context, ev *Evidence, checks []*Check, prof *Profile, pl *plan, sim *simContext) (*Report, error) {
	rs := &runState{shared: map[string]*sharedEntry{}, sim: sim}
	if ev.Config != nil {
		// Scope notes (profile paths absent from this server) belong in
		// every report, whether or not a check asks for the scope.
		sp := &Pass{Evidence: ev, Profile: prof, run: rs}
		rs.notes = append(rs.notes, sp.scope().notes...)
	}
	rep := &Report{Profile: prof.Name, Findings: []Finding{}, Results: make([]CheckResult, 0, len(checks))}
	for _, c := range checks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, findings, err := runOne(ctx, c, ev, prof, rs, pl)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, res)
		rep.Findings = append(rep.Findings, findings...)
	}
	sortFindings(rep.Findings)
	rep.Warnings = append(append([]EvidenceWarning{}, ev.Warnings...), rs.warnings...)
	rep.Notes = append(rep.Notes, rs.notes...)
	rep.unusable = rs.unusable
	if e := rs.shared[sharedAuditKey]; e != nil && e.err == nil {
		rep.audit, _ = e.v.(*spn.Audit)
	}
	return rep, nil
}

// assignFindingIDs numbers the findings of each check in report order.
func assignFindingIDs(fs []Finding) {
	n := map[string]int{}
	for i := range fs {
		n[fs[i].CheckID]++
		fs[i].ID = fmt.Sprintf("%s-%d", fs[i].CheckID, n[fs[i].CheckID])
	}
}

// reasonNotSelected is the skip reason of a check Options.Checks left out.
const reasonNotSelected = "not selected"

// runOne runs one check; the error is non-nil only for cancellation.
func runOne(ctx context.Context, c *Check, ev *Evidence, prof *Profile, rs *runState, pl *plan) (CheckResult, []Finding, error) {
	res := CheckResult{CheckID: c.ID}
	if pl.selected != nil && !pl.selected[c.ID] {
		res.Status, res.Reason = StatusSkipped, reasonNotSelected
		return res, nil, nil
	}
	if reason, ok := pl.disabled[c.ID]; ok {
		res.Status, res.Reason = StatusSkipped, "disabled: "+reason
		return res, nil, nil
	}
	if missing := missingEvidence(c, ev); missing != "" {
		res.Status, res.Reason = StatusSkipped, missing
		if reason, settle, ok := unusableFor(c, ev); ok {
			// The evidence was supplied but could not be read: the check
			// is not verified, not merely skipped.
			res.Status, res.Reason, res.Settle = StatusNotVerified, reason, settle
		}
		return res, nil, nil
	}
	p := &Pass{Check: c, Evidence: ev, Profile: prof, run: rs}
	err := safeRun(ctx, c, p)
	if err != nil {
		if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return res, nil, ctx.Err()
		}
		res.Status, res.Reason = StatusError, err.Error()
		// Findings reported before the error are kept: they are true.
	}
	findings := p.findings
	if s, ok := pl.severity[c.ID]; ok {
		for i := range findings {
			findings[i].Severity = s
		}
	}
	if res.Status != StatusError && len(p.sharedErrs) > 0 {
		res.Status, res.Reason = StatusError, p.sharedErrs[0].Error()
	}
	if res.Status == StatusError {
		return res, findings, nil
	}
	var above, infos int
	for _, f := range findings {
		if f.Severity > Info {
			above++
		} else {
			infos++
		}
	}
	switch {
	case above > 0:
		res.Status = StatusFailed
		res.Reason = plural(len(findings), "finding", "findings")
	case len(p.unverified) > 0:
		res.Status = StatusNotVerified
		var whats, settles []string
		for _, u := range p.unverified {
			whats = append(whats, u.what)
			if u.settle != "" && !slices.Contains(settles, u.settle) {
				settles = append(settles, u.settle)
			}
		}
		res.Reason = strings.Join(whats, "; ")
		res.Settle = strings.Join(settles, "; ")
	case infos > 0:
		res.Status = StatusPassed
		res.Reason = plural(infos, "informational note", "informational notes")
	default:
		res.Status = StatusPassed
	}
	return res, findings, nil
}

func safeRun(ctx context.Context, c *Check, p *Pass) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("check panicked: %v%s", r, panicSite())
		}
	}()
	return c.Run(ctx, p)
}

// panicSite returns " (at file.go:123)" for the innermost frame of the
// panicking code outside the runtime, or "".
func panicSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") && f.File != "" {
			return fmt.Sprintf(" (at %s:%d)", filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

// unusableFor reports whether the check would have run had the supplied
// but unusable evidence been readable, with the reason and what would
// settle it.
func unusableFor(c *Check, ev *Evidence) (reason, settle string, ok bool) {
	var reasons []string
	unusable := func(k EvidenceKind) bool {
		found := false
		for _, u := range ev.Unusable {
			if u.Kind == k {
				reasons = append(reasons, u.Source+": "+u.Reason)
				found = true
			}
		}
		return found
	}
	for _, k := range c.Requires {
		if !ev.Has(k) && !unusable(k) {
			return "", "", false
		}
	}
	if len(c.RequiresAny) > 0 {
		any := false
		for _, k := range c.RequiresAny {
			if ev.Has(k) || unusable(k) {
				any = true
			}
		}
		if !any {
			return "", "", false
		}
	}
	if len(reasons) == 0 {
		return "", "", false
	}
	return "supplied evidence could not be used: " + strings.Join(dedupe(reasons), "; "), "a readable copy of that evidence", true
}

// missingEvidence returns a skip reason naming the absent evidence, or "".
func missingEvidence(c *Check, ev *Evidence) string {
	var missing []string
	for _, k := range c.Requires {
		if !ev.Has(k) {
			missing = append(missing, string(k))
		}
	}
	if len(c.RequiresAny) > 0 {
		any := false
		var names []string
		for _, k := range c.RequiresAny {
			names = append(names, string(k))
			if ev.Has(k) {
				any = true
			}
		}
		if !any {
			missing = append(missing, "one of "+strings.Join(names, ", "))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "missing evidence: " + strings.Join(missing, "; ")
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		return strings.ToLower(a.Subject) < strings.ToLower(b.Subject)
	})
}
