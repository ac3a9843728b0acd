package spn

import (
	"context"
	"fmt"
)

// MemoryDirectory is a [Directory] over accounts held in memory, for tests
// and for callers that already have the data. It is safe for concurrent use
// (it is never modified after construction).
type MemoryDirectory struct {
	accounts []Account
	index    map[string][]int32 // lower-case SPN -> account indexes
	complete bool
	desc     string
}

// NewMemoryDirectory returns a directory over a copy of accounts. complete
// says whether accounts holds every SPN holder of the scope in question; when
// false, answers that depend on absence are marked incomplete.
func NewMemoryDirectory(accounts []Account, complete bool) *MemoryDirectory {
	d := &MemoryDirectory{complete: complete, index: map[string][]int32{}}
	var buf []byte
	for i := range accounts {
		d.accounts = append(d.accounts, cloneAccount(&accounts[i]))
		for _, s := range accounts[i].SPNs {
			buf = lowerASCII(buf, s)
			l := d.index[string(buf)]
			if len(l) == 0 || l[len(l)-1] != int32(i) {
				d.index[string(buf)] = append(l, int32(i))
			}
		}
	}
	d.desc = fmt.Sprintf("in-memory directory (%d accounts)", len(accounts))
	return d
}

func (d *MemoryDirectory) completeness() Completeness {
	if d.complete {
		return Completeness{Complete: true}
	}
	return Completeness{Reason: "the in-memory directory was built from a partial account list"}
}

// Owners implements [Directory].
func (d *MemoryDirectory) Owners(ctx context.Context, spn string) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{Completeness: Completeness{Reason: "cancelled"}}, &IncompleteError{Reason: "owners lookup cancelled", Err: err}
	}
	var ans Answer
	for _, i := range d.index[string(lowerASCII(nil, spn))] {
		ans.Accounts = append(ans.Accounts, cloneAccount(&d.accounts[i]))
	}
	ans.Completeness = d.completeness()
	return ans, nil
}

// Account implements [Directory]. A found account is a complete answer (the
// directory holds it as given).
func (d *MemoryDirectory) Account(ctx context.Context, name string) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{Completeness: Completeness{Reason: "cancelled"}}, &IncompleteError{Reason: "account lookup cancelled", Err: err}
	}
	var ans Answer
	for i := range d.accounts {
		if accountMatches(&d.accounts[i], name) {
			ans.Accounts = append(ans.Accounts, cloneAccount(&d.accounts[i]))
		}
	}
	ans.Completeness = d.completeness()
	if len(ans.Accounts) > 0 {
		ans.Completeness = Completeness{Complete: true}
	}
	return ans, nil
}

// Scan implements [Directory].
func (d *MemoryDirectory) Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error) {
	var a Account
	for i := range d.accounts {
		if err := ctx.Err(); err != nil {
			return Completeness{Reason: fmt.Sprintf("scan cancelled after %d of %d accounts", i, len(d.accounts))},
				&IncompleteError{Reason: "scan cancelled", Err: err}
		}
		if len(d.accounts[i].SPNs) == 0 {
			continue
		}
		a = d.accounts[i]
		a.SPNs = append(a.SPNs[:0:0], d.accounts[i].SPNs...)
		if err := fn(&a); err != nil {
			return Completeness{Reason: fmt.Sprintf("scan stopped by the caller after %d accounts", i)}, err
		}
	}
	return d.completeness(), nil
}

// Describe implements [Directory].
func (d *MemoryDirectory) Describe() string { return d.desc }
