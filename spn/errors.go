package spn

import (
	"errors"
	"fmt"
)

// ErrUnrecognized means a file is not the kind of evidence its parser reads
// (no setspn marker line, no LDIF entry).
var ErrUnrecognized = errors.New("unrecognized content")

// ParseError reports a problem at a place in an evidence file. It unwraps to
// the cause ([ErrUnrecognized], an I/O error, a base64 error, ...).
type ParseError struct {
	File string // the name given to the parser
	Line int    // 1-based line; 0 when not tied to a line
	Err  error
}

// Error returns "spn: file:line: cause".
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("spn: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("spn: %s: %v", e.File, e.Err)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// Warning is something a parser skipped or could not fully interpret; it
// does not stop parsing but may make the evidence incomplete.
type Warning struct {
	File    string
	Line    int
	Message string
}

// String returns "file:line: message".
func (w Warning) String() string { return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message) }
