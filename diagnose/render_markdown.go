package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown, in the
// order of WriteText: the answer (status and headline, one line per root
// cause, the evidence that could not be used), the verdict table, each
// root cause with its findings, symptoms and choices (the recommended one
// marked, with why and the tradeoffs), the ordered plan with each step's
// commands in a code block labelled with its shell, what the simulated
// plan leaves, then the details: every finding with its evidence and
// remediation, the check results (with what would settle a not-verified
// one), the evidence warnings and the notes.
func (r *Report) WriteMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	sm := r.Summary
	if sm.Status == "" {
		sm = summarize(&Evidence{}, r)
	}

	// The answer.
	p("# iiskerb report\n\n")
	p("**%s**\n\n", mdText(sm.Headline))
	e, wa, in := r.Counts()
	p("Status `%s` · profile `%s` · %s, %s, %s · %s\n\n", sm.Status, r.Profile,
		plural(e, "error", "errors"), plural(wa, "warning", "warnings"), plural(in, "info", "info"),
		plural(len(r.RootCauses), "root cause", "root causes"))
	if len(r.RootCauses) > 0 || len(sm.Unusable) > 0 {
		for _, rc := range r.RootCauses {
			p("- **%s** (%s) %s%s\n", rc.ID, rc.Severity, mdText(rc.Title), mdResolved(rc, len(r.Plan) > 0))
		}
		for _, u := range sm.Unusable {
			p("- Unusable evidence (%s): %s: %s\n", u.Kind, mdInline(u.Source), mdText(u.Reason))
		}
		p("\n")
	}
	if len(r.Sources) > 0 {
		var kinds []string
		for _, s := range r.Sources {
			k, _, _ := strings.Cut(s, ":")
			kinds = append(kinds, k)
		}
		p("Evidence: %s (listed under [Evidence](#evidence)).\n\n", strings.Join(kinds, ", "))
	}

	p("## Verdict\n\n")
	if len(r.Verdict) == 0 {
		p("No scenario of the knowledge article's table applies to the evidence given.\n\n")
	} else {
		p("| Scenario | Expected | Action | Findings | Why |\n|---|---|---|---|---|\n")
		for _, v := range r.Verdict {
			exp := "no"
			if v.Expected {
				exp = "yes"
			}
			p("| %s | %s | %s | %s | %s |\n", mdCell(v.Scenario), exp, mdCell(v.Action),
				mdCell(strings.Join(v.Findings, ", ")), mdCell(v.Reason))
		}
		p("\n")
	}

	if len(r.RootCauses) > 0 {
		p("## Root causes\n\n")
		for _, rc := range r.RootCauses {
			p("### %s (%s): %s\n\n", rc.ID, rc.Severity, mdText(rc.Title))
			p("- Findings: %s\n", mdIDs(rc.Findings))
			if len(rc.Subjects) > 1 {
				p("- On: %s\n", mdIDs(rc.Subjects))
			}
			if rc.Kind != "" {
				p("- Kind: `%s`\n", rc.Kind)
			}
			if len(r.Plan) > 0 {
				if rc.Resolved {
					p("- Resolved by the plan (simulated)\n")
				} else {
					p("- Not resolved by the plan (simulated)\n")
				}
			}
			p("\n")
			if len(rc.Symptoms) > 0 {
				p("Symptoms:\n\n")
				for _, s := range rc.Symptoms {
					p("- %s (%s): %s\n", mdInline(s.Finding), s.CheckID, mdText(s.Summary))
				}
				p("\n")
			}
			if len(rc.Choices) == 0 {
				p("No fix the evidence can name: investigate the findings (see [Findings](#findings)).\n\n")
				continue
			}
			p("Choices (one of them):\n\n")
			for i, c := range rc.Choices {
				label := "Alternative:"
				if c.Recommended {
					label = "**Recommended:**"
				}
				p("%d. %s %s", i+1, label, mdText(c.Summary))
				if len(c.Steps) > 0 {
					p(" (plan %s)", strings.Join(c.Steps, ", "))
				}
				p("\n")
				if c.Reason != "" {
					p("   - Why: %s\n", mdText(c.Reason))
				}
				if c.Tradeoff != "" {
					p("   - Tradeoff: %s\n", mdText(c.Tradeoff))
				}
			}
			p("\n")
		}
	}

	if len(r.Plan) > 0 {
		p("## Plan\n\nRun the steps in order; each runs where it says, in the shell its code block names.\n\n")
		for _, st := range r.Plan {
			p("### %s · %s", st.ID, st.Where)
			if st.Shell != "" {
				p(" · %s", st.Shell)
			}
			p(": %s\n\n", mdText(st.Summary))
			if len(st.Resolves) > 0 {
				p("Resolves %s.\n\n", strings.Join(st.Resolves, ", "))
			} else {
				p("Resolves no root cause by itself (a follow-up step).\n\n")
			}
			for _, run := range shellRuns(st.Commands, st.Shell) {
				mdCode(b, "", run.Shell, run.Commands)
				p("\n")
			}
			if st.Tradeoff != "" {
				p("Tradeoff: %s\n\n", mdText(st.Tradeoff))
			}
		}
		ap := r.AfterPlan
		p("## After the plan\n\nSimulated: %s, %s left.\n\n",
			plural(ap.Errors, "error", "errors"), plural(ap.Warnings, "warning", "warnings"))
		if len(ap.Remaining) > 0 {
			p("Left:\n\n")
			for _, s := range ap.Remaining {
				p("- %s\n", mdText(s))
			}
			p("\n")
		}
		if len(ap.NotSimulated) > 0 {
			p("Not simulated:\n\n")
			for _, s := range ap.NotSimulated {
				p("- %s\n", mdText(s))
			}
			p("\n")
		}
	}

	// The details.
	if len(r.Sources) > 0 {
		p("## Evidence\n\n")
		for _, s := range r.Sources {
			p("- %s\n", mdText(s))
		}
		p("\n")
	}
	p("## Findings\n\n")
	if len(r.Findings) == 0 {
		p("None.\n\n")
	}
	for _, g := range r.groupFindings() {
		if len(g.Findings) == 0 {
			continue
		}
		if g.Row != nil {
			p("### %s\n\n", mdText(g.Row.Scenario))
		} else if len(r.Verdict) > 0 {
			p("### Other findings\n\n")
		}
		for _, f := range g.Findings {
			subj := f.Subject
			if subj == "" {
				subj = "(server)"
			}
			id := f.ID
			if id == "" {
				id = f.CheckID
			}
			p("- **%s** `%s` %s: %s\n", f.Severity, id, mdInline(subj), mdText(f.Message))
			for _, ev := range f.Evidence {
				s := mdInline(ev.Where())
				if ev.Detail != "" {
					s += ": " + mdText(ev.Detail)
				}
				p("  - evidence: %s\n", s)
			}
			for i, rem := range f.Remediation {
				label := "fix"
				if i > 0 {
					label = "or"
				}
				p("  - %s: %s\n", label, mdText(rem.Summary))
				if len(rem.Commands) > 0 {
					p("\n")
				}
				for _, run := range shellRuns(rem.Commands, "") {
					mdCode(b, "    ", run.Shell, run.Commands)
					p("\n")
				}
				if rem.Tradeoff != "" {
					p("    Tradeoff: %s\n", mdText(rem.Tradeoff))
				}
			}
		}
		p("\n")
	}

	counts := r.statusCounts()
	p("## Checks\n\n%d passed, %d failed, %d not verified, %d skipped, %d error.\n\n",
		counts[StatusPassed], counts[StatusFailed], counts[StatusNotVerified], counts[StatusSkipped], counts[StatusError])
	p("| Check | Status | Reason | Would settle it |\n|---|---|---|---|\n")
	for _, res := range r.Results {
		p("| %s | %s | %s | %s |\n", mdCell(res.CheckID), mdCell(string(res.Status)), mdCell(firstLine(res.Reason)), mdCell(res.Settle))
	}
	p("\n")
	if len(r.Warnings) > 0 {
		p("## Evidence warnings\n\n")
		for _, w := range r.Warnings {
			p("- %s\n", mdText(w.String()))
		}
		p("\n")
	}
	if len(r.Notes) > 0 {
		p("## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", mdText(n))
		}
		p("\n")
	}
	return b.Flush()
}

// mdResolved is the answer line's note on whether the plan resolves rc.
func mdResolved(rc RootCause, hasPlan bool) string {
	switch {
	case !hasPlan:
		return ""
	case rc.Resolved:
		return " - resolved by the plan"
	}
	return " - **not** resolved by the plan"
}

// mdIDs lists IDs (or subjects) as inline code.
func mdIDs(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = mdInline(id)
	}
	return strings.Join(parts, ", ")
}

// mdText puts prose on one line and escapes what Markdown would take for
// markup: '<' (an HTML tag such as "HTTP/<host>" would vanish), '*', '`',
// '_' at a word boundary, '[' and a backslash before punctuation.
func mdText(s string) string {
	s = strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '<', '*', '`', '[':
			b.WriteByte('\\')
		case '_':
			if i == 0 || i == len(s)-1 || !mdWordByte(s[i-1]) || !mdWordByte(s[i+1]) {
				b.WriteByte('\\')
			}
		case '\\':
			if i+1 < len(s) && mdPunct(s[i+1]) {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func mdWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// mdPunct reports whether a backslash before c is a Markdown escape.
func mdPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !mdWordByte(c)
}

// mdCode writes commands as a fenced code block labelled with shell, each
// line prefixed with indent; the fence is longer than any run of backticks
// in the commands.
func mdCode(b *bufio.Writer, indent, shell string, cmds []string) {
	fence := "```"
	for _, c := range cmds {
		for strings.Contains(c, fence) {
			fence += "`"
		}
	}
	b.WriteString(indent + fence + shell + "\n")
	for _, c := range cmds {
		for _, l := range strings.Split(c, "\n") {
			b.WriteString(indent + l + "\n")
		}
	}
	b.WriteString(indent + fence + "\n")
}

// shellRun is consecutive commands for one shell.
type shellRun struct {
	Shell    string
	Commands []string
}

// shellRuns splits commands into runs of one shell each, so cmd and
// PowerShell never share a code block. A known shell (a plan step's)
// holds all of them; otherwise each command's shell is recognised by
// commandShell.
func shellRuns(cmds []string, shell string) []shellRun {
	if len(cmds) == 0 {
		return nil
	}
	if shell != "" {
		return []shellRun{{Shell: shell, Commands: cmds}}
	}
	var runs []shellRun
	for _, c := range cmds {
		sh := commandShell(c)
		if n := len(runs); n > 0 && runs[n-1].Shell == sh {
			runs[n-1].Commands = append(runs[n-1].Commands, c)
			continue
		}
		runs = append(runs, shellRun{Shell: sh, Commands: []string{c}})
	}
	return runs
}

// commandShell recognises a PowerShell command (a Verb-Noun cmdlet first,
// a variable, or a -PSPath parameter); anything else (setspn, appcmd,
// klist, reg, %windir%...) is cmd.
func commandShell(c string) string {
	c = strings.TrimSpace(c)
	if strings.HasPrefix(c, "$") || strings.Contains(c, " -PSPath ") {
		return ShellPowerShell
	}
	first, _, _ := strings.Cut(c, " ")
	verb, noun, ok := strings.Cut(first, "-")
	if !ok || len(verb) < 2 || noun == "" || verb[0] < 'A' || verb[0] > 'Z' {
		return ShellCmd
	}
	for _, s := range []string{verb, noun} {
		for i := 0; i < len(s); i++ {
			if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return ShellCmd
			}
		}
	}
	return ShellPowerShell
}

// mdCell escapes a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", "\\|")
}

// mdInline renders s as inline code, choosing a fence that s does not
// contain.
func mdInline(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
