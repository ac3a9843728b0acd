package spn

import (
	"context"
	"errors"
)

// Directory answers who owns service principal names. LDAP
// ([DialLDAP]), parsed setspn/ldifde output ([NewOfflineDirectory]) and an
// in-memory list ([NewMemoryDirectory]) implement it.
//
// Every answer states whether it is complete. An implementation that could not
// see everything (a size or time limit, an unfollowed referral, a dropped
// connection, evidence that covers only some accounts) returns an answer whose
// Completeness is false. When an operation was cut short by a failure it also
// returns an error matching [ErrIncomplete] (usually an [*IncompleteError]);
// the partial answer is still returned so callers can show what was seen.
//
// SPN comparisons are case-insensitive, as in Active Directory.
type Directory interface {
	// Owners returns the accounts whose servicePrincipalName holds spn,
	// compared case-insensitively. An empty complete answer proves that no
	// account holds spn; an empty incomplete answer proves nothing.
	Owners(ctx context.Context, spn string) (Answer, error)

	// Account returns the account named name: "DOMAIN\sam", "sam", "sam$"
	// (computer accounts; "WEB01" also finds "WEB01$") or a distinguished
	// name. Zero accounts in a complete answer means there is no such account.
	Account(ctx context.Context, name string) (Answer, error)

	// Scan calls fn once for every account that holds at least one SPN. The
	// *Account (and its slices) is only valid during the call: fn must copy
	// what it keeps, so implementations can reuse one buffer. If fn returns an
	// error, Scan stops and returns that error unchanged with an incomplete
	// Completeness. Scan honours ctx cancellation.
	Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error)

	// Describe names the source for reports, for example
	// "ldap://127.0.0.1:3890 (domain DC=example,DC=test)" or
	// "setspn -X output a.txt".
	Describe() string
}

// Completeness says whether an answer covers everything the question asked.
type Completeness struct {
	// Complete is true only when the source saw every relevant account.
	Complete bool `json:"complete"`
	// Reason explains an incomplete answer ("size limit exceeded after 1000
	// entries", "setspn -L output covers only the accounts it lists"); empty
	// when Complete.
	Reason string `json:"reason"`
}

// Answer is a Directory's reply: the accounts found and whether that list is
// complete.
type Answer struct {
	// Accounts found, in the order the source returned them.
	Accounts []Account `json:"accounts"`
	Completeness
}

// ErrIncomplete is matched (with errors.Is) by every error that means a
// directory operation was cut short and its answer is partial.
var ErrIncomplete = errors.New("spn: directory answer incomplete")

// IncompleteError reports a directory operation that was cut short. It
// matches [ErrIncomplete] with errors.Is and unwraps to the underlying cause.
type IncompleteError struct {
	// Reason says what was cut short, e.g. "scan stopped after 1200 entries".
	Reason string
	// Err is the cause (an LDAP result code, a context error, an I/O error);
	// may be nil.
	Err error
}

// Error describes what was cut short and why.
func (e *IncompleteError) Error() string {
	msg := "spn: incomplete answer"
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *IncompleteError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrIncomplete].
func (e *IncompleteError) Is(target error) bool { return target == ErrIncomplete }

// MappingSource is implemented by directories that can read the forest's real
// sPNMappings attribute (the LDAP directory does). Callers fall back to
// [DefaultSPNMappings] otherwise.
type MappingSource interface {
	SPNMappings(ctx context.Context) (SPNMappings, error)
}
