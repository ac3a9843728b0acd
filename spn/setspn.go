package spn

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// SetspnKind says which setspn command produced a run of output.
type SetspnKind int

// setspn commands whose English output ParseSetspn reads.
const (
	SetspnList       SetspnKind = iota + 1 // setspn -L account
	SetspnQuery                            // setspn -Q spn (with or without -F)
	SetspnDuplicates                       // setspn -X (with or without -F)
)

// String returns the command: "setspn -L", "setspn -Q" or "setspn -X".
func (k SetspnKind) String() string {
	switch k {
	case SetspnList:
		return "setspn -L"
	case SetspnQuery:
		return "setspn -Q"
	case SetspnDuplicates:
		return "setspn -X"
	}
	return "setspn"
}

// SetspnOutput is a parsed text file of setspn output. One file may hold the
// output of several commands (a customer pasting -L, -Q and -X together);
// each becomes a Run.
type SetspnOutput struct {
	Name     string           // the file name given to ParseSetspn
	Encoding textenc.Encoding // how the file was encoded
	Runs     []SetspnRun
	Warnings []Warning // lines that were not understood or report setspn errors
}

// SetspnRun is the output of one setspn command.
type SetspnRun struct {
	Kind SetspnKind
	Line int // line of the first line of this run
	// Command is the echoed command line ("C:\>setspn -Q HTTP/web01") when
	// the file contains it, else empty.
	Command string
	// Target is the command's argument when the command line was echoed: the
	// account for -L, the SPN (or pattern) for -Q.
	Target string
	// Scope is the DN after "Checking domain"/"Checking forest" (-Q, -X).
	Scope string
	// Scopes lists every "Checking domain"/"Checking forest" DN of the run,
	// Scope first: a command with several -T targets checks each in turn.
	Scopes []string
	// Domains are the -T arguments of the echoed command line, in order
	// ("*" and "" name the current domain or forest); empty without -T or
	// without an echoed command.
	Domains []string
	// Forest is true for "Checking forest" (the -F flag).
	Forest bool
	// Accounts: -L the listed account; -Q every matching account with all its
	// SPNs.
	Accounts []SetspnAccount
	// Duplicates: -X groups of accounts holding the same SPN.
	Duplicates []SetspnDuplicate
	// Entries is the last "Processing entry N" number (-X).
	Entries int
	// Groups is N from "found N group of duplicate SPNs." (-X).
	Groups int
	// Found is true after "Existing SPN found!" (-Q).
	Found bool
	// Finished is true when the run's final line was seen ("Existing SPN
	// found!", "No such SPN found.", "found N group..."); -L output has no
	// final line and is Finished when its header was seen. An unfinished run
	// was truncated or failed and proves nothing about absence.
	Finished bool
	// Errors are setspn error lines inside the run ("Could not find account",
	// "Ldap Error(...)"); a run with errors is not complete.
	Errors []string
}

// SetspnAccount is an account as setspn prints it.
type SetspnAccount struct {
	DN   string
	Name string // DOMAIN\sam when setspn printed it (some -X versions), else empty
	SPNs []string
	Line int
}

// SetspnDuplicate is one group of setspn -X output.
type SetspnDuplicate struct {
	SPN    string
	Owners []SetspnAccount // DN (and Name when printed) of each holder
	Line   int
}

// Kind returns the kind of the first run (0 when there is none).
func (o *SetspnOutput) Kind() SetspnKind {
	if len(o.Runs) == 0 {
		return 0
	}
	return o.Runs[0].Kind
}

// Complete reports whether the run's own question was fully answered: its
// final line was seen and setspn printed no error in it.
func (r *SetspnRun) Complete() bool { return r.Finished && len(r.Errors) == 0 }

// maxLine bounds one line of evidence text: setspn and ldifde lines are a
// few hundred bytes (ldifde folds long values at 80 columns), so a longer
// line is not their output. Such a line is never held whole: a
// [*ParseError] wrapping [ErrLineTooLong] names it.
const maxLine = 1 << 20

// ErrLineTooLong is wrapped by the [*ParseError] of a setspn or LDIF file
// with a line (for LDIF, an unfolded logical line) longer than 1 MiB
// (1,048,576 bytes); the error's Line is that line (for LDIF, the first
// physical line of the folded one).
var ErrLineTooLong = errors.New("line too long")

// lineTooLong wraps ErrLineTooLong with the limit.
func lineTooLong() error {
	return fmt.Errorf("%w: more than %d bytes, which this format never needs", ErrLineTooLong, maxLine)
}

// ParseSetspn parses English setspn -L, -Q and -X output (recognised by
// content, several commands per file allowed), with the -F (forest) and -T
// (target domain, repeatable) modifiers. The text may be UTF-8 (with or
// without BOM) or UTF-16LE as PowerShell redirection writes it, with LF or
// CRLF line ends, and indented as a whole (a pasted code block).
//
// Pastes carry more than setspn output. Shell prompt lines ("PS C:\>",
// "C:\Users\admin>"), other commands and their output, setspn -S/-A/-D
// output ("Registering ServicePrincipalNames for ...", "Updated object"),
// markdown fences and prose are never read as SPNs: each becomes a Warning
// and ends the run before it, so lines after it cannot join that run's SPN
// list. Owners printed as "DOMAIN\sam DN" keep the name. Lines it does not
// understand become Warnings (the first 1000, then one that counts the
// rest); a file with no setspn output at all is a [*ParseError] wrapping
// [ErrUnrecognized], and a line over 1 MiB one wrapping [ErrLineTooLong],
// found without reading the rest of that line.
func ParseSetspn(name string, r io.Reader) (*SetspnOutput, error) {
	tr, enc, err := textenc.NewReader(r)
	if err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	p := setspnParser{out: &SetspnOutput{Name: name, Encoding: enc}}
	lr := textenc.NewLineReader(tr, maxLine)
	for lr.Scan() {
		p.line = lr.Line()
		if lr.Long() {
			return nil, &ParseError{File: name, Line: p.line, Err: lineTooLong()}
		}
		p.handle(strings.TrimRight(string(lr.Bytes()), "\r"))
	}
	if err := lr.Err(); err != nil {
		return nil, &ParseError{File: name, Line: p.line + 1, Err: err}
	}
	p.flush()
	if p.moreWarnings > 0 {
		p.out.Warnings = append(p.out.Warnings, moreWarnings(name, p.line, p.moreWarnings))
	}
	if len(p.out.Runs) == 0 {
		return nil, &ParseError{File: name, Line: 1, Err: fmt.Errorf("no setspn -L/-Q/-X output: %w", ErrUnrecognized)}
	}
	return p.out, nil
}

type setspnParser struct {
	out          *SetspnOutput
	line         int
	moreWarnings int        // warnings past maxWarnings, counted only
	cur          *SetspnRun // run being filled (not yet in out.Runs)
	inEdit       bool       // after setspn -S/-A/-D: its "Checking domain" is no query
	pending      struct {   // an echoed command waiting for its output
		set         bool
		line        int
		cmd, target string
		kind        SetspnKind
		forest      bool
		domains     []string
	}
}

// maxWarnings bounds the warnings a setspn or LDIF parser lists: past it
// they are counted, and one last warning gives the count, so that a large
// file of noise costs no memory per line.
const maxWarnings = 1000

func (p *setspnParser) warn(format string, a ...any) {
	if len(p.out.Warnings) >= maxWarnings {
		p.moreWarnings++
		return
	}
	p.out.Warnings = append(p.out.Warnings, Warning{File: p.out.Name, Line: p.line, Message: fmt.Sprintf(format, a...)})
}

// moreWarnings returns the warning that counts n unlisted ones.
func moreWarnings(file string, line, n int) Warning {
	return Warning{File: file, Line: line, Message: fmt.Sprintf("%d more warnings not listed (only the first %d are)", n, maxWarnings)}
}

// flush moves the current run into the output.
func (p *setspnParser) flush() {
	if p.cur != nil {
		p.out.Runs = append(p.out.Runs, *p.cur)
		p.cur = nil
	}
}

// start begins a new run of kind k (0 = decided later).
func (p *setspnParser) start(k SetspnKind) *SetspnRun {
	p.flush()
	p.inEdit = false
	r := &SetspnRun{Kind: k, Line: p.line}
	if p.pending.set {
		r.Command, r.Target, r.Line = p.pending.cmd, p.pending.target, p.pending.line
		if r.Kind == 0 {
			r.Kind = p.pending.kind
		}
		r.Forest = p.pending.forest
		r.Domains = p.pending.domains
		p.pending.set = false
	}
	p.cur = r
	return r
}

func (p *setspnParser) handle(raw string) {
	line := strings.TrimSpace(raw)
	if line == "" {
		return
	}
	indented := raw[0] == ' ' || raw[0] == '\t'
	// ASCII-only lowering keeps byte offsets equal to line's (strings.ToLower
	// turns an invalid byte into a 3-byte U+FFFD), so indexes found in lower
	// can slice line.
	lower := asciiLower(line)

	switch {
	case p.command(line, lower):
		return
	case p.otherOutput(line, lower):
		return
	case strings.HasPrefix(lower, "registered serviceprincipalnames for "):
		r := p.start(SetspnList)
		dn := strings.TrimSuffix(line[len("registered serviceprincipalnames for "):], ":")
		r.Accounts = append(r.Accounts, SetspnAccount{DN: strings.TrimSpace(dn), Line: p.line})
		r.Finished = true
		return
	case (strings.HasPrefix(lower, "checking domain ") || strings.HasPrefix(lower, "checking forest ")) && p.inEdit:
		p.warn("part of setspn -S output, not a query: %q", clip(line))
		return
	case strings.HasPrefix(lower, "checking domain ") || strings.HasPrefix(lower, "checking forest "):
		// A command with several -T targets checks each in the same run.
		multi := p.cur != nil && len(p.cur.Domains) > 1 && !p.cur.Finished && p.cur.Kind != SetspnList
		if !multi && (p.cur == nil || p.cur.Scope != "" || len(p.cur.Accounts)+len(p.cur.Duplicates) > 0 || p.cur.Finished || p.cur.Kind == SetspnList) {
			p.start(0)
		}
		scope := strings.TrimSpace(line[len("checking domain "):])
		if p.cur.Scope == "" {
			p.cur.Scope = scope
		}
		p.cur.Scopes = append(p.cur.Scopes, scope)
		p.cur.Forest = p.cur.Forest || strings.HasPrefix(lower, "checking forest ")
		return
	case strings.HasPrefix(lower, "operation will be performed forestwide"):
		p.ensure(0).Forest = true
		return
	case strings.HasPrefix(lower, "processing entry "):
		r := p.ensure(SetspnDuplicates)
		r.Kind = SetspnDuplicates
		if n, err := strconv.Atoi(strings.TrimSpace(line[len("processing entry "):])); err == nil {
			r.Entries = n
		} else {
			p.warn("unreadable entry number in %q", line)
		}
		return
	case strings.HasPrefix(lower, "found ") && strings.Contains(lower, "duplicate spn"):
		r := p.ensure(SetspnDuplicates)
		r.Kind = SetspnDuplicates
		f := strings.Fields(line)
		n, err := strconv.Atoi(f[1])
		if err != nil {
			p.warn("unreadable group count in %q", line)
			return
		}
		r.Groups = n
		r.Finished = true
		if n != len(r.Duplicates) {
			r.Errors = append(r.Errors, fmt.Sprintf("line %d: setspn reports %d groups but %d were listed", p.line, n, len(r.Duplicates)))
		}
		for _, d := range r.Duplicates {
			if n := distinctOwners(d.Owners); n < 2 {
				r.Errors = append(r.Errors, fmt.Sprintf("line %d: duplicate group %q lists %d distinct account(s)", d.Line, clip(d.SPN), n))
			}
		}
		p.flush()
		return
	case lower == "existing spn found!":
		r := p.ensure(SetspnQuery)
		r.Kind, r.Found, r.Finished = SetspnQuery, true, true
		p.flush()
		return
	case lower == "no such spn found.":
		r := p.ensure(SetspnQuery)
		r.Kind, r.Finished = SetspnQuery, true
		if len(r.Accounts) > 0 {
			r.Errors = append(r.Errors, fmt.Sprintf("line %d: %q after listed accounts", p.line, line))
		}
		p.flush()
		return
	case isSetspnError(lower):
		if p.cur == nil && p.pending.set {
			p.start(0) // the echoed command failed: keep it as a run with the error
		}
		if p.cur != nil {
			p.cur.Errors = append(p.cur.Errors, line)
		}
		p.warn("setspn reported an error: %s", line)
		return
	}

	r := p.cur
	if r == nil {
		p.warn("text outside setspn output: %q", clip(line))
		return
	}
	switch r.Kind {
	case SetspnList:
		if !indented {
			// setspn -L output has no final line: unindented text ends it,
			// so that nothing after it joins the SPN list.
			p.warn("unexpected unindented line ends setspn -L output: %q", clip(line))
			p.flush()
			return
		}
		if why := notSPN(line); why != "" {
			p.warn("%s in setspn -L output ignored: %q", why, clip(line))
			return
		}
		a := &r.Accounts[len(r.Accounts)-1]
		a.SPNs = append(a.SPNs, line)
	case SetspnQuery:
		p.queryLine(r, line, indented)
	case SetspnDuplicates:
		p.dupLine(r, line, indented)
	default: // after "Checking domain": -Q or -X not known yet
		if indented {
			p.warn("indented line before any account or SPN: %q", clip(line))
			return
		}
		if looksLikeDN(line) {
			r.Kind = SetspnQuery
			p.queryLine(r, line, indented)
		} else {
			r.Kind = SetspnDuplicates
			p.dupLine(r, line, indented)
		}
	}
}

// ensure returns the current run, starting one of kind k if there is none.
func (p *setspnParser) ensure(k SetspnKind) *SetspnRun {
	if p.cur == nil {
		return p.start(k)
	}
	return p.cur
}

func (p *setspnParser) queryLine(r *SetspnRun, line string, indented bool) {
	// An account line is a DN (or "DOMAIN\sam DN") whatever its indentation,
	// so a paste indented as a whole reads the same; an SPN never looks like
	// a DN.
	if name, dn, ok := ownerLine(line); ok {
		r.Accounts = append(r.Accounts, SetspnAccount{DN: dn, Name: name, Line: p.line})
		return
	}
	if !indented {
		p.warn("expected a distinguished name in setspn -Q output: %q", clip(line))
		return
	}
	if len(r.Accounts) == 0 {
		p.warn("SPN before any account in setspn -Q output: %q", clip(line))
		return
	}
	if why := notSPN(line); why != "" {
		p.warn("%s in setspn -Q output ignored: %q", why, clip(line))
		return
	}
	a := &r.Accounts[len(r.Accounts)-1]
	a.SPNs = append(a.SPNs, line)
}

// ownerLine splits an account line of setspn -Q/-X output: a DN, or
// "DOMAIN\sam DN" as some versions print it.
func ownerLine(line string) (name, dn string, ok bool) {
	if looksLikeDN(line) {
		return "", line, true
	}
	if f := strings.Fields(line); len(f) >= 2 && strings.Contains(f[0], `\`) && !looksLikeDN(f[0]) {
		dn = strings.TrimSpace(line[strings.Index(line, f[0])+len(f[0]):])
		if looksLikeDN(dn) {
			return f[0], dn, true
		}
	}
	return "", "", false
}

// notSPN says why an indented line of a SPN listing is not an SPN value
// ("" when it may be one): prose (whitespace before any "/"), markdown
// fences and ellipses. Malformed values with a class ("HTTP/web 01") and
// values without one but without spaces ("web01") are kept: they exist in
// real directories and are reported by [Parse].
func notSPN(line string) string {
	for _, pfx := range []string{"```", "~~~", "...", "\u2026", "--", "#", "=="} {
		if strings.HasPrefix(line, pfx) {
			return "markup or ellipsis"
		}
	}
	if i := strings.IndexFunc(line, unicode.IsSpace); i >= 0 && !strings.Contains(line[:i], "/") {
		return "text that is not an SPN"
	}
	return ""
}

func (p *setspnParser) dupLine(r *SetspnRun, line string, indented bool) {
	_, _, owner := ownerLine(line)
	// A group line names an SPN; with the whole paste indented it is
	// indented too, so it is told from an owner by content.
	if !owner && (!indented || strings.Contains(asciiLower(line), " is registered on these accounts") ||
		strings.Contains(line, "/") && len(r.Duplicates) == 0) {
		if !strings.Contains(line, "/") {
			// Not an SPN: boilerplate such as "Operation completed
			// successfully." must not become a duplicate group.
			p.warn("unexpected line in setspn -X output: %q", clip(line))
			return
		}
		s := line
		if i := strings.Index(asciiLower(s), " is registered on these accounts"); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		r.Duplicates = append(r.Duplicates, SetspnDuplicate{SPN: s, Line: p.line})
		return
	}
	if len(r.Duplicates) == 0 {
		p.warn("account before any SPN in setspn -X output: %q", clip(line))
		return
	}
	d := &r.Duplicates[len(r.Duplicates)-1]
	name, dn, ok := ownerLine(line)
	if !ok {
		p.warn("expected a distinguished name in setspn -X output: %q", clip(line))
		return
	}
	d.Owners = append(d.Owners, SetspnAccount{Line: p.line, Name: name, DN: dn})
}

// command recognises an echoed setspn command line ("C:\>setspn -L web01",
// "PS C:\> setspn.exe -F -Q HTTP/x", "setspn -X").
func (p *setspnParser) command(line, lower string) bool {
	i := strings.Index(lower, "setspn")
	if i < 0 {
		return false
	}
	prefix := strings.TrimSpace(line[:i])
	if prefix != "" && !strings.HasSuffix(prefix, ">") && !strings.HasSuffix(prefix, "$") && !strings.HasSuffix(prefix, "#") {
		return false
	}
	f := strings.Fields(line[i:])
	if len(f) == 0 || (strings.ToLower(f[0]) != "setspn" && strings.ToLower(f[0]) != "setspn.exe") {
		return false
	}
	var kind SetspnKind
	forest, edit := false, ""
	var args, domains []string
	for i := 1; i < len(f); i++ {
		a := f[i]
		if a == "|" || strings.HasPrefix(a, ">") || strings.HasPrefix(a, "1>") || strings.HasPrefix(a, "2>") {
			break // a pipe or redirection ends setspn's arguments
		}
		switch strings.ToLower(a) {
		case "-l", "/l":
			kind = SetspnList
		case "-q", "/q":
			kind = SetspnQuery
		case "-x", "/x":
			kind = SetspnDuplicates
		case "-f", "/f":
			forest = true
		case "-t", "/t":
			if i+1 < len(f) {
				i++
				domains = append(domains, strings.Trim(f[i], `"`))
			}
		case "-s", "/s", "-a", "/a", "-d", "/d", "-r", "/r":
			edit = a
		case "-p", "/p", "-c", "/c", "-u", "/u":
		default:
			args = append(args, a)
		}
	}
	if kind == 0 && edit != "" {
		p.flush()
		p.pending.set = false
		p.inEdit = true
		p.warn("setspn %s changes SPNs; its output is not read: %q", edit, clip(line))
		return true
	}
	if kind == 0 && len(args) == 1 && !strings.HasPrefix(args[0], "-") && !strings.HasPrefix(args[0], "/") {
		kind = SetspnList // "setspn account" lists, as -L does
	}
	if kind == 0 {
		return false
	}
	p.flush()
	p.pending.set = true
	p.pending.line, p.pending.cmd, p.pending.kind, p.pending.forest = p.line, line, kind, forest
	p.pending.domains = domains
	p.pending.target = ""
	if len(args) > 0 {
		p.pending.target = args[len(args)-1]
	}
	if kind == SetspnQuery || kind == SetspnDuplicates {
		p.start(kind)
	}
	return true
}

// promptRE matches a shell prompt at the start of a line: PowerShell
// ("PS C:\Windows\system32>", "PS>") and cmd ("C:\Users\admin>", "C:>").
var promptRE = regexp.MustCompile(`^(?:PS(?:\s[^>]*)?|[A-Za-z]:(?:\\[^>]*)?)>`)

// otherOutput recognises lines that are not setspn query output and must
// end the current run: shell prompts (with or without another command) and
// the output of setspn's edit switches (-S, -A, -D), whose indented SPNs
// are being added or removed, not listed.
func (p *setspnParser) otherOutput(line, lower string) bool {
	if loc := promptRE.FindStringIndex(line); loc != nil {
		rest := strings.TrimSpace(line[loc[1]:])
		p.flush()
		p.inEdit = false
		if p.pending.set {
			p.warn("echoed command %q printed nothing before the next prompt", clip(p.pending.cmd))
			p.pending.set = false
		}
		if rest == "" {
			p.warn("shell prompt line ignored: %q", clip(line))
		} else {
			p.warn("command that is not a setspn query ignored, with its output: %q", clip(line))
		}
		return true
	}
	for _, pfx := range []string{"registering serviceprincipalnames for ", "unregistering serviceprincipalnames for ",
		"updated object", "duplicate spn found"} {
		if strings.HasPrefix(lower, pfx) {
			p.flush()
			// "Updated object" and "Duplicate SPN found, aborting
			// operation!" end the edit's output.
			p.inEdit = strings.HasSuffix(pfx, " for ")
			p.warn("setspn -S/-A/-D output is not read (it changes SPNs, it does not list them): %q", clip(line))
			return true
		}
	}
	return false
}

// isSetspnError recognises setspn's error lines.
func isSetspnError(lower string) bool {
	for _, pfx := range []string{
		"could not find account", "ldap error", "finddomainforaccount", "failed to ", "unable to ",
		"error:", "dsgetdcname", "dscracknames", "warning: ", "checking domain failed",
	} {
		if strings.HasPrefix(lower, pfx) {
			return true
		}
	}
	return strings.Contains(lower, "failed with") || strings.Contains(lower, "error 0x") || strings.Contains(lower, "error(0x")
}

// distinctOwners counts the accounts of a duplicate group, comparing DNs
// case-insensitively: an account listed twice is one account.
func distinctOwners(owners []SetspnAccount) int {
	if len(owners) > 16 {
		// A map keeps a group of many owners linear.
		seen := make(map[string]bool, len(owners))
		for _, o := range owners {
			seen[equalFoldKey(o.DN)] = true
		}
		return len(seen)
	}
	n := 0
	for i, o := range owners {
		seen := false
		for _, p := range owners[:i] {
			seen = seen || strings.EqualFold(p.DN, o.DN)
		}
		if !seen {
			n++
		}
	}
	return n
}

// equalFoldKey maps s to a key equal for strings that strings.EqualFold
// matches: each rune becomes the smallest rune of its case-folding orbit.
func equalFoldKey(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

// asciiLower lower-cases the ASCII letters of s only, so the result has the
// same length and byte offsets as s.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// looksLikeDN reports whether s starts like a distinguished name (CN=...).
func looksLikeDN(s string) bool {
	k, _, ok := strings.Cut(s, "=")
	if !ok || k == "" || strings.ContainsAny(k, "/ \t\\:") {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
