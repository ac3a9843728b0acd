package spn

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/iiskerb/iiskerb/internal/jsonorder"
)

// AccountKind is the kind of directory object that holds SPNs, derived from
// its objectClass values.
type AccountKind int

// Account kinds. The most specific objectClass wins: a computer object is
// also a user, and a gMSA is also a computer.
const (
	Unknown                    AccountKind = iota // objectClass not known or not given
	User                                          // objectClass user (a domain service account)
	Computer                                      // objectClass computer
	ManagedServiceAccount                         // objectClass msDS-ManagedServiceAccount (sMSA)
	GroupManagedServiceAccount                    // objectClass msDS-GroupManagedServiceAccount (gMSA)
)

// String returns "user", "computer", "managed service account",
// "group managed service account" or "unknown".
func (k AccountKind) String() string {
	switch k {
	case User:
		return "user"
	case Computer:
		return "computer"
	case ManagedServiceAccount:
		return "managed service account"
	case GroupManagedServiceAccount:
		return "group managed service account"
	}
	return "unknown"
}

// MarshalText encodes the kind as its String form (for JSON).
func (k AccountKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// KindFromObjectClass returns the account kind for the objectClass values of
// a directory entry (compared case-insensitively).
func KindFromObjectClass(classes []string) AccountKind {
	k := Unknown
	for _, c := range classes {
		var ck AccountKind
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "msds-groupmanagedserviceaccount":
			ck = GroupManagedServiceAccount
		case "msds-managedserviceaccount":
			ck = ManagedServiceAccount
		case "computer":
			ck = Computer
		case "user", "inetorgperson":
			ck = User
		}
		if ck > k {
			k = ck
		}
	}
	return k
}

// UACAccountDisable is the userAccountControl bit for a disabled account
// (ADS_UF_ACCOUNTDISABLE, MS-ADTS 2.2.16).
const UACAccountDisable = 0x2

// EncTypes is the msDS-SupportedEncryptionTypes bitmask (MS-KILE 2.2.7).
type EncTypes uint32

// Encryption type bits of msDS-SupportedEncryptionTypes (MS-KILE 2.2.7).
const (
	EncDESCBCCRC EncTypes = 0x1  // DES-CBC-CRC
	EncDESCBCMD5 EncTypes = 0x2  // DES-CBC-MD5
	EncRC4       EncTypes = 0x4  // RC4-HMAC
	EncAES128    EncTypes = 0x8  // AES128-CTS-HMAC-SHA1-96
	EncAES256    EncTypes = 0x10 // AES256-CTS-HMAC-SHA1-96
	EncAES256SK  EncTypes = 0x20 // AES256-CTS-HMAC-SHA1-96 session keys (Windows Server 2022+ "AES-SK")
)

// HasAES reports whether AES128 or AES256 ticket encryption is allowed.
func (e EncTypes) HasAES() bool { return e&(EncAES128|EncAES256) != 0 }

// RC4Only reports whether RC4 is allowed and no AES ticket encryption is
// (DES bits do not count: DES is disabled by default since Windows 7/2008 R2).
func (e EncTypes) RC4Only() bool { return e&EncRC4 != 0 && !e.HasAES() }

// encTypeNames are the msDS-SupportedEncryptionTypes bit names.
var encTypeNames = []struct {
	bit  EncTypes
	name string
}{
	{EncDESCBCCRC, "DES-CBC-CRC"}, {EncDESCBCMD5, "DES-CBC-MD5"}, {EncRC4, "RC4-HMAC"},
	{EncAES128, "AES128"}, {EncAES256, "AES256"}, {EncAES256SK, "AES256-SK"},
}

// Names lists the allowed encryption types (["RC4-HMAC", "AES128",
// "AES256"]), lowest bit first; bits without a name appear as hex. Zero
// gives an empty list.
func (e EncTypes) Names() []string {
	parts := []string{}
	rest := e
	for _, n := range encTypeNames {
		if e&n.bit != 0 {
			parts = append(parts, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return parts
}

// String lists the allowed encryption types ("RC4-HMAC, AES128, AES256"),
// "none" for zero.
func (e EncTypes) String() string {
	if e == 0 {
		return "none"
	}
	return strings.Join(e.Names(), ", ")
}

// MarshalJSON encodes the mask as {"raw": 28, "names": ["RC4-HMAC",
// "AES128", "AES256"]}.
func (e EncTypes) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Raw   uint32   `json:"raw"`
		Names []string `json:"names"`
	}{uint32(e), e.Names()})
}

// ParseEncTypes parses an msDS-SupportedEncryptionTypes value as LDAP returns
// it: a decimal 32-bit integer, possibly negative (AD stores it signed).
// "0x1c" hexadecimal is accepted too.
func ParseEncTypes(s string) (EncTypes, error) {
	v, err := parseInt32(s)
	if err != nil {
		return 0, fmt.Errorf("spn: msDS-SupportedEncryptionTypes %q: %w", s, err)
	}
	return EncTypes(v), nil
}

// parseInt32 parses a decimal (signed or unsigned 32-bit) or 0x-prefixed
// hexadecimal integer into its 32-bit pattern.
func parseInt32(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		v, err := strconv.ParseUint(h, 16, 32)
		return uint32(v), err
	}
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 10, 32)
		return uint32(int32(v)), err
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err
}

// Account is a directory object that holds (or should hold) SPNs.
//
// Its JSON has snake_case keys; enc_types ({raw, names}) is present only
// when EncTypesSet, and rc4_only (derived) is true or false when the
// attribute was read or set, null when the evidence does not show it.
type Account struct {
	// Name is "DOMAIN\sam" when the NetBIOS domain is known (given by the
	// caller, read from CN=Partitions, or spelled so by the evidence itself),
	// else the bare sAMAccountName (for an account known only by DN, its CN;
	// for a computer recognised from its HOST SPNs, "CN$"). The domain is
	// never derived from the DN.
	Name string `json:"name"`
	// SAMAccountName is the pre-Windows 2000 logon name; computer accounts end
	// in "$".
	SAMAccountName string `json:"sam_account_name,omitempty"`
	// DN is the distinguished name, when known.
	DN string `json:"dn,omitempty"`
	// Kind is derived from objectClass (Unknown when not seen).
	Kind AccountKind `json:"kind"`
	// Disabled is userAccountControl bit 0x2.
	Disabled bool `json:"disabled"`
	// SPNs are the servicePrincipalName values as stored.
	SPNs []string `json:"spns"`
	// EncTypes is msDS-SupportedEncryptionTypes; meaningful only when
	// EncTypesSet.
	EncTypes EncTypes `json:"enc_types,omitempty"` // JSON: only when EncTypesSet
	// EncTypesSet is false when the attribute is absent. See
	// [Account.EffectiveEncTypes].
	EncTypesSet bool `json:"enc_types_set"`
	// EncTypesUnknown is true when the source did not read the attribute,
	// so its absence means nothing: setspn output never shows it, and an
	// LDIF export shows it only when the export requested it (see
	// [LDIFExport.EncTypesSeen]). LDAP sources request it and leave this
	// false. No RC4 conclusion may be drawn for such an account unless
	// EncTypesSet.
	EncTypesUnknown bool `json:"enc_types_unknown,omitempty"`
}

// MarshalJSON encodes the account with enc_types only when EncTypesSet,
// spns as a list (never null) and the derived rc4_only: whether the
// effective encryption types allow only RC4, null when the source did not
// read msDS-SupportedEncryptionTypes.
func (a Account) MarshalJSON() ([]byte, error) {
	type plain Account
	var enc *EncTypes
	if a.EncTypesSet {
		enc = &a.EncTypes
	}
	var rc4 *bool
	if !a.EncTypesUnknown || a.EncTypesSet {
		et, _ := a.EffectiveEncTypes()
		only := et.RC4Only()
		rc4 = &only
	}
	spns := a.SPNs
	if spns == nil {
		spns = []string{}
	}
	return jsonorder.Marshal[Account](struct {
		plain
		SPNs     []string  `json:"spns"`
		EncTypes *EncTypes `json:"enc_types,omitempty"`
		RC4Only  *bool     `json:"rc4_only"`
	}{plain(a), spns, enc, rc4})
}

// ClassicDefaultEncTypes is what a classic Active Directory KDC assumes for
// an account without msDS-SupportedEncryptionTypes: RC4 tickets
// (DefaultDomainSupportedEncTypes defaults to 0x27 since the November 2022
// updates, i.e. DES+RC4 tickets with AES session keys; DES is disabled).
// Windows Server's 2026 hardening (CVE-2026-20833) moves the default to AES;
// reports should say which default they assumed.
const ClassicDefaultEncTypes = EncRC4 | EncAES256SK

// EffectiveEncTypes returns EncTypes when the attribute was set, else
// [ClassicDefaultEncTypes]; the boolean reports whether the value is the
// assumed default.
func (a *Account) EffectiveEncTypes() (EncTypes, bool) {
	if a.EncTypesSet {
		return a.EncTypes, false
	}
	return ClassicDefaultEncTypes, true
}

// SetAttribute applies one LDAP attribute of a directory entry to a (names
// compared case-insensitively): servicePrincipalName, sAMAccountName,
// userAccountControl, msDS-SupportedEncryptionTypes, objectClass,
// distinguishedName/dn. Other attributes are ignored. Values are copied by
// reference: callers that reuse buffers must copy strings first. Call
// [Account.SetDomain] after the last attribute to fill Name.
func (a *Account) SetAttribute(name string, values []string) error {
	switch strings.ToLower(name) {
	case "serviceprincipalname":
		a.SPNs = append(a.SPNs, values...)
	case "samaccountname":
		if len(values) > 0 {
			a.SAMAccountName = values[0]
		}
	case "distinguishedname", "dn":
		if len(values) > 0 {
			a.DN = values[0]
		}
	case "objectclass":
		a.Kind = KindFromObjectClass(values)
	case "useraccountcontrol":
		if len(values) > 0 {
			v, err := parseInt32(values[0])
			if err != nil {
				return fmt.Errorf("spn: userAccountControl %q: %w", values[0], err)
			}
			a.Disabled = v&UACAccountDisable != 0
		}
	case "msds-supportedencryptiontypes":
		if len(values) > 0 {
			e, err := ParseEncTypes(values[0])
			if err != nil {
				return err
			}
			a.EncTypes, a.EncTypesSet = e, true
		}
	}
	return nil
}

// SetDomain fills Name as "DOMAIN\sam" from the NetBIOS domain name the
// caller knows (given by the user, or nETBIOSName read from CN=Partitions).
// With an empty domain Name is the bare sAMAccountName (the CN of the DN when
// sAMAccountName is unknown): the domain is never guessed from the DN, since
// the first DC= label is often not the NetBIOS name. setspn resolves a bare
// name in the current domain.
func (a *Account) SetDomain(domain string) {
	sam := a.SAMAccountName
	if sam == "" {
		sam = cnFromDN(a.DN)
	}
	if domain == "" {
		a.Name = sam
		return
	}
	a.Name = domain + `\` + sam
}

// DomainFromDN returns the first DC= component of a DN, upper-cased
// ("CN=web01,OU=x,DC=corp,DC=example,DC=com" -> "CORP"), or "".
//
// It is only a guess at the NetBIOS domain name: the real one (nETBIOSName
// of the domain's crossRef in CN=Partitions) often differs, so this package
// never uses it to name accounts or build commands, and callers should not
// either. Use it at most as a hint shown as such.
func DomainFromDN(dn string) string {
	for _, rdn := range splitDN(dn) {
		k, v, ok := strings.Cut(rdn, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "DC") {
			return strings.ToUpper(strings.TrimSpace(v))
		}
	}
	return ""
}

// cnFromDN returns the value of the first RDN of dn.
func cnFromDN(dn string) string {
	rdns := splitDN(dn)
	if len(rdns) == 0 {
		return ""
	}
	_, v, _ := strings.Cut(rdns[0], "=")
	return strings.TrimSpace(v)
}

// splitDN splits a DN at unescaped commas.
func splitDN(dn string) []string {
	var out []string
	start := 0
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			out = append(out, dn[start:i])
			start = i + 1
		}
	}
	if start < len(dn) {
		out = append(out, dn[start:])
	}
	return out
}
