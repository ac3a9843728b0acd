package cli

import (
	"fmt"
	"strings"
)

// UsageError is a wrong command line or input the program cannot run with
// (exit status 2, with a pointer to -h).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Join is prefix + ": " + msg, with what msg repeats of prefix removed (see
// Trim), on one line.
func Join(prefix, msg string) string {
	return prefix + ": " + Trim(prefix, msg)
}

// Trim removes from msg the leading context that repeats prefix, so that a
// program (or a warning's source) that prints prefix does not stutter:
//
//	Trim("diagnose", "diagnose: options: ...")                 = "options: ..."
//	Trim("iisconfig", "iisconfig: path \"x\": no such site")    = "path \"x\": no such site"
//	Trim("probe URL", "negotiate: probe URL: initial: ...")    = "initial: ..."
//	Trim("negotiate", "negotiate: probe URL: initial: ...")    = "probe URL: initial: ..."
//
// A package prefix ("negotiate: ") goes only when prefix follows it: a
// prefix that does not repeat anything is context and stays
// (Trim("diagnose", "spn: ldap URL ...") is unchanged). Line breaks become
// spaces.
func Trim(prefix, msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		return msg
	}
	head := prefix + ": "
	for {
		if rest, ok := strings.CutPrefix(msg, head); ok {
			msg = rest
			continue
		}
		// "pkg: " + prefix + ": ..."
		if word, rest, ok := strings.Cut(msg, ": "); ok && isPackageWord(word) {
			if after, ok := strings.CutPrefix(rest, head); ok {
				msg = after
				continue
			}
		}
		return msg
	}
}

// isPackageWord reports whether w looks like a Go package prefix of an
// error ("negotiate", "spn", "w3clog").
func isPackageWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
