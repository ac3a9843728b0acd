package negotiate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/crypto"
)

// EncType is a Kerberos encryption type number. It prints, and encodes in
// JSON, as the MIT name with the number: "aes256-cts-hmac-sha1-96 (18)".
type EncType int32

// Encryption types that keys can be made for (RFC 3962, RFC 4757).
const (
	AES256CTSHMACSHA196 EncType = 18 // aes256-cts-hmac-sha1-96
	AES128CTSHMACSHA196 EncType = 17 // aes128-cts-hmac-sha1-96
	RC4HMAC             EncType = 23 // arcfour-hmac (rc4-hmac): the key is the NT hash of the password
)

// String returns the name and number, "aes256-cts-hmac-sha1-96 (18)".
func (e EncType) String() string { return EncTypeName(int32(e)) + " (" + strconv.Itoa(int(e)) + ")" }

// MarshalText encodes the type as its String form (for JSON).
func (e EncType) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// defaultKeyEncTypes are the types KeysFromPassword derives when none are asked for.
var defaultKeyEncTypes = []EncType{AES256CTSHMACSHA196, AES128CTSHMACSHA196, RC4HMAC}

// supportedKeyEncType reports whether keys of this type can be derived and used.
func supportedKeyEncType(e EncType) bool {
	switch e {
	case AES256CTSHMACSHA196, AES128CTSHMACSHA196, RC4HMAC, 19, 20:
		return true
	}
	return false
}

// SaltKind says how the salt of a password-derived key was formed
// (RFC 4120 4; MS-KILE 3.1.1.2).
type SaltKind int

// Salt kinds.
const (
	// SaltMIT is MIT's default salt: the realm followed by the principal's
	// name components, without separators ("EXAMPLE.TESTHTTPweb.example.test").
	SaltMIT SaltKind = iota
	// SaltADUser is Active Directory's salt for user accounts (service
	// accounts included): the realm in upper case followed by the
	// sAMAccountName as given ("CORP.EXAMPLEwebsvc").
	SaltADUser
	// SaltADComputer is Active Directory's salt for computer accounts: the
	// realm in upper case, "host", the account name in lower case without
	// its "$", ".", and the DNS domain in lower case
	// ("CORP.EXAMPLEhostweb01.corp.example").
	SaltADComputer
	// SaltExplicit is a salt given verbatim (KeyOptions.Salt).
	SaltExplicit
	// SaltFromTicket is MIT's default salt built, for each ticket, from the
	// ticket's own server name and realm: the key's principal was not given.
	SaltFromTicket
)

var saltKindNames = [...]string{
	SaltMIT:        "mit_default",
	SaltADUser:     "ad_user",
	SaltADComputer: "ad_computer",
	SaltExplicit:   "explicit",
	SaltFromTicket: "mit_default_from_ticket",
}

// String returns the snake_case name ("mit_default", "ad_user",
// "ad_computer", "explicit", "mit_default_from_ticket").
func (s SaltKind) String() string {
	if s < 0 || int(s) >= len(saltKindNames) {
		return "salt_kind_" + strconv.Itoa(int(s))
	}
	return saltKindNames[s]
}

// MarshalText encodes the kind as its String form (for JSON).
func (s SaltKind) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MITSalt returns MIT's default salt for a principal: realm followed by the
// name components ("HTTP/web.example.test" in EXAMPLE.TEST gives
// "EXAMPLE.TESTHTTPweb.example.test").
func MITSalt(realm, principal string) string {
	return realm + strings.ReplaceAll(principal, "/", "")
}

// ADUserSalt returns Active Directory's salt for a user account: the realm
// in upper case followed by the sAMAccountName exactly as given (AD keeps its
// case as it was when the password was last set).
func ADUserSalt(realm, samAccountName string) string {
	return strings.ToUpper(realm) + samAccountName
}

// ADComputerSalt returns Active Directory's salt for a computer account:
// upper-case realm + "host" + lower-case name without the trailing "$" + "."
// + lower-case DNS domain. An empty dnsDomain means the realm in lower case.
func ADComputerSalt(realm, samAccountName, dnsDomain string) string {
	if dnsDomain == "" {
		dnsDomain = realm
	}
	name := strings.ToLower(strings.TrimSuffix(samAccountName, "$"))
	return strings.ToUpper(realm) + "host" + name + "." + strings.ToLower(strings.TrimSuffix(dnsDomain, "."))
}

// keyMaterial holds a key's bytes, or the password of a key derived per
// ticket.
type keyMaterial struct {
	b        []byte
	password string // SaltFromTicket keys only: derived for each ticket
}

// keySecret reaches a key's material through a closure: fmt, encoding/json,
// gob and reflection-based dumpers print a func as an address at most, so
// the material can never be printed, even from an unexported field where
// Key's own Format method is bypassed.
type keySecret func() *keyMaterial

func newSecret(m *keyMaterial) keySecret { return func() *keyMaterial { return m } }

// Key is a Kerberos long-term key: one encryption type of an account's key,
// read from a keytab or derived from a password. The key bytes (and the
// password of a key that is derived per ticket) are unexported and never
// appear in String, GoString, any fmt verb, JSON or slog output.
//
// Principal and Realm say whose key it is, as far as known: a keytab names
// the principal, a password key names the account it was made for. They
// are used to explain failures (stale key, key of another account); every
// key of the ticket's encryption type is tried whatever its principal,
// because on Windows an SPN is only an alias of the account whose key
// decrypts.
type Key struct {
	// Principal is the name without realm ("HTTP/web.example.test",
	// "WEB01$", "websvc"); empty when unknown.
	Principal string `json:"principal,omitempty"`
	// Realm is the principal's realm, empty when unknown.
	Realm string `json:"realm,omitempty"`
	// KVNO is the key version number; 0 when unknown (password keys).
	KVNO int `json:"kvno,omitempty"`
	// EncType is the encryption type of the key.
	EncType EncType `json:"enctype"`
	// SaltKind and Salt say how a password-derived key was salted (Salt is
	// empty for SaltFromTicket until a ticket supplies the name, and for
	// RC4, which uses no salt).
	SaltKind SaltKind `json:"salt_kind"`
	Salt     string   `json:"salt,omitempty"`
	// Source says where the key came from ("keytab /etc/http.keytab",
	// "password").
	Source string `json:"source,omitempty"`

	material keySecret
}

// FromPassword reports whether the key was derived from a password.
func (k Key) FromPassword() bool { return strings.HasPrefix(k.Source, "password") }

// Name returns "principal@REALM", or what part of it is known.
func (k Key) Name() string {
	switch {
	case k.Principal == "" && k.SaltKind == SaltFromTicket:
		return "(the ticket's server principal)"
	case k.Principal == "":
		return "(unnamed key)"
	case k.Realm == "":
		return k.Principal
	}
	return k.Principal + "@" + k.Realm
}

// String describes the key without its bytes:
// "HTTP/web.example.test@EXAMPLE.TEST kvno 3 aes256-cts-hmac-sha1-96 (18) from keytab http.keytab".
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Name())
	if k.KVNO != 0 {
		fmt.Fprintf(&b, " kvno %d", k.KVNO)
	}
	b.WriteString(" ")
	b.WriteString(k.EncType.String())
	if k.Source != "" {
		b.WriteString(" from ")
		b.WriteString(k.Source)
	}
	if k.FromPassword() && k.EncType != RC4HMAC {
		if k.Salt != "" {
			fmt.Fprintf(&b, " (salt %q, %s)", k.Salt, k.SaltKind)
		} else {
			fmt.Fprintf(&b, " (%s salt)", k.SaltKind)
		}
	}
	return b.String()
}

// GoString is String, so that %#v shows no key material either.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %q, %x, ...).
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(k.String())))
		return
	}
	_, _ = f.Write([]byte(k.String()))
}

// MarshalJSON encodes the key's description (principal, realm, kvno,
// enctype, salt, source), never its bytes.
func (k Key) MarshalJSON() ([]byte, error) {
	type meta Key // drops the methods; material is unexported and so never encoded
	return json.Marshal(meta(k))
}

// LogValue makes slog print String.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// valid reports whether the key carries material.
func (k Key) valid() bool {
	return k.material != nil && (len(k.material().b) > 0 || k.material().password != "")
}

// NewKey makes a Key from raw key bytes, for example an RC4 key (the
// account's NT hash) or an AES key exported by a tool. principal may carry
// "@REALM". The bytes are copied.
func NewKey(enctype EncType, keyBytes []byte, principal string, kvno int) (Key, error) {
	if !supportedKeyEncType(enctype) {
		return Key{}, fmt.Errorf("negotiate: key for %s: unsupported encryption type %s", principal, enctype)
	}
	et, err := crypto.GetEtype(int32(enctype))
	if err != nil {
		return Key{}, fmt.Errorf("negotiate: key for %s: %v", principal, err)
	}
	if len(keyBytes) != et.GetKeyByteSize() {
		return Key{}, fmt.Errorf("negotiate: key for %s: %s keys are %d bytes, got %d", principal, enctype, et.GetKeyByteSize(), len(keyBytes))
	}
	name, realm := splitKeyPrincipal(principal)
	return Key{Principal: name, Realm: realm, KVNO: kvno, EncType: enctype, Source: "key bytes",
		material: newSecret(&keyMaterial{b: append([]byte(nil), keyBytes...)})}, nil
}

// KeyOptions say how KeysFromPassword salts the keys.
type KeyOptions struct {
	// Principal is the account or service principal ("alice",
	// "HTTP/web.example.test", "websvc", "WEB01$"), optionally with
	// "@REALM". Empty: the keys are derived for each ticket from the
	// ticket's own server name and realm with MIT's default salt
	// (SaltFromTicket), and the result says which salt was tried.
	Principal string
	// Realm is the principal's realm when Principal has no "@REALM".
	Realm string
	// SaltKind is SaltMIT (the default), SaltADUser or SaltADComputer.
	// Ignored when Salt is set or Principal is empty.
	SaltKind SaltKind
	// Salt, when set, is used verbatim (SaltExplicit): for example the salt
	// that `Get-ADUser`/ktpass or a KDC's PA-ETYPE-INFO2 shows.
	Salt string
	// DNSDomain is the DNS domain of an AD computer account
	// (SaltADComputer); empty means the realm in lower case.
	DNSDomain string
	// EncTypes lists the types to derive; empty means aes256-cts-hmac-sha1-96,
	// aes128-cts-hmac-sha1-96 and arcfour-hmac (rc4-hmac).
	EncTypes []EncType
	// KVNO is the key version the keys are known to have; 0 when unknown.
	KVNO int
}

// String describes the options (there is no secret in them).
func (o KeyOptions) String() string {
	return fmt.Sprintf("key options principal %q realm %q salt kind %s salt %q dns domain %q enctypes %v kvno %d",
		o.Principal, o.Realm, o.SaltKind, o.Salt, o.DNSDomain, o.EncTypes, o.KVNO)
}

// KeysFromPassword derives an account's keys from its password, one per
// encryption type, with the salt o describes (MIT default, Active Directory
// user or computer account, or explicit). RC4 keys are the NT hash and use
// no salt. The password appears in no output and no error.
func KeysFromPassword(password string, o KeyOptions) ([]Key, error) {
	if password == "" {
		return nil, errors.New("negotiate: KeysFromPassword: empty password")
	}
	types := o.EncTypes
	if len(types) == 0 {
		types = defaultKeyEncTypes
	}
	name, realm := splitKeyPrincipal(o.Principal)
	if realm == "" {
		realm = o.Realm
	}
	kind, salt := o.SaltKind, o.Salt
	switch {
	case salt != "":
		kind = SaltExplicit
	case name == "":
		kind = SaltFromTicket
	case realm == "":
		return nil, fmt.Errorf("negotiate: KeysFromPassword for %s: no realm (give Principal as name@REALM or set Realm)", name)
	case kind == SaltMIT:
		salt = MITSalt(realm, name)
	case kind == SaltADUser:
		salt = ADUserSalt(realm, name)
	case kind == SaltADComputer:
		salt = ADComputerSalt(realm, name, o.DNSDomain)
	default:
		return nil, fmt.Errorf("negotiate: KeysFromPassword for %s: salt kind %s needs KeyOptions.Salt", name, kind)
	}
	keys := make([]Key, 0, len(types))
	for _, et := range types {
		if !supportedKeyEncType(et) {
			return nil, fmt.Errorf("negotiate: KeysFromPassword for %s: unsupported encryption type %s", o.Principal, et)
		}
		k := Key{Principal: name, Realm: realm, KVNO: o.KVNO, EncType: et, SaltKind: kind, Salt: salt, Source: "password"}
		if et == RC4HMAC {
			k.Salt = ""
		}
		if kind == SaltFromTicket {
			k.material = newSecret(&keyMaterial{password: password})
		} else {
			b, err := stringToKey(et, password, salt)
			if err != nil {
				return nil, fmt.Errorf("negotiate: KeysFromPassword for %s %s: %w", o.Principal, et, err)
			}
			k.material = newSecret(&keyMaterial{b: b})
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// stringToKey runs the enctype's string-to-key function (RFC 3961 5.3)
// with its default parameters. Errors never include the password.
func stringToKey(et EncType, password, salt string) ([]byte, error) {
	e, err := crypto.GetEtype(int32(et))
	if err != nil {
		return nil, err
	}
	b, err := e.StringToKey(password, salt, e.GetDefaultStringToKeyParams())
	if err != nil {
		return nil, fmt.Errorf("string-to-key failed for %s", et)
	}
	return b, nil
}

// splitKeyPrincipal splits "name@REALM" at the last "@".
func splitKeyPrincipal(p string) (name, realm string) {
	p = strings.TrimSpace(p)
	if i := strings.LastIndexByte(p, '@'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return p, ""
}

// KeytabError reports a keytab file that cannot be read. Offset is the byte
// offset of the problem (0 for the file as a whole).
type KeytabError struct {
	Name   string
	Offset int
	Err    error
}

// Error returns the message with the position of the problem.
func (e *KeytabError) Error() string {
	name := e.Name
	if name == "" {
		name = "keytab"
	}
	return fmt.Sprintf("negotiate: %s at byte %d: %v", name, e.Offset, e.Err)
}

// Unwrap returns the cause (ErrTruncated, ErrMalformed or an I/O error).
func (e *KeytabError) Unwrap() error { return e.Err }

// maxKeytabSize bounds the files LoadKeytab reads.
const maxKeytabSize = 16 << 20

// LoadKeytab reads the keys of an MIT keytab file (what ktutil, kadmin
// ktadd, ktpass /out and samba-tool exportkeytab write). Keys of encryption
// types this package cannot use are skipped.
func LoadKeytab(path string) ([]Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &KeytabError{Name: path, Err: err}
	}
	if fi.Size() > maxKeytabSize {
		return nil, &KeytabError{Name: path, Err: fmt.Errorf("%w: %d bytes is too large for a keytab", ErrMalformed, fi.Size())}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &KeytabError{Name: path, Err: err}
	}
	keys, err := parseKeytab(b, path)
	for i := range b {
		b[i] = 0
	}
	return keys, err
}

// ParseKeytab reads the keys of a keytab held in memory (the file format of
// https://web.mit.edu/kerberos/krb5-devel/doc/formats/keytab_file_format.html,
// versions 1 and 2). Keys of encryption types this package cannot use are
// skipped. Errors are *KeytabError values.
func ParseKeytab(b []byte) ([]Key, error) { return parseKeytab(b, "") }

func parseKeytab(b []byte, name string) ([]Key, error) {
	fail := func(off int, err error, format string, a ...any) error {
		return &KeytabError{Name: name, Offset: off, Err: fmt.Errorf("%w: %s", err, fmt.Sprintf(format, a...))}
	}
	if len(b) < 2 {
		return nil, fail(0, ErrTruncated, "no keytab header")
	}
	if b[0] != 5 || (b[1] != 1 && b[1] != 2) {
		return nil, fail(0, ErrMalformed, "not a keytab: header %02x%02x (want 0502 or 0501)", b[0], b[1])
	}
	version := b[1]
	var bo binary.ByteOrder = binary.BigEndian
	if version == 1 {
		bo = binary.NativeEndian
	}
	source := "keytab"
	if name != "" {
		source = "keytab " + name
	}
	var keys []Key
	pos := 2
	for pos < len(b) {
		if len(b)-pos < 4 {
			return keys, fail(pos, ErrTruncated, "entry length cut short")
		}
		size := int32(bo.Uint32(b[pos:]))
		pos += 4
		if size == 0 {
			break // end of entries (ktutil may leave zeros)
		}
		n := int(size)
		if size < 0 {
			n = -int(size) // a hole left by a deleted entry
		}
		if n > len(b)-pos {
			return keys, fail(pos-4, ErrTruncated, "entry of %d bytes, %d remain", n, len(b)-pos)
		}
		if size > 0 {
			k, err := keytabEntry(b[pos:pos+n], bo, version)
			if err != nil {
				return keys, fail(pos+err.off, err.err, "%s", err.msg)
			}
			if k != nil {
				k.Source = source
				keys = append(keys, *k)
			}
		}
		pos += n
	}
	return keys, nil
}

type ktErr struct {
	off int
	err error
	msg string
}

// keytabEntry decodes one entry; nil, nil for a key of an unusable type.
func keytabEntry(e []byte, bo binary.ByteOrder, version byte) (*Key, *ktErr) {
	p := 0
	u16 := func(what string) (int, *ktErr) {
		if len(e)-p < 2 {
			return 0, &ktErr{p, ErrTruncated, what + " cut short"}
		}
		v := int(bo.Uint16(e[p:]))
		p += 2
		return v, nil
	}
	data := func(what string) (string, *ktErr) {
		n, err := u16(what + " length")
		if err != nil {
			return "", err
		}
		if n > len(e)-p {
			return "", &ktErr{p, ErrTruncated, fmt.Sprintf("%s of %d bytes, %d remain in the entry", what, n, len(e)-p)}
		}
		s := string(e[p : p+n])
		p += n
		return s, nil
	}
	ncomp, err := u16("component count")
	if err != nil {
		return nil, err
	}
	if version == 1 {
		ncomp-- // version 1 counts the realm
	}
	if ncomp < 0 || ncomp*2 > len(e) {
		return nil, &ktErr{0, ErrMalformed, fmt.Sprintf("%d name components in a %d-byte entry", ncomp, len(e))}
	}
	realm, err := data("realm")
	if err != nil {
		return nil, err
	}
	comps := make([]string, 0, ncomp)
	for range ncomp {
		c, err := data("name component")
		if err != nil {
			return nil, err
		}
		comps = append(comps, c)
	}
	if version == 2 {
		if len(e)-p < 4 {
			return nil, &ktErr{p, ErrTruncated, "name type cut short"}
		}
		p += 4
	}
	if len(e)-p < 5 {
		return nil, &ktErr{p, ErrTruncated, "timestamp and kvno cut short"}
	}
	p += 4 // timestamp
	kvno := int(e[p])
	p++
	etype, err := u16("key type")
	if err != nil {
		return nil, err
	}
	n, err := u16("key length")
	if err != nil {
		return nil, err
	}
	if n > len(e)-p {
		return nil, &ktErr{p, ErrTruncated, fmt.Sprintf("key of %d bytes, %d remain in the entry", n, len(e)-p)}
	}
	kb := e[p : p+n]
	p += n
	if len(e)-p >= 4 {
		if v := bo.Uint32(e[p:]); v != 0 {
			kvno = int(v) // 32-bit kvno extension
		}
	}
	et := EncType(int16(etype))
	if !supportedKeyEncType(et) {
		return nil, nil
	}
	return &Key{Principal: strings.Join(comps, "/"), Realm: realm, KVNO: kvno, EncType: et,
		material: newSecret(&keyMaterial{b: append([]byte(nil), kb...)})}, nil
}
