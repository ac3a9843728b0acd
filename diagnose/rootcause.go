package diagnose

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// causeKind returns the kind part of a cause key ("spn-owner" of
// "spn-owner:corp\web01$").
func causeKind(key string) string {
	k, _, _ := strings.Cut(key, ":")
	return k
}

// findingKey identifies a finding across the real and the simulated run.
func findingKey(f *Finding) string { return f.CheckID + "\x00" + strings.ToLower(f.Subject) }

// historicalKinds are evidence kinds that record the past: the simulation
// drops them, and what they show counts as resolved when its root cause is.
var historicalKinds = map[EvidenceKind]bool{EvTickets: true, EvProbe: true, EvTokens: true, EvIISLogs: true, EvAgentLogs: true, EvSMPLogs: true, EvEvents: true}

// isHistorical reports whether a check reads only evidence of the past
// (logs, tickets, traces, probes).
func isHistorical(c *Check) bool {
	kinds := append(append([]EvidenceKind(nil), c.Requires...), c.RequiresAny...)
	if len(kinds) == 0 {
		return false
	}
	for _, k := range kinds {
		if !historicalKinds[k] && k != EvHost && k != EvScenario {
			return false
		}
	}
	return true
}

type rcBuild struct {
	rc       RootCause
	findings []*Finding // cause findings (not symptoms)
	symptoms []*Finding
	choices  []*choiceBuild
}

type choiceBuild struct {
	key        string
	summary    string
	summaries  map[string]bool
	tradeoff   string
	workaround bool
	undecided  bool
	actions    []Action
	seen       map[string]bool
}

func (cb *choiceBuild) add(a Action) {
	k := a.key()
	if cb.seen[k] {
		return
	}
	cb.seen[k] = true
	cb.actions = append(cb.actions, a)
}

// diagnoseReport fills the report's root causes, plan, simulation result
// and summary from its findings.
func diagnoseReport(ctx context.Context, ev *Evidence, checks []*Check, prof *Profile, pl *plan, rep *Report) (err error) {
	defer func() {
		// The diagnosis is built on the findings; a bug in it must not cost
		// the user the findings themselves.
		if r := recover(); r != nil {
			rep.RootCauses, rep.Plan, rep.AfterPlan = nil, nil, AfterPlan{}
			rep.Warnings = append(rep.Warnings, EvidenceWarning{Source: "iiskerb",
				Message: fmt.Sprintf("building the root causes and the plan failed (%v%s); the findings below are complete, the plan is missing", r, panicSite())})
			rep.Summary = summarize(ev, rep)
			err = nil
		}
	}()
	byID := map[string]*Check{}
	for _, c := range checks {
		byID[c.ID] = c
	}
	builds := buildRootCauses(rep, byID)
	if err := chooseAndPlan(ctx, ev, checks, prof, pl, rep, builds); err != nil {
		return err
	}
	rep.RootCauses = make([]RootCause, 0, len(builds))
	for _, b := range builds {
		rep.RootCauses = append(rep.RootCauses, b.rc)
	}
	rep.Summary = summarize(ev, rep)
	return nil
}

func buildRootCauses(rep *Report, byID map[string]*Check) []*rcBuild {
	var builds []*rcBuild
	index := map[string]*rcBuild{}
	get := func(key string) *rcBuild {
		if b := index[key]; b != nil {
			return b
		}
		b := &rcBuild{rc: RootCause{Kind: causeKind(key), Findings: []string{}, Symptoms: []Symptom{}, Choices: []Choice{}}}
		index[key] = b
		builds = append(builds, b)
		return b
	}
	keyOf := func(f *Finding) string {
		if f.Cause != "" {
			return strings.ToLower(f.Cause)
		}
		return "check-" + strings.ToLower(f.CheckID)
	}
	var symptoms []*Finding
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.Severity == Info {
			continue
		}
		if len(f.symptomOf) > 0 {
			symptoms = append(symptoms, f)
			continue
		}
		b := get(keyOf(f))
		b.findings = append(b.findings, f)
	}
	for _, f := range symptoms {
		var target *rcBuild
		for _, kind := range f.symptomOf {
			for _, b := range builds {
				if b.rc.Kind == kind && len(b.findings) > 0 {
					target = b
					break
				}
			}
			if target != nil {
				break
			}
		}
		if target == nil {
			// Nothing in the evidence explains it: it is a root cause of
			// its own (to investigate), with its own remedies.
			b := get(keyOf(f))
			b.findings = append(b.findings, f)
			continue
		}
		target.symptoms = append(target.symptoms, f)
	}
	for _, b := range builds {
		rc := &b.rc
		subjects := map[string]bool{}
		for _, f := range b.findings {
			rc.Findings = append(rc.Findings, f.ID)
			if f.Severity > rc.Severity {
				rc.Severity = f.Severity
			}
			if !subjects[strings.ToLower(f.Subject)] {
				subjects[strings.ToLower(f.Subject)] = true
				rc.Subjects = append(rc.Subjects, f.Subject)
			}
		}
		for _, f := range b.symptoms {
			rc.Symptoms = append(rc.Symptoms, Symptom{Finding: f.ID, CheckID: f.CheckID, Summary: firstSentence(f.Message)})
		}
		rc.Title = causeTitle(b, byID)
		b.choices = collectChoices(b)
	}
	sort.SliceStable(builds, func(i, j int) bool { return builds[i].rc.Severity > builds[j].rc.Severity })
	for i, b := range builds {
		b.rc.ID = fmt.Sprintf("RC%d", i+1)
	}
	return builds
}

// collectChoices merges the remedies of a root cause's findings into
// choices: remedies with the same Choice key are one way to fix it.
func collectChoices(b *rcBuild) []*choiceBuild {
	var out []*choiceBuild
	idx := map[string]*choiceBuild{}
	for _, f := range b.findings {
		for _, r := range f.Remediation {
			key := r.Choice
			if key == "" {
				key = "summary:" + strings.ToLower(r.Summary)
			}
			cb := idx[key]
			if cb == nil {
				cb = &choiceBuild{key: key, summary: r.Summary, summaries: map[string]bool{}, tradeoff: r.Tradeoff,
					workaround: r.Workaround, undecided: strings.HasPrefix(key, "keep-owner"), seen: map[string]bool{}}
				idx[key] = cb
				out = append(out, cb)
			}
			cb.summaries[r.Summary] = true
			for _, a := range r.Actions {
				cb.add(a)
			}
		}
	}
	for _, cb := range out {
		if len(cb.summaries) > 1 {
			if _, ok := choiceLabels[cb.key]; ok {
				cb.relabel()
			} else {
				cb.summary = cb.summary + fmt.Sprintf(" (and the same for %d more)", len(cb.summaries)-1)
			}
		}
	}
	return out
}

// choiceLabels name a merged choice covering several subjects; the
// choice's summary is the label followed by what its actions do.
var choiceLabels = map[string]string{
	"windowsAuthentication.authPersistNonNTLM=True": "Authenticate once per connection",
	"ntlm-first":                            "Workaround only: list NTLM before Negotiate",
	"decrypt-with-pool-account":             "Decrypt with the pool account (KB 155783)",
	"move-spns":                             "Move the HTTP SPNs to the account that decrypts the tickets",
	"register-spn":                          "Register the missing SPNs on the decrypting account",
	"negotiate-first":                       "Put Negotiate before NTLM",
	"add-negotiate":                         "Offer Negotiate first, then NTLM",
	"anonymousAuthentication.enabled=False": "Disable anonymous authentication",
	"windowsAuthentication.enabled=True":    "Enable Windows Authentication",
	"allow-aes":                             "Allow AES",
	"windowsAuthentication.authPersistSingleRequest=False": "Keep the authentication for the connection",
	"basicAuthentication.enabled=False":                    "Disable Basic authentication",
	"digestAuthentication.enabled=False":                   "Disable Digest authentication",
}

// describeActions says what actions do, at most n of them.
func describeActions(as []Action, n int) string {
	var parts []string
	for i, a := range as {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(as)-n))
			break
		}
		parts = append(parts, a.Describe())
	}
	return strings.Join(parts, "; ")
}

// relabel names a choice merged from several findings by what it does.
func (cb *choiceBuild) relabel() {
	if len(cb.summaries) < 2 {
		return
	}
	label, ok := choiceLabels[cb.key]
	if !ok {
		return
	}
	if len(cb.actions) == 0 {
		cb.summary = label
		return
	}
	cb.summary = label + ": " + describeActions(cb.actions, 3)
}

// causeTitles state a root cause of a known kind; %s is the subject list.
var causeTitles = map[string]string{
	"auth-persist-non-ntlm": "authPersistNonNTLM is False on %s: Kerberos clients re-authenticate on every request (agents: \"request level authentication is not supported\")",
	"spn-owner":             "HTTP SPNs are registered on a different account than the one that decrypts the tickets (%s)",
	"spn-missing":           "HTTP SPNs missing on the decrypting account: %s",
	"spn-duplicate":         "Duplicate SPN: %s",
	"ntlm-first":            "NTLM is listed before Negotiate (the NTLM-first workaround) on %s",
	"no-negotiate":          "No Negotiate provider on %s: Kerberos is never used",
	"windows-auth-disabled": "Windows Authentication is disabled on %s",
	"anonymous-enabled":     "Anonymous authentication beside Windows Authentication on %s",
	"rc4-owner":             "SPN owner allows only RC4: %s",
	"rc4-ticket":            "RC4-encrypted service tickets: %s",
	"ntlmv1":                "NTLMv1 in use: %s",
	"firewall-identity":     "Service or computer accounts authenticate from client addresses (%s): what an identity-aware firewall maps",
}

func causeTitle(b *rcBuild, byID map[string]*Check) string {
	subj := listSubjects(b.rc.Subjects, 3)
	if b.rc.Kind == "spn-owner" || b.rc.Kind == "spn-missing" {
		var spns, paths []string
		for _, s := range b.rc.Subjects {
			if isSPNLike(s) {
				spns = append(spns, s)
			} else {
				paths = append(paths, s)
			}
		}
		what := "HTTP SPNs are registered on a different account than the one that decrypts the tickets"
		if b.rc.Kind == "spn-missing" {
			what = "HTTP SPNs are missing on the account that decrypts the tickets"
		}
		var parts []string
		if len(spns) > 0 {
			parts = append(parts, listSubjects(spns, 3))
		}
		if len(paths) > 0 {
			parts = append(parts, plural(len(paths), "path", "paths"))
		}
		return what + " (" + strings.Join(parts, "; ") + ")"
	}
	if t, ok := causeTitles[b.rc.Kind]; ok {
		return fmt.Sprintf(t, subj)
	}
	f := b.findings[0]
	title := f.CheckID
	if c := byID[f.CheckID]; c != nil {
		title = c.Title()
	}
	if len(b.rc.Subjects) == 1 {
		return title + ": " + subj
	}
	return title + " (" + subj + ")"
}

// isSPNLike reports whether a subject is an SPN ("HTTP/web01") rather
// than a configuration path ("Default Web Site/app") or a URI: an
// upper-case service class without spaces before the first slash.
func isSPNLike(s string) bool {
	i := strings.IndexByte(s, '/')
	return i > 0 && !strings.Contains(s[:i], " ") && strings.ToUpper(s[:i]) == s[:i]
}

// listSubjects joins up to n subjects and counts the rest.
func listSubjects(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}

// firstSentence returns the first sentence of s, at most 200 bytes.
func firstSentence(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == '.' || s[i] == ':') && s[i+1] == ' ' && i > 20 {
			s = s[:i]
			break
		}
	}
	return clip(s, 200)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
