package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// Color adds ANSI colours (severity, verdict). The caller decides; the
	// examples/diagnose program turns it on for a terminal without NO_COLOR.
	Color bool
	// Verbose lists every check result, not only the ones that did not pass.
	Verbose bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

type textWriter struct {
	w     *bufio.Writer
	color bool
}

func (t *textWriter) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) line(indent int, s string) {
	t.w.WriteString(strings.Repeat("  ", indent))
	t.w.WriteString(s)
	t.w.WriteByte('\n')
}

func (t *textWriter) sev(s Severity) string {
	label := "[" + s.String() + "]"
	switch s {
	case Error:
		return t.paint(ansiRed+ansiBold, label)
	case Warning:
		return t.paint(ansiYellow, label)
	}
	return t.paint(ansiCyan, label)
}

// WriteText writes the report for a person: the verdict first, then the
// findings grouped by verdict row and by subject (site/path, SPN, account),
// each with its evidence and the remediation commands ready to paste, then
// the checks that did not pass or did not run, and the evidence warnings.
func (r *Report) WriteText(w io.Writer, opts TextOptions) error {
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color}
	e, wa, in := r.Counts()
	t.line(0, t.paint(ansiBold, "iiskerb report")+fmt.Sprintf(" (profile %s): %s, %s, %s", r.Profile,
		plural(e, "error", "errors"), plural(wa, "warning", "warnings"), plural(in, "info", "info")))
	t.line(0, "")

	if len(r.Sources) > 0 {
		t.line(0, t.paint(ansiBold, "EVIDENCE"))
		for _, s := range r.Sources {
			t.line(1, s)
		}
		t.line(0, "")
	}
	t.line(0, t.paint(ansiBold, "VERDICT"))
	if len(r.Verdict) == 0 {
		t.line(1, "No scenario of the knowledge article's table applies to the evidence given.")
	}
	for _, v := range r.Verdict {
		mark, code := "✓", ansiGreen
		exp := "expected"
		if !v.Expected {
			mark, code, exp = "✗", ansiRed+ansiBold, "not expected"
		}
		t.line(1, t.paint(code, mark+" "+v.Scenario+": "+strings.ToLower(v.Action))+" ("+exp+")")
		if v.Reason != "" {
			t.line(2, t.paint(ansiDim, v.Reason))
		}
		if len(v.Findings) > 0 {
			t.line(2, "findings: "+strings.Join(v.Findings, ", "))
		}
	}
	t.line(0, "")

	if len(r.Findings) == 0 {
		t.line(0, t.paint(ansiBold, "FINDINGS"))
		t.line(1, "none")
		t.line(0, "")
	}
	for _, g := range r.groupFindings() {
		if len(g.Findings) == 0 {
			continue
		}
		title := "OTHER FINDINGS"
		if g.Row != nil {
			title = "FINDINGS: " + g.Row.Scenario
		} else if len(r.Verdict) == 0 {
			title = "FINDINGS"
		}
		t.line(0, t.paint(ansiBold, title))
		subject := "\x00"
		for _, f := range g.Findings {
			if !strings.EqualFold(f.Subject, subject) {
				subject = f.Subject
				s := subject
				if s == "" {
					s = "(server)"
				}
				t.line(1, t.paint(ansiBold, s))
			}
			t.writeFinding(f)
		}
		t.line(0, "")
	}

	counts := r.statusCounts()
	t.line(0, t.paint(ansiBold, "CHECKS")+fmt.Sprintf(" %d passed, %d failed, %d skipped, %d error",
		counts[StatusPassed], counts[StatusFailed], counts[StatusSkipped], counts[StatusError]))
	notSelected := 0
	for _, res := range r.Results {
		if res.Status == StatusPassed && !opts.Verbose {
			continue
		}
		if res.Status == StatusSkipped && res.Reason == reasonNotSelected && !opts.Verbose {
			notSelected++
			continue
		}
		st := string(res.Status)
		switch res.Status {
		case StatusError:
			st = t.paint(ansiRed, st)
		case StatusFailed:
			st = t.paint(ansiYellow, st)
		}
		line := fmt.Sprintf("%s %-7s", res.CheckID, st)
		if res.Reason != "" {
			line += " " + firstLine(res.Reason)
		}
		t.line(1, line)
	}
	if notSelected > 0 {
		t.line(1, fmt.Sprintf("(%s not selected)", plural(notSelected, "check", "checks")))
	}
	if len(r.Warnings) > 0 {
		t.line(0, "")
		t.line(0, t.paint(ansiBold, "EVIDENCE WARNINGS"))
		for _, w := range r.Warnings {
			t.line(1, w.String())
		}
	}
	if len(r.Notes) > 0 {
		t.line(0, "")
		t.line(0, t.paint(ansiBold, "NOTES"))
		for _, n := range r.Notes {
			t.line(1, n)
		}
	}
	return t.w.Flush()
}

func (t *textWriter) writeFinding(f Finding) {
	t.line(2, t.sev(f.Severity)+" "+t.paint(ansiBold, f.CheckID)+" "+indentRest(f.Message, 3))
	for _, e := range f.Evidence {
		s := e.Where()
		if e.Detail != "" {
			s += ": " + e.Detail
		}
		t.line(3, t.paint(ansiDim, "evidence: ")+indentRest(s, 4))
	}
	for i, rem := range f.Remediation {
		label := "fix: "
		if i > 0 {
			label = "or: "
		}
		t.line(3, t.paint(ansiGreen, label)+rem.Summary)
		for _, c := range rem.Commands {
			t.line(5, c)
		}
		if rem.Tradeoff != "" {
			t.line(4, t.paint(ansiYellow, "tradeoff: ")+indentRest(rem.Tradeoff, 5))
		}
	}
}

// indentRest indents the continuation lines of a multi-line string.
func indentRest(s string, indent int) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+strings.Repeat("  ", indent))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
