package negotiate

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by DecodeError, HeaderError and KlistError; test
// for them with errors.Is.
var (
	// ErrTruncated means a length or offset points past the end of the input.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed means the bytes do not follow the encoding rules
	// (DER, SPNEGO, Kerberos or NTLM message layout).
	ErrMalformed = errors.New("malformed")
	// ErrInconsistent means fields of an NTLM message contradict each other,
	// for example payload offsets that overlap the fixed header.
	ErrInconsistent = errors.New("inconsistent")
	// ErrUnknownToken means the first bytes match no known token class.
	ErrUnknownToken = errors.New("unknown token type")
	// ErrUnknownFormat means a klist file is neither Windows nor MIT output.
	ErrUnknownFormat = errors.New("unrecognised klist format")
)

// DecodeError reports why a token could not be decoded. Offset is the byte
// offset into the token given to DecodeToken where the problem was found and
// Field names the structure being read ("NegTokenInit.mechTypes",
// "AUTHENTICATE.NtChallengeResponseFields", ...).
type DecodeError struct {
	Offset int
	Field  string
	Err    error
}

// Error returns the message with the position of the problem.
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("negotiate: decode at byte %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("negotiate: decode %s at byte %d: %v", e.Field, e.Offset, e.Err)
}

// Unwrap returns the cause, one of the package's sentinel errors or an I/O error.
func (e *DecodeError) Unwrap() error { return e.Err }

// HeaderError reports a WWW-Authenticate or Authorization value that cannot
// be parsed. Offset is the byte offset within the value. The value itself is
// not kept: an Authorization header may carry credentials.
type HeaderError struct {
	Offset int
	Err    error
}

// Error returns the message with the position of the problem.
func (e *HeaderError) Error() string {
	return fmt.Sprintf("negotiate: header at byte %d: %v", e.Offset, e.Err)
}

// Unwrap returns the cause, one of the package's sentinel errors or an I/O error.
func (e *HeaderError) Unwrap() error { return e.Err }

// KlistError reports klist output that cannot be parsed. Line is 1-based
// (0 when the problem is the file as a whole).
type KlistError struct {
	Name string
	Line int
	Err  error
}

// Error returns the message with the position of the problem.
func (e *KlistError) Error() string {
	name := e.Name
	if name == "" {
		name = "klist"
	}
	if e.Line == 0 {
		return fmt.Sprintf("negotiate: %s: %v", name, e.Err)
	}
	return fmt.Sprintf("negotiate: %s:%d: %v", name, e.Line, e.Err)
}

// Unwrap returns the cause, one of the package's sentinel errors or an I/O error.
func (e *KlistError) Unwrap() error { return e.Err }
