package diagnose

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/spn"
)

// simulator applies actions to a copy of the evidence and runs the checks
// again. It never writes anywhere.
type simulator struct {
	ev     *Evidence
	checks []*Check
	prof   *Profile
	pl     *plan
	hist   map[string]bool // check IDs that read only historical evidence
	dir    *cachedDirectory
	audit  *spn.Audit // the real run's directory audit
}

// simResult is the outcome of one simulation.
type simResult struct {
	rep          *Report
	keys         map[string]Severity // finding key -> severity (warnings and errors)
	notSimulated []string
	failed       map[string]bool // action keys that could not be applied
}

func (s *simulator) run(ctx context.Context, actions []Action) (*simResult, error) {
	res := &simResult{keys: map[string]Severity{}, failed: map[string]bool{}}
	sim := *s.ev
	sim.Klists, sim.KlistSources, sim.TicketRequests = nil, nil, nil
	sim.Probes, sim.HTTPTraces, sim.Tokens = nil, nil, nil
	sim.IISLogs, sim.AgentLogs, sim.SMPLogs, sim.Events = nil, nil, nil, nil
	sim.Warnings = nil
	var edits []iisconfig.Edit
	var editKeys []string
	var dir *simDirectory
	for _, a := range actions {
		switch a.Kind {
		case ActSetConfig, ActSetProviders, ActSetPoolIdentity, ActSetApplicationPool:
			if s.ev.Config == nil {
				res.failed[a.key()] = true
				res.notSimulated = append(res.notSimulated, a.Describe()+" (no applicationHost.config in the evidence)")
				continue
			}
			e, _ := a.edit()
			edits = append(edits, e)
			editKeys = append(editKeys, a.key())
		case ActAddSPN, ActRemoveSPN, ActSetEncTypes:
			if s.ev.Directory == nil {
				res.failed[a.key()] = true
				res.notSimulated = append(res.notSimulated, a.Describe()+" (no directory evidence)")
				continue
			}
			if dir == nil {
				dir = newSimDirectory(s.dir)
			}
			switch a.Kind {
			case ActAddSPN:
				dir.addSPN(a.SPN, a.Account, accountKindOf(a.AccountKind))
			case ActRemoveSPN:
				dir.removeSPN(a.SPN, a.Account)
			case ActSetEncTypes:
				dir.setEncTypes(a.Account, spn.EncAES128|spn.EncAES256)
			}
		case ActManual:
			res.failed[a.key()] = true
			res.notSimulated = append(res.notSimulated, a.Describe())
		}
	}
	if len(edits) > 0 {
		if cfg, err := s.ev.Config.Apply(edits...); err != nil {
			for _, k := range editKeys {
				res.failed[k] = true
			}
			res.notSimulated = append(res.notSimulated, "configuration changes: "+err.Error())
		} else {
			// Apply edits applicationHost.config; the web.config files
			// stay as they are.
			sim.Config = cfg.WithWebConfigs(s.ev.Config.WebConfigs()...)
		}
	}
	if dir != nil {
		sim.Directory = dir
	} else if s.dir != nil {
		sim.Directory = s.dir
	}
	rep, err := runChecks(ctx, &sim, s.checks, s.prof, s.pl, &simContext{audit: s.audit, dir: dir})
	if err != nil {
		return nil, err
	}
	res.rep = rep
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.Severity > Info {
			res.keys[findingKey(f)] = f.Severity
		}
	}
	return res, nil
}

func accountKindOf(s string) spn.AccountKind {
	switch s {
	case "computer":
		return spn.Computer
	case "user":
		return spn.User
	case "managed-service-account":
		return spn.ManagedServiceAccount
	}
	return spn.Unknown
}

// resolves reports whether the simulation shows the root cause gone: none
// of its (non-historical) findings left, and for a cause seen only in logs
// or traces, every action of the choice applied to the model.
func (s *simulator) resolves(b *rcBuild, res *simResult, actions []Action) bool {
	modelled := 0
	for _, f := range b.findings {
		if s.hist[f.CheckID] {
			continue
		}
		modelled++
		if _, left := res.keys[findingKey(f)]; left {
			return false
		}
	}
	if modelled > 0 {
		return true
	}
	if len(actions) == 0 {
		return false
	}
	for _, a := range actions {
		if !a.simulated() || res.failed[a.key()] {
			return false
		}
	}
	return true
}

// Choice reasons that need no more words.
const (
	reasonOnlyFix           = "the fix for this cause"
	reasonOtherIsWorkaround = "fixes the cause; the other choice is a workaround"
	reasonWorkaround        = "a workaround, not a fix: it hides the cause"
)

// anySimulated reports whether at least one action is modelled.
func anySimulated(actions []Action) bool {
	for _, a := range actions {
		if a.simulated() {
			return true
		}
	}
	return false
}

// newErrors counts errors in res that the original report did not have.
func newErrors(orig map[string]bool, res *simResult) int {
	n := 0
	for k, sev := range res.keys {
		if sev == Error && !orig[k] {
			n++
		}
	}
	return n
}

func chooseAndPlan(ctx context.Context, ev *Evidence, checks []*Check, prof *Profile, pl *plan, rep *Report, builds []*rcBuild) error {
	s := &simulator{ev: ev, checks: checks, prof: prof, pl: pl, hist: map[string]bool{}, audit: rep.audit}
	if ev.Directory != nil {
		s.dir = newCachedDirectory(ev.Directory)
	}
	for _, c := range checks {
		if isHistorical(c) {
			s.hist[c.ID] = true
		}
	}
	orig := map[string]bool{}
	for i := range rep.Findings {
		orig[findingKey(&rep.Findings[i])] = true
	}
	chosen := make([]*choiceBuild, len(builds))
	reasons := make([]string, len(builds))
	for i, b := range builds {
		var cands []*choiceBuild
		for _, cb := range b.choices {
			if !cb.workaround && !cb.undecided {
				cands = append(cands, cb)
			}
		}
		switch {
		case len(cands) == 0:
			if len(b.choices) > 0 && b.choices[0].undecided {
				reasons[i] = "not recommended: the evidence does not show which account runs the service"
			}
			continue
		case len(cands) == 1:
			chosen[i], reasons[i] = cands[0], reasonOnlyFix
			if len(b.choices) > 1 {
				reasons[i] = reasonOtherIsWorkaround
			}
		default:
			for n, cb := range cands {
				if !anySimulated(cb.actions) {
					if n == 0 && len(cb.actions) > 0 {
						// The preferred remedy changes what the model does
						// not cover (network, DNS): the simulation cannot
						// judge it, so it must not lose to one it can.
						chosen[i] = cb
						reasons[i] = "preferred remedy; it changes what the simulation cannot model (see not_simulated)"
						break
					}
					continue
				}
				res, err := s.run(ctx, cb.actions)
				if err != nil {
					return err
				}
				if s.resolves(b, res, cb.actions) && newErrors(orig, res) == 0 {
					chosen[i] = cb
					reasons[i] = fmt.Sprintf("the simulation shows it resolves the %s without new errors", plural(len(b.findings), "finding", "findings"))
					break
				}
			}
			if chosen[i] == nil {
				chosen[i] = cands[0]
				reasons[i] = "preferred remedy; the simulation does not show it resolves everything (see after_plan)"
			}
		}
		if err := consolidate(ctx, s, b, chosen[i]); err != nil {
			return err
		}
	}
	steps, stepOf := buildSteps(ev, builds, chosen)
	var all []Action
	for _, st := range steps {
		all = append(all, st.actions...)
	}
	var res *simResult
	if len(all) > 0 {
		var err error
		if res, err = s.run(ctx, all); err != nil {
			return err
		}
	} else {
		// Nothing to apply: what is left is what the evidence shows now.
		res = &simResult{rep: &Report{}, keys: map[string]Severity{}, failed: map[string]bool{}}
		for i := range rep.Findings {
			f := &rep.Findings[i]
			if f.Severity > Info && !s.hist[f.CheckID] {
				res.rep.Findings = append(res.rep.Findings, *f)
				res.keys[findingKey(f)] = f.Severity
			}
		}
	}
	resolved := map[string]bool{}
	for i, b := range builds {
		if chosen[i] != nil && s.resolves(b, res, chosen[i].actions) {
			resolved[b.rc.ID] = true
			b.rc.Resolved = true
		}
	}
	rep.Plan = make([]PlanStep, 0, len(steps))
	for _, st := range steps {
		ps := st.PlanStep
		ps.Resolves = []string{}
		for _, id := range st.rcs {
			if resolved[id] && !slices.Contains(ps.Resolves, id) {
				ps.Resolves = append(ps.Resolves, id)
			}
		}
		rep.Plan = append(rep.Plan, ps)
	}
	for i, b := range builds {
		for _, cb := range b.choices {
			c := Choice{Summary: cb.summary, Tradeoff: cb.tradeoff, Actions: cb.actions, Steps: []string{}}
			switch {
			case cb == chosen[i]:
				c.Recommended, c.Reason = true, reasons[i]
				c.Steps = stepOf[b.rc.ID]
				if c.Steps == nil {
					c.Steps = []string{}
				}
			case cb.workaround:
				c.Reason = reasonWorkaround
			case cb.undecided:
				c.Reason = reasons[i]
			}
			b.rc.Choices = append(b.rc.Choices, c)
		}
	}
	rep.AfterPlan = afterPlan(ev, s, builds, res)
	return nil
}

// consolidate replaces per-path configuration actions of a choice by one
// action at the paths' common ancestor when the simulation shows that is
// equivalent: the cause resolved and nothing left that the per-path
// version would not leave.
func consolidate(ctx context.Context, s *simulator, b *rcBuild, cb *choiceBuild) error {
	if cb == nil || s.ev.Config == nil {
		return nil
	}
	type group struct {
		idx  []int
		path []string
	}
	groups := map[string]*group{}
	var order []string
	for i, a := range cb.actions {
		if a.Kind != ActSetConfig {
			continue
		}
		k := strings.ToLower(a.Section + "\x00" + a.Attribute + "\x00" + a.Value)
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			order = append(order, k)
		}
		g.idx = append(g.idx, i)
		g.path = append(g.path, a.Path)
	}
	for _, k := range order {
		g := groups[k]
		if len(g.idx) < 2 {
			continue
		}
		anc := commonAncestor(g.path)
		if anc == "" {
			continue // server level changes every site: not without asking
		}
		perPath, err := s.run(ctx, cb.actions)
		if err != nil {
			return err
		}
		merged := append([]Action(nil), cb.actions...)
		one := merged[g.idx[0]]
		one.Path = anc
		var next []Action
		for i, a := range merged {
			if slices.Contains(g.idx, i) {
				if i == g.idx[0] {
					next = append(next, one)
				}
				continue
			}
			next = append(next, a)
		}
		res, err := s.run(ctx, next)
		if err != nil {
			return err
		}
		worse := false
		for key := range res.keys {
			if _, ok := perPath.keys[key]; !ok {
				worse = true
			}
		}
		if !worse && s.resolves(b, res, next) == s.resolves(b, perPath, cb.actions) {
			cb.actions = next
			cb.relabel()
		}
	}
	return nil
}

// commonAncestor returns the longest common path prefix (whole segments,
// case-insensitive) of the paths, or "".
func commonAncestor(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	first := strings.Split(normPath(paths[0]), "/")
	n := len(first)
	for _, p := range paths[1:] {
		segs := strings.Split(normPath(p), "/")
		m := 0
		for m < n && m < len(segs) && strings.EqualFold(segs[m], first[m]) {
			m++
		}
		n = m
	}
	return strings.Join(first[:n], "/")
}

type stepBuild struct {
	PlanStep
	actions []Action
	rcs     []string
}

var whereRank = map[string]int{WhereActiveDirectory: 0, WhereDNS: 1, WhereIISServer: 2, WhereNetwork: 3, WhereClient: 4}

// buildSteps turns the recommended choices into ordered steps: directory
// changes, DNS, IIS, network, then ticket refresh and a re-test on the
// clients.
func buildSteps(ev *Evidence, builds []*rcBuild, chosen []*choiceBuild) ([]*stepBuild, map[string][]string) {
	type item struct {
		a        Action
		rcs      []string
		where    string
		shell    string
		tradeoff string
	}
	var items []*item
	seen := map[string]*item{}
	needRefresh := false
	// Allowing AES for the owner of an SPN is moot on an account the plan
	// takes that SPN from.
	removed := map[string]bool{}
	for i := range builds {
		if cb := chosen[i]; cb != nil {
			for _, a := range cb.actions {
				if a.Kind == ActRemoveSPN {
					removed[strings.ToLower(a.SPN)+"\x00"+accountKey(a.Account)] = true
				}
			}
		}
	}
	for i, b := range builds {
		cb := chosen[i]
		if cb == nil {
			continue
		}
		for _, a := range cb.actions {
			if a.Kind == ActSetEncTypes && a.SPN != "" && removed[strings.ToLower(a.SPN)+"\x00"+accountKey(a.Account)] {
				continue
			}
			if it, ok := seen[a.key()]; ok {
				// An action shared by several root causes serves them all.
				if !slices.Contains(it.rcs, b.rc.ID) {
					it.rcs = append(it.rcs, b.rc.ID)
				}
				continue
			}
			where := a.ActionWhere()
			if where == WhereActiveDirectory {
				needRefresh = true
			}
			it := &item{a: a, rcs: []string{b.rc.ID}, where: where, shell: a.Shell(), tradeoff: cb.tradeoff}
			seen[a.key()] = it
			items = append(items, it)
		}
		if strings.HasPrefix(b.rc.Kind, "spn-") || strings.HasPrefix(b.rc.Kind, "rc4-") {
			needRefresh = true
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return whereRank[items[i].where] < whereRank[items[j].where] })
	var steps []*stepBuild
	stepOf := map[string][]string{}
	for _, it := range items {
		var st *stepBuild
		if len(steps) > 0 {
			last := steps[len(steps)-1]
			if last.Where == it.where && last.Shell == it.shell && last.rcs[0] == it.rcs[0] && it.a.Kind != ActManual &&
				last.actions[0].Kind != ActManual {
				st = last
			}
		}
		if st == nil {
			st = &stepBuild{PlanStep: PlanStep{Where: it.where, Shell: it.shell, Tradeoff: it.tradeoff}}
			steps = append(steps, st)
		}
		for _, rc := range it.rcs {
			if !slices.Contains(st.rcs, rc) {
				st.rcs = append(st.rcs, rc)
			}
		}
		st.actions = append(st.actions, it.a)
		st.Commands = append(st.Commands, it.a.CommandLines()...)
	}
	if len(steps) > 0 {
		var targets []string
		for _, n := range expectedSPNNames(ev) {
			targets = append(targets, "HTTP/"+n)
		}
		if needRefresh {
			st := &stepBuild{PlanStep: PlanStep{Where: WhereClient, Shell: ShellCmd},
				actions: []Action{{Kind: ActPurgeTickets}}}
			st.Commands = st.actions[0].CommandLines()
			st.Summary = "On each affected client (or wait for the tickets to expire): discard the cached Kerberos tickets so new ones are issued for the changed SPNs"
			steps = append(steps, st)
		}
		if len(targets) > 0 {
			a := Action{Kind: ActVerify, Targets: targets}
			st := &stepBuild{PlanStep: PlanStep{Where: WhereClient, Shell: ShellCmd}, actions: []Action{a}}
			st.Commands = a.CommandLines()
			st.Summary = "Re-test from a domain client: each SPN must give a ticket (klist get), then repeat the request that failed"
			steps = append(steps, st)
		}
	}
	for i, st := range steps {
		st.ID = fmt.Sprintf("S%d", i+1)
		if st.Commands == nil {
			st.Commands = []string{}
		}
		if st.Summary == "" {
			var parts []string
			for _, a := range st.actions {
				parts = append(parts, a.Describe())
			}
			st.Summary = clip(strings.Join(parts, "; "), 300)
		}
		for _, rc := range st.rcs {
			if !slices.Contains(stepOf[rc], st.ID) {
				stepOf[rc] = append(stepOf[rc], st.ID)
			}
		}
		if len(st.actions) == 1 && st.actions[0].Kind == ActManual && st.actions[0].Text != "" {
			st.Summary = st.actions[0].Text
		}
	}
	return steps, stepOf
}

// expectedSPNNames returns the host names clients use for the server: the
// host's names and the binding host names of the sites in scope.
func expectedSPNNames(ev *Evidence) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".")
		if n == "" || n == "*" || seen[strings.ToLower(n)] {
			return
		}
		seen[strings.ToLower(n)] = true
		out = append(out, n)
	}
	add(ev.Host.FQDN)
	add(ev.Host.Computer)
	for _, a := range ev.Host.Aliases {
		add(a)
	}
	if ev.Config != nil {
		for _, s := range ev.Config.Sites {
			for _, b := range s.Bindings {
				if b.Protocol == "http" || b.Protocol == "https" {
					add(b.Host)
				}
			}
		}
	}
	if len(out) > 6 {
		out = out[:6]
	}
	return out
}

// afterPlan summarises the simulation of the whole plan.
func afterPlan(ev *Evidence, s *simulator, builds []*rcBuild, res *simResult) AfterPlan {
	ap := AfterPlan{Remaining: []string{}, NotSimulated: []string{}}
	if len(builds) == 0 {
		return ap
	}
	left := func(f *Finding, note string) {
		switch f.Severity {
		case Error:
			ap.Errors++
		case Warning:
			ap.Warnings++
		default:
			return
		}
		ap.Remaining = append(ap.Remaining, f.CheckID+" "+f.Subject+": "+firstSentence(f.Message)+note)
	}
	for i := range res.rep.Findings {
		left(&res.rep.Findings[i], "")
	}
	// Findings from logs, tickets and traces: resolved with their cause.
	for _, b := range builds {
		if b.rc.Resolved {
			continue
		}
		for _, f := range append(append([]*Finding(nil), b.findings...), b.symptoms...) {
			if s.hist[f.CheckID] {
				left(f, " (from "+historicalSource(f)+"; its cause is not resolved by the plan)")
			}
		}
	}
	ap.NotSimulated = append(ap.NotSimulated, dedupe(res.notSimulated)...)
	if len(ev.Klists) > 0 || len(ev.TicketRequests) > 0 {
		ap.NotSimulated = append(ap.NotSimulated, "client tickets: the klist evidence predates the plan; clients get new tickets after klist purge or expiry")
	}
	if len(ev.IISLogs)+len(ev.AgentLogs)+len(ev.SMPLogs)+len(ev.Events) > 0 || len(ev.HTTPTraces) > 0 || len(ev.Probes) > 0 || len(ev.Tokens) > 0 {
		ap.NotSimulated = append(ap.NotSimulated, "logs, traces and probes record the past: collect them again after the plan")
	}
	// The simulation never resolves names again.
	ap.NotSimulated = append(ap.NotSimulated, "DNS: names are taken as the evidence gives them")
	return ap
}

// historicalSource names the evidence a historical finding comes from.
func historicalSource(f *Finding) string {
	for _, ref := range f.Evidence {
		if ref.Source != "" {
			return ref.Source
		}
	}
	return "the evidence"
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// summarize computes the report's Summary.
func summarize(ev *Evidence, rep *Report) Summary {
	var sm Summary
	sm.Errors, sm.Warnings, sm.Infos = rep.Counts()
	sm.RootCauses = len(rep.RootCauses)
	for _, r := range rep.Results {
		switch r.Status {
		case StatusPassed:
			sm.Passed++
		case StatusFailed:
			sm.Failed++
		case StatusNotVerified:
			sm.NotVerified++
		case StatusSkipped:
			sm.Skipped++
		case StatusError:
			sm.CheckErrors++
		}
	}
	sm.Unusable = append(sm.Unusable, ev.Unusable...)
	sm.Unusable = append(sm.Unusable, rep.unusable...)
	investigate := false
	for _, v := range rep.Verdict {
		if !v.Expected {
			investigate = true
		}
	}
	switch {
	case sm.Errors > 0 || investigate:
		sm.Status = StatusProblems
	case len(sm.Unusable) > 0 || sm.Passed+sm.Failed == 0:
		sm.Status = StatusInconclusive
	default:
		sm.Status = StatusHealthy
	}
	switch sm.Status {
	case StatusProblems:
		sm.Headline = fmt.Sprintf("Problems: %s (%s)", plural(len(rep.RootCauses), "root cause", "root causes"),
			plural(sm.Errors, "error finding", "error findings"))
		if len(rep.Plan) > 0 {
			sm.Headline += fmt.Sprintf("; the %d-step plan below leaves %s (simulated)", len(rep.Plan), plural(rep.AfterPlan.Errors, "error", "errors"))
		}
		if sm.Errors == 0 && investigate {
			sm.Headline = "Problems: the evidence shows a scenario of the knowledge article that needs investigation"
		}
	case StatusInconclusive:
		if len(sm.Unusable) > 0 {
			sm.Headline = fmt.Sprintf("Inconclusive: no problem found, but %s of the supplied evidence could not be used", plural(len(sm.Unusable), "part", "parts"))
		} else {
			sm.Headline = "Inconclusive: nothing could be verified with the evidence given"
		}
	default:
		sm.Headline = fmt.Sprintf("Healthy: no error in what the evidence shows (%s passed, %d not verified, %d skipped)", plural(sm.Passed, "check", "checks"), sm.NotVerified, sm.Skipped)
		if sm.Warnings > 0 {
			sm.Headline += fmt.Sprintf("; %s to look at", plural(sm.Warnings, "warning", "warnings"))
		}
	}
	return sm
}
