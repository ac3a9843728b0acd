package spn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/iiskerb/iiskerb/internal/jsonorder"
)

// VerdictKind classifies a finding about SPN ownership.
type VerdictKind int

// Verdict kinds.
const (
	// OK: the SPN (or its HOST fallback) resolves to the decrypting account.
	OK VerdictKind = iota + 1
	// Missing: the decrypting account does not hold the SPN or a fallback,
	// and no other holder was seen. Either no account holds it (clients get
	// KDC_ERR_S_PRINCIPAL_UNKNOWN and fall back to NTLM) or, when only the
	// decrypting account's full SPN list is known (see [Evaluate]), an
	// account the evidence does not show may hold it, which is just as
	// wrong. Completeness says which answer it rests on.
	Missing
	// WrongAccount: another account holds the SPN (or the HOST fallback), so
	// tickets are encrypted for it and the server fails to decrypt them
	// (KRB_AP_ERR_MODIFIED).
	WrongAccount
	// Duplicated: two or more accounts hold the SPN.
	Duplicated
	// Malformed: an SPN value clients never request (scheme, path, trailing
	// dot, whitespace, bad port, realm suffix, invalid host label), or one
	// flagged as breaking a naming rule (an underscore in the host: see
	// [MalformedVerdict], which gives such a verdict no Fix).
	Malformed
	// RC4Only: the decrypting account allows only RC4 tickets (or has no
	// msDS-SupportedEncryptionTypes, which classic AD treats as RC4: then
	// Assumed). Never given for an account whose attribute the source did
	// not read (Account.EncTypesUnknown); see EncTypesUnverified.
	RC4Only
	// Unverified: the directory answers were incomplete, so neither presence
	// nor absence is proven: nobody was seen holding the SPN and the
	// decrypting account's full SPN list is not known either.
	Unverified
	// EncTypesUnverified: the decrypting account's
	// msDS-SupportedEncryptionTypes is not in the evidence (setspn output
	// never shows it; an LDIF export only when it requested it), so whether
	// its tickets are RC4-only is not verified. Fix says how to read it.
	EncTypesUnverified
)

// String returns the kind in lower case with dashes ("wrong-account").
func (k VerdictKind) String() string {
	switch k {
	case OK:
		return "ok"
	case Missing:
		return "missing"
	case WrongAccount:
		return "wrong-account"
	case Duplicated:
		return "duplicated"
	case Malformed:
		return "malformed"
	case RC4Only:
		return "rc4-only"
	case Unverified:
		return "unverified"
	case EncTypesUnverified:
		return "enc-types-unverified"
	}
	return "unknown"
}

// MarshalText encodes the kind as its String form (for JSON).
func (k VerdictKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Verdict is one conclusion about an expected SPN or the decrypting account.
// Its JSON has snake_case keys, with the completeness as
// {"complete": ..., "reason": ...}.
type Verdict struct {
	Kind VerdictKind `json:"kind"`
	// SPN is the SPN concerned (empty for account-level verdicts such as
	// RC4Only).
	SPN string `json:"spn,omitempty"`
	// Expectation is what was checked (zero for verdicts found on the
	// account's own SPN list, such as Malformed).
	Expectation Expectation `json:"expectation,omitzero"`
	// Account is the decrypting account.
	Account string `json:"account"`
	// Owners are the holders that matter: WrongAccount the other holders,
	// Duplicated every holder.
	Owners []string `json:"owners,omitempty"`
	// Via is the SPN actually found when a sPNMappings fallback decided the
	// owner ("HOST/web01"); empty when the SPN itself was found.
	Via string `json:"via,omitempty"`
	// Detail explains the verdict in one or two sentences.
	Detail string `json:"detail"`
	// Fix are the commands that correct it (setspn -S / -D, PowerShell).
	Fix []string `json:"fix,omitempty"`
	// Note states side effects of the fix, when there are any.
	Note string `json:"note,omitempty"`
	// Assumed is true for an RC4Only verdict that rests on the classic
	// default for an msDS-SupportedEncryptionTypes the source read and found
	// absent (never for a source that did not read it).
	Assumed bool `json:"assumed,omitempty"`
	// Completeness of the directory answers the verdict rests on. Problems
	// seen (WrongAccount, Duplicated) are real even when incomplete; OK and
	// absence are only proven when Complete.
	Completeness `json:"completeness"`
}

// completenessJSON is Completeness as JSON shows it.
type completenessJSON struct {
	Complete bool   `json:"complete"`
	Reason   string `json:"reason,omitempty"`
}

// MarshalJSON encodes the verdict with its completeness as
// {"complete": ..., "reason": ...}.
func (v Verdict) MarshalJSON() ([]byte, error) {
	type plain Verdict
	return jsonorder.Marshal[Verdict](struct {
		plain
		Completeness completenessJSON `json:"completeness"`
	}{plain(v), completenessJSON(v.Completeness)})
}

// SetspnAdd returns "setspn -S spn account" (-S checks for duplicates before
// adding). Values with spaces are quoted.
func SetspnAdd(spn, account string) string {
	return "setspn -S " + quoteArg(spn) + " " + quoteArg(account)
}

// SetspnDelete returns "setspn -D spn account".
func SetspnDelete(spn, account string) string {
	return "setspn -D " + quoteArg(spn) + " " + quoteArg(account)
}

func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}

// Evaluate checks each expectation against dir and returns verdicts in
// expectation order, followed by account-level verdicts (RC4Only, Malformed
// SPNs on the decrypting account) once per decrypting account.
//
// The KDC's rule is applied: an account holding the SPN itself wins; only
// when nobody holds it does a sPNMappings fallback (HOST/name) decide. An
// error that is not [ErrIncomplete] (a broken connection before any answer)
// stops evaluation and is returned with the verdicts so far.
//
// Absence is decided as follows. When no holder of the SPN or its fallbacks
// is seen and the Owners answers are complete, the verdict is Missing. When
// they are incomplete but the decrypting account's own full SPN list is
// known (a complete [Directory.Account] answer, e.g. setspn -L) and holds
// neither the SPN nor a fallback (HOST/name through sPNMappings), the
// verdict is still Missing, marked complete: whoever else might hold the SPN
// would hold it on the wrong key, so registering it on the decrypting
// account is needed either way. Only when neither is known is the verdict
// Unverified. Problems seen (WrongAccount, Duplicated) are reported even
// from incomplete answers.
//
// An account whose msDS-SupportedEncryptionTypes the source did not read
// gets an EncTypesUnverified verdict, never RC4Only.
func Evaluate(ctx context.Context, dir Directory, expectations []Expectation) ([]Verdict, error) {
	var out []Verdict
	accounts := []Owner{}
	for _, e := range expectations {
		if ctx.Err() != nil {
			return out, &IncompleteError{Reason: "evaluation cancelled", Err: ctx.Err()}
		}
		vs, err := evaluateOne(ctx, dir, e)
		out = append(out, vs...)
		if err != nil {
			return out, err
		}
		known := false
		for _, o := range accounts {
			known = known || strings.EqualFold(o.Account, e.Owner.Account)
		}
		if !known {
			accounts = append(accounts, e.Owner)
		}
	}
	for _, o := range accounts {
		vs, err := evaluateAccount(ctx, dir, o)
		out = append(out, vs...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func owners(ctx context.Context, dir Directory, spn string) (Answer, error) {
	ans, err := dir.Owners(ctx, spn)
	if err != nil && !errors.Is(err, ErrIncomplete) {
		return ans, fmt.Errorf("spn: owners of %s in %s: %w", spn, dir.Describe(), err)
	}
	if err != nil && ans.Complete {
		ans.Completeness = Completeness{Reason: err.Error()}
	}
	return ans, nil
}

func evaluateOne(ctx context.Context, dir Directory, e Expectation) ([]Verdict, error) {
	name := e.SPN.String()
	base := Verdict{SPN: name, Expectation: e, Account: e.Owner.Account}
	// Advisory problems (an underscore in the host) do not stop clients
	// from requesting the SPN: check its ownership like any other.
	if probs := serious(e.SPN.Problems()); len(probs) > 0 {
		v := base
		v.Kind, v.Completeness = Malformed, Completeness{Complete: true}
		v.Detail = fmt.Sprintf("the expected SPN %s is malformed: %s", name, (&SyntaxError{Value: name, Problems: probs}).Error())
		return []Verdict{v}, nil
	}
	direct, err := owners(ctx, dir, name)
	if err != nil {
		return nil, err
	}
	if len(direct.Accounts) > 0 {
		return decide(base, direct.Accounts, "", direct.Completeness), nil
	}
	comp := direct.Completeness
	for _, fb := range e.Fallbacks {
		ans, err := owners(ctx, dir, fb.String())
		if err != nil {
			return nil, err
		}
		if !ans.Complete {
			comp = ans.Completeness
		}
		if len(ans.Accounts) > 0 {
			return decide(base, ans.Accounts, fb.String(), comp), nil
		}
	}
	if !comp.Complete {
		vs, ok, err := ownAccountLacks(ctx, dir, base, e)
		if err != nil || ok {
			return vs, err
		}
	}
	v := base
	v.Completeness = comp
	if !comp.Complete {
		v.Kind = Unverified
		v.Detail = fmt.Sprintf("no account holding %s was seen, but the evidence cannot rule one out: %s", name, comp.Reason)
		v.Fix = []string{"setspn -F -Q " + quoteArg(name), SetspnAdd(name, e.Owner.Account)}
		v.Note = "Register it only if the query finds no holder"
		return []Verdict{v}, nil
	}
	v.Kind = Missing
	v.Detail = fmt.Sprintf("no account holds %s", name)
	if len(e.Fallbacks) > 0 {
		v.Detail += " or " + e.Fallbacks[0].String()
	}
	v.Detail += fmt.Sprintf("; clients asking for it get KDC_ERR_S_PRINCIPAL_UNKNOWN and fall back to NTLM. Register it on %s, the account that decrypts the tickets", e.Owner.Account)
	v.Fix = []string{SetspnAdd(name, e.Owner.Account)}
	return []Verdict{v}, nil
}

// ownAccountLacks decides an expectation nobody was seen holding from the
// decrypting account's own SPN list when that list is complete: Missing when
// it holds neither the SPN nor a fallback, the usual verdicts when it does
// (the Owners answer missed it). ok is false when the list is not known.
func ownAccountLacks(ctx context.Context, dir Directory, base Verdict, e Expectation) ([]Verdict, bool, error) {
	if strings.TrimSpace(e.Owner.Account) == "" {
		return nil, false, nil
	}
	ans, err := dir.Account(ctx, e.Owner.Account)
	if err != nil && !errors.Is(err, ErrIncomplete) {
		return nil, false, fmt.Errorf("spn: account %s in %s: %w", e.Owner.Account, dir.Describe(), err)
	}
	if err != nil || !ans.Complete || len(ans.Accounts) == 0 {
		return nil, false, nil
	}
	name := base.SPN
	holds := func(spn string) []Account {
		var out []Account
		for _, a := range ans.Accounts {
			for _, s := range a.SPNs {
				if strings.EqualFold(strings.TrimSpace(s), spn) {
					out = append(out, a)
					break
				}
			}
		}
		return out
	}
	partial := Completeness{Reason: fmt.Sprintf("%s did not show it as a holder, though %s lists it", dir.Describe(), e.Owner.Account)}
	if h := holds(name); len(h) > 0 {
		return decide(base, h, "", partial), true, nil
	}
	var fbs []string
	for _, fb := range e.Fallbacks {
		if h := holds(fb.String()); len(h) > 0 {
			return decide(base, h, fb.String(), partial), true, nil
		}
		fbs = append(fbs, fb.String())
	}
	v := base
	v.Kind, v.Completeness = Missing, Completeness{Complete: true}
	v.Detail = fmt.Sprintf("%s is not among the SPNs of %s, the account that decrypts the tickets (its full SPN list is known)", name, e.Owner.Account)
	if len(fbs) > 0 {
		v.Detail += ", nor is " + strings.Join(fbs, " or ")
	}
	v.Detail += fmt.Sprintf("; no other holder was seen, but the evidence cannot rule one out. Either way clients cannot get tickets %s can decrypt: with no holder they get KDC_ERR_S_PRINCIPAL_UNKNOWN and fall back to NTLM, with another holder its key is used (KRB_AP_ERR_MODIFIED). Register it on %s", e.Owner.Account, e.Owner.Account)
	v.Fix = []string{SetspnAdd(name, e.Owner.Account)}
	v.Note = "setspn -S refuses if another account already holds " + name + " and names it: remove it there (setspn -D) only if no other service uses that name"
	return []Verdict{v}, true, nil
}

// decide turns the holders of an SPN (or of its fallback via) into verdicts.
func decide(base Verdict, holders []Account, via string, comp Completeness) []Verdict {
	name := base.SPN
	found := name
	if via != "" {
		found = via
	}
	var mine, others []string
	for i := range holders {
		n := displayName(&holders[i])
		if accountMatches(&holders[i], base.Account) {
			mine = append(mine, n)
		} else {
			others = append(others, n)
		}
	}
	var out []Verdict
	if len(mine) > 0 && len(others) == 0 {
		v := base
		v.Kind, v.Via, v.Owners, v.Completeness = OK, via, mine, comp
		if via != "" {
			v.Detail = fmt.Sprintf("%s is not registered, but %s on %s covers it through sPNMappings", name, via, mine[0])
		} else {
			v.Detail = fmt.Sprintf("%s is registered on %s", name, mine[0])
		}
		if !comp.Complete {
			v.Detail += "; other holders cannot be ruled out: " + comp.Reason
		}
		return []Verdict{v}
	}
	if len(mine) == 0 {
		v := base
		v.Kind, v.Via, v.Owners, v.Completeness = WrongAccount, via, others, comp
		if via != "" {
			v.Detail = fmt.Sprintf("%s is not registered and %s is held by %s, so the KDC encrypts tickets for %s with %s's key; %s cannot decrypt them (KRB_AP_ERR_MODIFIED)",
				name, via, strings.Join(others, ", "), name, others[0], base.Account)
			v.Fix = []string{SetspnAdd(name, base.Account)}
			_, host, _ := strings.Cut(via, "/")
			v.Note = fmt.Sprintf("Since the November 2021 updates (KB5008382) AD may reject %s while %s is on another account; if setspn -S reports a duplicate, the name %s belongs to that account: remove %s there only if no other service uses it", name, via, host, via)
		} else {
			v.Detail = fmt.Sprintf("%s is registered on %s, not on %s which decrypts the tickets: the server cannot decrypt them (KRB_AP_ERR_MODIFIED)",
				name, strings.Join(others, ", "), base.Account)
			for _, o := range others {
				v.Fix = append(v.Fix, SetspnDelete(found, o))
			}
			v.Fix = append(v.Fix, SetspnAdd(name, base.Account))
			if !strings.HasSuffix(others[0], "$") {
				v.Note = "Alternatively make " + others[0] + " decrypt the tickets (run the application pool as that account with useAppPoolCredentials=true) instead of moving the SPN"
			} else {
				v.Note = "If " + others[0] + " is the server that should answer " + spnHost(name) + ", point the DNS name at it instead of moving the SPN"
			}
		}
		out = append(out, v)
	}
	if len(holders) > 1 {
		v := base
		v.Kind, v.Via, v.Completeness = Duplicated, via, comp
		v.Owners = append(append([]string(nil), mine...), others...)
		v.Detail = fmt.Sprintf("%s is registered on %d accounts (%s); the KDC cannot pick one (KDC_ERR_PRINCIPAL_NOT_UNIQUE, KDC event 11)",
			found, len(holders), strings.Join(v.Owners, ", "))
		for _, o := range others {
			v.Fix = append(v.Fix, SetspnDelete(found, o))
		}
		if len(mine) == 0 {
			v.Fix = append(v.Fix, SetspnAdd(name, base.Account))
		} else if len(mine) > 1 {
			for _, o := range mine[1:] {
				v.Fix = append(v.Fix, SetspnDelete(found, o))
			}
		}
		out = append(out, v)
	}
	return out
}

// evaluateAccount reports account-level problems of the decrypting account:
// RC4-only encryption types and malformed SPNs.
func evaluateAccount(ctx context.Context, dir Directory, o Owner) ([]Verdict, error) {
	ans, err := dir.Account(ctx, o.Account)
	if err != nil && !errors.Is(err, ErrIncomplete) {
		return nil, fmt.Errorf("spn: account %s in %s: %w", o.Account, dir.Describe(), err)
	}
	var out []Verdict
	for i := range ans.Accounts {
		a := &ans.Accounts[i]
		if a.EncTypesUnknown && !a.EncTypesSet {
			out = append(out, encTypesUnverified(a, o.Account))
		} else if v, ok := RC4Verdict(a); ok {
			v.Account = o.Account
			v.Completeness = Completeness{Complete: true}
			out = append(out, v)
		}
		for _, s := range a.SPNs {
			if v, ok := MalformedVerdict(s, displayName(a)); ok {
				v.Account = o.Account
				v.Completeness = ans.Completeness
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// encTypesUnverified is the EncTypesUnverified verdict for a, the account
// that decrypts the tickets for owner.
func encTypesUnverified(a *Account, owner string) Verdict {
	name := displayName(a)
	sam := a.SAMAccountName
	if sam == "" {
		_, sam = splitAccountName(name)
	}
	v := Verdict{Kind: EncTypesUnverified, Account: owner, Owners: []string{name},
		Completeness: Completeness{Reason: "the evidence does not include msDS-SupportedEncryptionTypes of " + name}}
	v.Detail = fmt.Sprintf("msDS-SupportedEncryptionTypes of %s is not in the evidence (setspn output never shows it; an ldifde export only when -l requests it), so whether its tickets are RC4-only is not verified", name)
	v.Fix = []string{
		`ldifde -f enctypes.ldf -r "(sAMAccountName=` + ldap.EscapeFilter(sam) + `)" -l sAMAccountName,servicePrincipalName,objectClass,userAccountControl,msDS-SupportedEncryptionTypes`,
	}
	v.Note = "Give the export (or an LDAP connection) to check the encryption types"
	return v
}

// RC4Verdict returns an RC4Only verdict when a's effective encryption types
// (msDS-SupportedEncryptionTypes, or the classic default when absent) allow
// RC4 and no AES. Accounts whose attribute the source cannot show
// (EncTypesUnknown) get no verdict.
func RC4Verdict(a *Account) (Verdict, bool) {
	if a.EncTypesUnknown && !a.EncTypesSet {
		return Verdict{}, false
	}
	e, assumed := a.EffectiveEncTypes()
	if !e.RC4Only() {
		return Verdict{}, false
	}
	name := displayName(a)
	v := Verdict{Kind: RC4Only, Account: name, Owners: []string{name}, Assumed: assumed}
	if assumed {
		v.Detail = fmt.Sprintf("%s has no msDS-SupportedEncryptionTypes, so a classic AD KDC issues RC4 tickets for it; Windows Server's 2026 hardening (CVE-2026-20833) makes AES the default and RC4-only owners fail", name)
	} else {
		v.Detail = fmt.Sprintf("%s allows only %s (msDS-SupportedEncryptionTypes=0x%x): tickets for its SPNs use RC4, which Windows Server's 2026 hardening (CVE-2026-20833) disables by default", name, a.EncTypes, uint32(a.EncTypes))
	}
	_, sam := splitAccountName(name)
	if a.SAMAccountName != "" {
		sam = a.SAMAccountName
	}
	switch a.Kind {
	case Computer:
		v.Fix = []string{"Set-ADComputer -Identity '" + strings.TrimSuffix(sam, "$") + "' -KerberosEncryptionType AES128,AES256"}
		v.Note = "Computers normally write this attribute themselves from the policy \"Network security: Configure encryption types allowed for Kerberos\"; fix the policy if it keeps reverting"
	case ManagedServiceAccount, GroupManagedServiceAccount:
		v.Fix = []string{"Set-ADServiceAccount -Identity '" + sam + "' -KerberosEncryptionType AES128,AES256"}
	default:
		v.Fix = []string{"Set-ADUser -Identity '" + sam + "' -KerberosEncryptionType AES128,AES256"}
		v.Note = "Reset the account's password afterwards if it was last set before the domain had a Windows Server 2008 or later DC: only a password change creates AES keys"
	}
	return v, true
}

// MalformedVerdict returns a Malformed verdict for an SPN value held by
// owner, with the setspn commands that replace it by the repaired value.
//
// A value whose only problems are advisory ([SyntaxError.Advisory], an
// underscore in the host) is flagged with no Fix: clients may still request
// it, so removing it is right only when they reach the server by another
// name; Note says so. A value with a realm suffix gets the delete and the
// add of the value without it.
func MalformedVerdict(value, owner string) (Verdict, bool) {
	sp, err := Parse(value)
	var se *SyntaxError
	if !errors.As(err, &se) {
		return Verdict{}, false
	}
	v := Verdict{Kind: Malformed, SPN: value, Owners: []string{owner}}
	if se.Advisory() {
		v.Detail = fmt.Sprintf("%s on %s is flagged (%s): %s", quoteArg(value), owner, problemList(se.Problems), se.Problems[0].Detail)
		v.Note = "Remove it (" + SetspnDelete(value, owner) + ") only if clients reach the server by another name; then register that name"
		return v, true
	}
	v.Detail = fmt.Sprintf("%s on %s is malformed (%s): clients never request it", quoteArg(value), owner, problemList(se.Problems))
	for _, p := range se.Problems {
		if p.Kind == ProblemHostLabel || p.Kind == ProblemRealm {
			v.Detail += "; " + p.Detail
			break
		}
	}
	v.Fix = []string{SetspnDelete(value, owner)}
	if r, ok := sp.Repaired(); ok {
		v.Fix = append(v.Fix, SetspnAdd(r.String(), owner))
		v.Detail += "; the intended SPN is probably " + r.String()
		v.Note = "setspn -S refuses (\"Duplicate SPN found\") and changes nothing when an account, this one included, already holds " + r.String()
	}
	return v, true
}

func problemList(ps []Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Kind.String()
	}
	return strings.Join(s, ", ")
}

// spnHost returns the host part of an SPN string.
func spnHost(spn string) string {
	_, h, _ := strings.Cut(spn, "/")
	return h
}
