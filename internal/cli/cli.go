// Package cli is what the example programs share so that they behave alike:
// the help layout (a one-line summary, flags grouped by purpose, the exit
// statuses), -h/-help and -version, the exit status meanings, one error
// prefix per program, deprecated and refused flags, credentials read only
// from files or environment variables, live-source URL checks, and terminal
// colour and progress through golang.org/x/term and go-colorable.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit statuses, the same in every program.
const (
	ExitOK           = 0 // ok / healthy
	ExitProblems     = 1 // problems found
	ExitUsage        = 2 // could not run: a usage or input error
	ExitInconclusive = 3 // inconclusive: nothing wrong found, but nothing proven either
)

// The standard flag groups every help lists, in this order.
const (
	GroupEvidence    = "Evidence"
	GroupLive        = "Live sources"
	GroupCredentials = "Credentials"
	GroupOutput      = "Output"
)

// StandardGroups are the group titles every help shows (empty ones say so).
var StandardGroups = []string{GroupEvidence, GroupLive, GroupCredentials, GroupOutput}

// Group is one purpose in the help: its flags (names without the dash, in
// the order shown) and positional arguments or commands.
type Group struct {
	Title string
	// Note is printed under the title (e.g. "passwords only from files or
	// environment variables").
	Note  string
	Args  []Arg
	Flags []string
	// None is printed when the group has neither flags nor arguments
	// (default "none").
	None string
}

// Arg is a positional argument or a command in the help.
type Arg struct{ Name, Usage string }

// Exit is one exit status a program returns and what it means there.
type Exit struct {
	Code   int
	Detail string // program-specific detail after the standard meaning
}

// Meaning is the standard meaning of an exit status.
func Meaning(code int) string {
	switch code {
	case ExitOK:
		return "ok"
	case ExitProblems:
		return "problems found"
	case ExitUsage:
		return "could not run (usage or input error)"
	case ExitInconclusive:
		return "inconclusive"
	}
	return "unknown"
}

// Command is one program or subcommand: its flags, help and error prefix.
type Command struct {
	// Name is the command as typed: "diagnose", "negotiate decode".
	Name string
	// Prog is the program name: the error prefix and the name -version
	// prints (default: the first word of Name).
	Prog string
	// Summary is the first line of the help: what the program is.
	Summary string
	// Usage are synopsis lines ("diagnose [-bundle DIR] ...").
	Usage []string
	// Groups are the flags and arguments by purpose; the standard groups
	// must be among them (see StandardGroups).
	Groups []Group
	// Exit are the statuses the command returns.
	Exit []Exit
	// Notes are paragraphs printed after the groups.
	Notes []string
	// Interspersed lets flags follow positional arguments ("probe URL
	// -format json").
	Interspersed bool

	Stdout, Stderr io.Writer

	fs         *flag.FlagSet
	version    *bool
	deprecated map[string]string // old name -> new name
	refused    map[string]string // name -> what to use instead
}

// New returns a command with its flag set (with -version registered).
func New(name, summary string, stdout, stderr io.Writer) *Command {
	c := &Command{Name: name, Summary: summary, Stdout: stdout, Stderr: stderr,
		fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() {}
	c.version = c.fs.Bool("version", false, "print the program name and version, then exit")
	return c
}

// Flags is the command's flag set: register the flags on it.
func (c *Command) Flags() *flag.FlagSet { return c.fs }

// prog is the error prefix.
func (c *Command) prog() string {
	if c.Prog != "" {
		return c.Prog
	}
	p, _, _ := strings.Cut(c.Name, " ")
	return p
}

// Deprecate registers old as a deprecated alias of the registered flag
// newName: it still works, with a note on stderr each time it is used.
func (c *Command) Deprecate(old, newName string) {
	f := c.fs.Lookup(newName)
	if f == nil {
		panic("cli: Deprecate: no flag -" + newName)
	}
	if c.deprecated == nil {
		c.deprecated = map[string]string{}
	}
	c.deprecated[old] = newName
	c.fs.Var(&alias{Value: f.Value, note: func() {
		c.Warnf("-%s is deprecated; use -%s", old, newName)
	}}, old, "deprecated: use -"+newName)
}

// Refuse makes name (a flag that used to take a secret on the command line)
// a usage error that points to instead; the value is never echoed.
func (c *Command) Refuse(name, instead string) {
	if c.refused == nil {
		c.refused = map[string]string{}
	}
	c.refused[name] = instead
}

// alias is a deprecated flag name sharing another flag's value.
type alias struct {
	flag.Value
	note func()
}

func (a *alias) Set(s string) error {
	a.note()
	return a.Value.Set(s)
}

// IsBoolFlag lets a deprecated boolean flag be given without a value.
func (a *alias) IsBoolFlag() bool {
	b, ok := a.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Parse parses args. When done is true the caller returns code at once:
// help or the version was printed (ExitOK), or the command line was wrong
// (ExitUsage, with one line on stderr). rest are the positional arguments.
func (c *Command) Parse(args []string) (rest []string, code int, done bool) {
	if err := c.checkRefused(args); err != nil {
		return nil, c.Fail(err), true
	}
	var err error
	if c.Interspersed {
		rest, err = c.parseInterspersed(args)
	} else {
		err = c.fs.Parse(args)
		rest = c.fs.Args()
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		if err := c.WriteHelp(c.Stdout); err != nil {
			return nil, c.Fail(err), true
		}
		return nil, ExitOK, true
	case err != nil:
		return nil, c.Fail(Usagef("%v", err)), true
	case *c.version:
		fmt.Fprintln(c.Stdout, Version(c.prog()))
		return nil, ExitOK, true
	}
	return rest, ExitOK, false
}

func (c *Command) parseInterspersed(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			return nil, err
		}
		if c.fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
}

// checkRefused finds a refused flag in args before the flag package sees
// it (its errors quote the value, which would print the secret).
func (c *Command) checkRefused(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		if instead, ok := c.refused[name]; ok {
			return Usagef("-%s is not accepted: a secret on the command line is visible to other users of the machine; use %s", name, instead)
		}
	}
	return nil
}

// Fail prints err on stderr as one line with the program prefix once, and
// returns ExitUsage (could not run).
func (c *Command) Fail(err error) int {
	c.Error(err)
	return ExitUsage
}

// Failf is Fail with a formatted usage error.
func (c *Command) Failf(format string, args ...any) int {
	return c.Fail(Usagef(format, args...))
}

// Error prints err on stderr as one line with the program prefix once.
// A usage error gets a pointer to the help.
func (c *Command) Error(err error) {
	msg := Join(c.prog(), err.Error())
	var ue *UsageError
	if errors.As(err, &ue) {
		msg += " (see " + c.Name + " -h)"
	}
	fmt.Fprintln(c.Stderr, msg)
}

// Warnf prints a note on stderr with the program prefix.
func (c *Command) Warnf(format string, args ...any) {
	fmt.Fprintln(c.Stderr, Join(c.prog(), fmt.Sprintf(format, args...)))
}

// WriteHelp writes the help: the summary line, the usage, the groups (the
// standard ones always, empty ones saying so), deprecated aliases, notes and
// the exit statuses. Flags in no group are listed under "Other".
func (c *Command) WriteHelp(w io.Writer) error {
	var b strings.Builder
	b.WriteString(c.Summary + "\n")
	if len(c.Usage) > 0 {
		b.WriteString("\nUsage:\n")
		for _, u := range c.Usage {
			b.WriteString("  " + u + "\n")
		}
	}
	placed := map[string]bool{"version": true}
	for old := range c.deprecated {
		placed[old] = true
	}
	groups := withStandardGroups(c.Groups)
	for _, g := range groups {
		b.WriteString("\n" + g.Title + ":\n")
		if g.Note != "" {
			b.WriteString(wrap(g.Note, "  ", helpWidth))
		}
		for _, a := range g.Args {
			writeEntry(&b, a.Name, a.Usage)
		}
		for _, name := range g.Flags {
			f := c.fs.Lookup(name)
			if f == nil {
				return fmt.Errorf("cli: help of %s lists an unknown flag -%s", c.Name, name)
			}
			placed[name] = true
			writeFlag(&b, f)
		}
		if g.Title == GroupOutput {
			writeEntry(&b, "-version", fmt.Sprintf("print %q and exit", c.prog()+" VERSION"))
			writeEntry(&b, "-h, -help", "print this help and exit")
		} else if len(g.Args) == 0 && len(g.Flags) == 0 {
			none := g.None
			if none == "" {
				none = "none"
			}
			b.WriteString("  " + none + "\n")
		}
	}
	var other []*flag.Flag
	c.fs.VisitAll(func(f *flag.Flag) {
		if !placed[f.Name] {
			other = append(other, f)
		}
	})
	if len(other) > 0 {
		b.WriteString("\nOther:\n")
		for _, f := range other {
			writeFlag(&b, f)
		}
	}
	if len(c.deprecated) > 0 {
		olds := make([]string, 0, len(c.deprecated))
		for old := range c.deprecated {
			olds = append(olds, old)
		}
		sort.Strings(olds)
		var parts []string
		for _, old := range olds {
			parts = append(parts, "-"+old+" (use -"+c.deprecated[old]+")")
		}
		b.WriteString("\nDeprecated (still accepted, with a note on stderr): " + strings.Join(parts, ", ") + "\n")
	}
	for _, n := range c.Notes {
		b.WriteString("\n" + wrap(n, "", helpWidth))
	}
	b.WriteString("\nExit status:\n")
	for _, e := range c.Exit {
		line := Meaning(e.Code)
		if e.Detail != "" {
			line += " - " + e.Detail
		}
		b.WriteString(wrapHanging(line, fmt.Sprintf("  %d  ", e.Code), "     ", helpWidth))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// withStandardGroups returns groups with the standard groups it lacks
// inserted (empty) where they belong: before the next standard group.
func withStandardGroups(groups []Group) []Group {
	rank := map[string]int{}
	for i, t := range StandardGroups {
		rank[t] = i + 1
	}
	out := append([]Group(nil), groups...)
	for i, std := range StandardGroups {
		present := false
		for _, g := range out {
			present = present || g.Title == std
		}
		if present {
			continue
		}
		at := len(out)
		for j, g := range out {
			if rank[g.Title] > i+1 {
				at = j
				break
			}
		}
		out = append(out[:at], append([]Group{{Title: std}}, out[at:]...)...)
	}
	return out
}

// writeFlag writes a flag as the flag package does: "-name TYPE", then
// the usage and a non-zero default on an indented line.
func writeFlag(b *strings.Builder, f *flag.Flag) {
	typ, usage := flag.UnquoteUsage(f)
	name := "-" + f.Name
	if typ != "" {
		name += " " + typ
	}
	switch f.DefValue {
	case "", "0", "false", "0s", "[]":
	default:
		if isStringish(f) {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		} else {
			usage += fmt.Sprintf(" (default %v)", f.DefValue)
		}
	}
	writeEntry(b, name, usage)
}

// isStringish reports whether f's value prints as a string (quoted default).
func isStringish(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, s := g.Get().(string)
	return s
}

func writeEntry(b *strings.Builder, name, usage string) {
	b.WriteString("  " + name + "\n")
	b.WriteString(wrap(usage, "        ", helpWidth))
}

// helpWidth is the column the help wraps at.
const helpWidth = 100

// wrap fills text into lines of at most width columns, each starting with
// indent; explicit line breaks are kept.
func wrap(text, indent string, width int) string {
	return wrapHanging(text, indent, indent, width)
}

// wrapHanging is wrap with a different indent for the first line.
func wrapHanging(text, first, rest string, width int) string {
	var b strings.Builder
	indent := first
	for _, para := range strings.Split(text, "\n") {
		line := indent
		empty := true // nothing after the indent yet
		for _, w := range strings.Fields(para) {
			if !empty && len(line)+1+len(w) > width {
				b.WriteString(line + "\n")
				line, empty = rest, true
			}
			if !empty {
				line += " "
			}
			line += w
			empty = false
		}
		b.WriteString(line + "\n")
		indent = rest
	}
	return b.String()
}

// Version is "NAME VERSION": the main module's version from the build
// information, or "(devel)" when it has none.
func Version(name string) string {
	v := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	return name + " " + v
}

// CheckHelp reports what a help text lacks of the shared layout (for the
// programs' tests): a first line naming the program, the standard groups in
// order, the exit statuses, -version and -h, and no ungrouped flags.
func CheckHelp(help, name string) error {
	first, _, _ := strings.Cut(help, "\n")
	if !strings.Contains(first, name) {
		return fmt.Errorf("first line %q does not name %s", first, name)
	}
	at := 0
	for _, w := range append(append([]string{}, StandardGroups...), "Exit status") {
		i := strings.Index(help[at:], "\n"+w+":\n")
		if i < 0 {
			return fmt.Errorf("no %q group (in order) in the help", w)
		}
		at += i + 1
	}
	for _, w := range []string{"\n  -version\n", "\n  -h, -help\n"} {
		if !strings.Contains(help, w) {
			return fmt.Errorf("the help lacks %q", strings.TrimSpace(w))
		}
	}
	if strings.Contains(help, "\nOther:\n") {
		return errors.New("the help has flags in no group (Other)")
	}
	if strings.Contains(help, "\x1b") {
		return errors.New("the help has escape codes")
	}
	return nil
}
