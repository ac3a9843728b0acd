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

// textWidth is the column limit of the text report; longer prose is
// wrapped and longer commands are continued with the shell's continuation
// character (^ for cmd, ` for PowerShell) so they still paste.
const textWidth = 120

// wrapLine writes s at indent, wrapped at textWidth at spaces, continuation
// lines indented by one more level.
func (t *textWriter) wrapLine(indent int, s string) {
	pad := strings.Repeat("  ", indent)
	width := textWidth - len(pad)
	first := true
	for {
		s = strings.TrimRight(s, " ")
		w := width
		if !first {
			w -= 2
		}
		if visibleLen(s) <= w {
			if first {
				t.line(indent, s)
			} else {
				t.line(indent+1, s)
			}
			return
		}
		cut := lastSpaceBefore(s, w)
		if cut <= 0 {
			cut = w
		}
		if first {
			t.line(indent, s[:cut])
		} else {
			t.line(indent+1, s[:cut])
		}
		s = strings.TrimLeft(s[cut:], " ")
		first = false
	}
}

// writeCommand writes a command at indent; a command longer than the
// width is split at spaces outside quotes with the shell's continuation
// character.
func (t *textWriter) writeCommand(indent int, shell, c string) {
	pad := len(strings.Repeat("  ", indent))
	cont := " ^"
	if shell == ShellPowerShell {
		cont = " `"
	}
	width := textWidth - pad - len(cont)
	first := true
	for {
		w := width
		if !first {
			w -= 4
		}
		prefix := ""
		if !first {
			prefix = "    "
		}
		if len(c) <= w+len(cont) {
			t.line(indent, prefix+c)
			return
		}
		cut := splitPoint(c, w)
		if cut <= 0 {
			t.line(indent, prefix+c)
			return
		}
		t.line(indent, prefix+c[:cut]+cont)
		c = strings.TrimLeft(c[cut:], " ")
		first = false
	}
}

// splitPoint returns the index of the last space outside double or single
// quotes at or before max, or -1.
func splitPoint(s string, max int) int {
	best := -1
	var q byte
	for i := 0; i < len(s) && i <= max; i++ {
		c := s[i]
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == ' ' && i > 0:
			best = i
		}
	}
	return best
}

func lastSpaceBefore(s string, n int) int {
	if n >= len(s) {
		n = len(s) - 1
	}
	for i := n; i > 0; i-- {
		if s[i] == ' ' {
			return i
		}
	}
	return -1
}

// visibleLen is the number of runes of s, ignoring ANSI colour codes.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		if s[i]&0xc0 != 0x80 {
			n++
		}
	}
	return n
}

// WriteText writes the report for a person. The default is compact: the
// answer (status, one line per root cause, unusable evidence), the
// verdict, each root cause with its findings, symptoms and choices, the
// ordered plan with its commands, what the simulated plan leaves, and the
// checks that did not pass. Lines are at most 120 columns. With
// opts.Verbose it adds every finding with its evidence and remediation,
// every check result and every evidence warning.
func (r *Report) WriteText(w io.Writer, opts TextOptions) error {
	t := &textWriter{w: bufio.NewWriter(w), color: opts.Color}
	sm := r.Summary
	if sm.Status == "" {
		sm = summarize(&Evidence{}, r)
	}
	code := ansiGreen
	switch sm.Status {
	case StatusProblems:
		code = ansiRed + ansiBold
	case StatusInconclusive:
		code = ansiYellow
	}
	t.wrapLine(0, t.paint(ansiBold, "iiskerb")+" ("+r.Profile+"): "+t.paint(code, sm.Headline))
	clipped := map[string]bool{}
	for _, rc := range r.RootCauses {
		head := rc.ID + " " + t.sev(rc.Severity) + " "
		title := rc.Title
		if room := textWidth - 2 - visibleLen(head); len(title) > room {
			title = clip(title, room)
			clipped[rc.ID] = true
		}
		t.line(1, head+title)
	}
	for _, u := range sm.Unusable {
		t.wrapLine(1, t.paint(ansiYellow, "unusable ")+u.Source+": "+u.Reason)
	}
	if len(r.Sources) > 0 {
		var kinds []string
		for _, s := range r.Sources {
			k, _, _ := strings.Cut(s, ":")
			kinds = append(kinds, k)
		}
		if opts.Verbose {
			for _, s := range r.Sources {
				t.wrapLine(1, t.paint(ansiDim, "evidence "+s))
			}
		} else {
			t.wrapLine(1, t.paint(ansiDim, "evidence: "+strings.Join(kinds, ", ")+" (-v names the files)"))
		}
	}
	t.line(0, "")

	if len(r.Verdict) > 0 {
		t.line(0, t.paint(ansiBold, "VERDICT"))
		for _, v := range r.Verdict {
			mark, code := "✓", ansiGreen
			exp := "expected"
			if !v.Expected {
				mark, code, exp = "✗", ansiRed+ansiBold, "not expected"
			}
			t.wrapLine(1, t.paint(code, mark+" "+v.Scenario+": "+strings.ToLower(v.Action))+" ("+exp+")")
			if v.Reason != "" {
				t.wrapLine(2, t.paint(ansiDim, v.Reason))
			}
		}
		t.line(0, "")
	}

	if len(r.RootCauses) > 0 {
		t.line(0, t.paint(ansiBold, "ROOT CAUSES"))
		for _, rc := range r.RootCauses {
			head := t.paint(ansiBold, rc.ID) + " findings " + strings.Join(rc.Findings, ", ")
			if clipped[rc.ID] || opts.Verbose {
				head = t.paint(ansiBold, rc.ID) + " " + rc.Title + "; findings " + strings.Join(rc.Findings, ", ")
			}
			t.wrapLine(1, head)
			if len(rc.Subjects) > 1 {
				t.line(2, clip("on: "+listSubjects(rc.Subjects, 4), textWidth-4))
			}
			if _, known := causeTitles[rc.Kind]; !known && !opts.Verbose {
				// A cause without a known title: say what its findings say.
				for i, id := range rc.Findings {
					if i == 3 {
						t.line(2, fmt.Sprintf("(%d more findings: -v)", len(rc.Findings)-i))
						break
					}
					if f := r.finding(id); f != nil {
						t.line(2, clip(id+" "+firstSentence(f.Message), textWidth-4))
					}
				}
			}
			for _, s := range rc.Symptoms {
				t.line(2, clip("symptom "+s.Finding+": "+s.Summary, textWidth-4))
			}
			for _, c := range rc.Choices {
				label := "choice: "
				switch {
				case c.Recommended:
					label = t.paint(ansiGreen, "recommended: ")
				case c.Reason != "":
				}
				line := label + c.Summary
				if len(c.Steps) > 0 {
					line += " (plan " + strings.Join(c.Steps, ", ") + ")"
				}
				t.wrapLine(2, line)
				if c.Reason != "" && (opts.Verbose || !trivialReason[c.Reason]) {
					t.wrapLine(3, t.paint(ansiDim, "why: "+c.Reason))
				}
				if c.Tradeoff != "" && !c.Recommended {
					t.wrapLine(3, t.paint(ansiYellow, "tradeoff: ")+c.Tradeoff)
				}
			}
			if len(rc.Choices) == 0 {
				t.wrapLine(2, "no fix the evidence can name: investigate (-v shows the findings' advice)")
			}
		}
		t.line(0, "")
	}

	if len(r.Plan) > 0 {
		t.line(0, t.paint(ansiBold, "PLAN")+" (run in order)")
		for _, st := range r.Plan {
			head := st.ID + " " + st.Where
			if st.Shell != "" {
				head += " (" + st.Shell + ")"
			}
			head += ": " + st.Summary
			if len(st.Resolves) > 0 {
				head += " [resolves " + strings.Join(st.Resolves, ", ") + "]"
			}
			t.wrapLine(1, t.paint(ansiBold, head))
			for _, c := range st.Commands {
				t.writeCommand(2, st.Shell, c)
			}
			if st.Tradeoff != "" {
				t.wrapLine(2, t.paint(ansiYellow, "tradeoff: ")+st.Tradeoff)
			}
		}
		ap := r.AfterPlan
		t.wrapLine(0, t.paint(ansiBold, "AFTER THE PLAN")+fmt.Sprintf(" (simulated): %s, %s left",
			plural(ap.Errors, "error", "errors"), plural(ap.Warnings, "warning", "warnings")))
		for _, s := range ap.Remaining {
			t.wrapLine(1, "left: "+s)
		}
		if len(ap.NotSimulated) > 0 {
			t.wrapLine(1, t.paint(ansiDim, "not simulated: "+strings.Join(ap.NotSimulated, "; ")))
		}
		t.line(0, "")
	}

	// A report without root causes (built by hand, or by an older
	// version) shows its findings in full, so nothing is hidden.
	if opts.Verbose || len(r.RootCauses) == 0 && len(r.Findings) > 0 {
		if len(r.Findings) == 0 {
			t.line(0, t.paint(ansiBold, "FINDINGS"))
			t.line(1, "none")
			t.line(0, "")
		} else {
			t.line(0, t.paint(ansiBold, "FINDINGS"))
			subject := "\x00"
			fs := append([]Finding(nil), r.Findings...)
			sortBySubject(fs)
			for _, f := range fs {
				if !strings.EqualFold(f.Subject, subject) {
					subject = f.Subject
					s := subject
					if s == "" {
						s = "(server)"
					}
					t.wrapLine(1, t.paint(ansiBold, s))
				}
				t.writeFinding(f)
			}
			t.line(0, "")
		}
	} else if len(r.Findings) > 0 {
		infos := 0
		for _, f := range r.Findings {
			if f.Severity == Info {
				infos++
			}
		}
		if infos > 0 {
			t.line(0, t.paint(ansiBold, "NOTES FROM CHECKS"))
			for _, f := range r.Findings {
				if f.Severity == Info {
					t.wrapLine(1, f.ID+" "+firstSentence(f.Message))
				}
			}
			t.line(0, "")
		}
	}

	counts := r.statusCounts()
	t.wrapLine(0, t.paint(ansiBold, "CHECKS")+fmt.Sprintf(" %d passed, %d failed, %d not verified, %d skipped, %d error",
		counts[StatusPassed], counts[StatusFailed], counts[StatusNotVerified], counts[StatusSkipped], counts[StatusError]))
	notSelected, skipped := 0, 0
	var skippedIDs []string
	// Results with the same status, reason and settle share one line.
	type group struct {
		ids            []string
		status         Status
		reason, settle string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, res := range r.Results {
		if res.Status == StatusPassed && !opts.Verbose {
			continue
		}
		if res.Status == StatusFailed && !opts.Verbose {
			continue // shown above as root causes
		}
		if res.Status == StatusSkipped && res.Reason == reasonNotSelected && !opts.Verbose {
			notSelected++
			continue
		}
		if res.Status == StatusSkipped && !opts.Verbose {
			skipped++
			skippedIDs = append(skippedIDs, res.CheckID)
			continue
		}
		k := string(res.Status) + "\x00" + res.Reason + "\x00" + res.Settle
		if opts.Verbose {
			k = res.CheckID
		}
		g := byKey[k]
		if g == nil {
			g = &group{status: res.Status, reason: res.Reason, settle: res.Settle}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.ids = append(g.ids, res.CheckID)
	}
	for _, g := range groups {
		st := string(g.status)
		switch g.status {
		case StatusError:
			st = t.paint(ansiRed, st)
		case StatusFailed, StatusNotVerified:
			st = t.paint(ansiYellow, st)
		}
		line := strings.Join(g.ids, ", ") + " " + st
		if g.reason != "" {
			line += ": " + firstLine(g.reason)
		}
		t.wrapLine(1, line)
		if g.settle != "" {
			t.wrapLine(2, t.paint(ansiDim, "would settle it: "+g.settle))
		}
	}
	if skipped > 0 {
		t.wrapLine(1, "skipped for lack of evidence: "+strings.Join(skippedIDs, ", ")+" (-v says which)")
	}
	if notSelected > 0 {
		t.line(1, fmt.Sprintf("(%s not selected)", plural(notSelected, "check", "checks")))
	}
	if len(r.Warnings) > 0 {
		t.line(0, "")
		if opts.Verbose || len(r.Warnings) <= 5 {
			t.line(0, t.paint(ansiBold, "EVIDENCE WARNINGS"))
			for _, w := range r.Warnings {
				t.wrapLine(1, clip(w.String(), 600))
			}
		} else {
			t.line(0, t.paint(ansiBold, "EVIDENCE WARNINGS")+fmt.Sprintf(" %d (-v lists them); first: ", len(r.Warnings)))
			t.wrapLine(1, clip(r.Warnings[0].String(), 300))
		}
	}
	if len(r.Notes) > 0 {
		t.line(0, "")
		t.line(0, t.paint(ansiBold, "NOTES"))
		for _, n := range r.Notes {
			t.wrapLine(1, n)
		}
	}
	return t.w.Flush()
}

// trivialReason are choice reasons the compact text leaves out: they say
// no more than the choice lines around them.
var trivialReason = map[string]bool{
	reasonOnlyFix:           true,
	reasonOtherIsWorkaround: true,
	reasonWorkaround:        true,
}

// finding returns the finding with the given ID, or nil.
func (r *Report) finding(id string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].ID == id {
			return &r.Findings[i]
		}
	}
	return nil
}

func (t *textWriter) writeFinding(f Finding) {
	id := f.ID
	if id == "" {
		id = f.CheckID
	}
	t.wrapLine(2, t.sev(f.Severity)+" "+t.paint(ansiBold, id)+" "+f.Message)
	for _, e := range f.Evidence {
		s := e.Where()
		if e.Detail != "" {
			s += ": " + e.Detail
		}
		t.wrapLine(3, t.paint(ansiDim, "evidence: ")+s)
	}
	for i, rem := range f.Remediation {
		label := "fix: "
		if i > 0 {
			label = "or: "
		}
		t.wrapLine(3, t.paint(ansiGreen, label)+rem.Summary)
		for _, c := range rem.Commands {
			shell := ShellCmd
			if strings.Contains(c, "-PSPath") || strings.HasPrefix(c, "Set-") || strings.HasPrefix(c, "Get-") ||
				strings.HasPrefix(c, "Add-") || strings.HasPrefix(c, "Remove-") {
				shell = ShellPowerShell
			}
			t.writeCommand(5, shell, c)
		}
		if rem.Tradeoff != "" {
			t.wrapLine(4, t.paint(ansiYellow, "tradeoff: ")+rem.Tradeoff)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
