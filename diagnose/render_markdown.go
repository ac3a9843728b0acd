package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown: a verdict
// table, findings grouped like WriteText with commands in code blocks, the
// check results as a table and the evidence warnings.
func (r *Report) WriteMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	e, wa, in := r.Counts()
	p("# iiskerb report\n\nProfile `%s`: %s, %s, %s.\n\n", r.Profile,
		plural(e, "error", "errors"), plural(wa, "warning", "warnings"), plural(in, "info", "info"))

	if len(r.Sources) > 0 {
		p("## Evidence\n\n")
		for _, s := range r.Sources {
			p("- %s\n", s)
		}
		p("\n")
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

	p("## Findings\n\n")
	if len(r.Findings) == 0 {
		p("None.\n\n")
	}
	for _, g := range r.groupFindings() {
		if len(g.Findings) == 0 {
			continue
		}
		if g.Row != nil {
			p("### %s\n\n", g.Row.Scenario)
		} else if len(r.Verdict) > 0 {
			p("### Other findings\n\n")
		}
		for _, f := range g.Findings {
			subj := f.Subject
			if subj == "" {
				subj = "(server)"
			}
			p("- **%s** `%s` %s: %s\n", f.Severity, f.CheckID, mdInline(subj), strings.ReplaceAll(f.Message, "\n", " "))
			for _, ev := range f.Evidence {
				s := mdInline(ev.Where())
				if ev.Detail != "" {
					s += ": " + strings.ReplaceAll(ev.Detail, "\n", " ")
				}
				p("  - evidence: %s\n", s)
			}
			for i, rem := range f.Remediation {
				label := "fix"
				if i > 0 {
					label = "or"
				}
				p("  - %s: %s\n", label, rem.Summary)
				if len(rem.Commands) > 0 {
					p("\n    ```\n")
					for _, c := range rem.Commands {
						p("    %s\n", c)
					}
					p("    ```\n\n")
				}
				if rem.Tradeoff != "" {
					p("    Tradeoff: %s\n", strings.ReplaceAll(rem.Tradeoff, "\n", " "))
				}
			}
		}
		p("\n")
	}

	p("## Checks\n\n| Check | Status | Reason |\n|---|---|---|\n")
	for _, res := range r.Results {
		p("| %s | %s | %s |\n", res.CheckID, res.Status, mdCell(firstLine(res.Reason)))
	}
	p("\n")
	if len(r.Warnings) > 0 {
		p("## Evidence warnings\n\n")
		for _, w := range r.Warnings {
			p("- %s\n", strings.ReplaceAll(w.String(), "\n", " "))
		}
		p("\n")
	}
	if len(r.Notes) > 0 {
		p("## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
		p("\n")
	}
	return b.Flush()
}

// mdCell escapes a table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", "\\|")
}

// mdInline renders s as inline code, choosing a fence that s does not
// contain.
func mdInline(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
