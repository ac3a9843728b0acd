package negotiate

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Key usages (RFC 4120 7.5.1; MS-PAC 2.8).
const (
	usageTicket        = 2
	usageAuthenticator = 11
	usagePACChecksum   = 17
	gssChecksumType    = 0x8003
)

// Authorization data types (RFC 4120 7.5.4; MS-KILE 3.2.5.8).
var adTypeNames = map[int32]string{
	1: "ad-if-relevant", 2: "ad-intended-for-server", 3: "ad-intended-for-application-class", 4: "ad-kdc-issued",
	5: "ad-and-or", 6: "ad-mandatory-ticket-extensions", 7: "ad-in-ticket-extensions", 8: "ad-mandatory-for-kdc",
	9: "osf-dce", 64: "sesame", 65: "osf-dce-pki-certid", 128: "ad-win2k-pac", 129: "ad-etype-negotiation",
	141: "kerb-auth-data-token-restrictions", 142: "kerb-local", 143: "ad-auth-data-ap-options",
	144: "kerb-auth-data-target-name",
}

func adTypeName(t int32) string {
	if n, ok := adTypeNames[t]; ok {
		return n
	}
	return "ad-type-" + strconv.Itoa(int(t))
}

// Sentinel errors of DecryptError.Reason; test with errors.Is.
var (
	// ErrNotAPReq means the input carries no Kerberos AP-REQ (an NTLM or
	// SPNEGO token without a Kerberos mechToken, an AP-REP, ...).
	ErrNotAPReq = errors.New("no Kerberos AP-REQ in the token")
	// ErrNoKeys means no usable key was offered.
	ErrNoKeys = errors.New("no keys offered")
	// ErrEncTypeMismatch means no key offered has the ticket's encryption
	// type (for example an RC4 ticket and only AES keys).
	ErrEncTypeMismatch = errors.New("no key of the ticket's encryption type")
	// ErrStaleKey means keys of the ticket's principal were offered, but
	// none with the ticket's key version: the account's key changed between
	// the keys being taken and the ticket being issued (or the other way).
	ErrStaleKey = errors.New("key version mismatch")
	// ErrWrongPrincipal means the keys of the ticket's encryption type all
	// belong to other principals, and none of them opens the ticket.
	ErrWrongPrincipal = errors.New("keys of another principal")
	// ErrWrongKey means a key of the ticket's principal, key version and
	// encryption type (or a key whose principal is not known) does not open
	// the ticket: wrong password or salt, or a key changed without a new
	// key version.
	ErrWrongKey = errors.New("the key does not open the ticket")
	// ErrTicketMalformed means the key opened the ticket (its integrity
	// check passed) but the decrypted part is not a valid EncTicketPart.
	ErrTicketMalformed = errors.New("decrypted ticket is malformed")
)

// Kerberos error codes a service would send for each failure (RFC 4120 7.5.9).
const (
	codeNoKey ErrorCode = 45 // KRB_AP_ERR_NOKEY
)

// KeyAttempt records one key tried against a ticket.
type KeyAttempt struct {
	// Key is the key's description; for a SaltFromTicket key its Salt is
	// the salt built from the ticket and tried.
	Key Key `json:"key"`
	// Result is "opened", "enctype_mismatch" (not tried), "integrity_failed"
	// or "unusable".
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// DecryptError says why no key opened a ticket: the ticket's server,
// encryption type and key version against the keys offered, and what that
// means on IIS. errors.Is matches Reason (ErrNoKeys, ErrEncTypeMismatch,
// ErrStaleKey, ErrWrongPrincipal, ErrWrongKey, ErrTicketMalformed) and a
// *KDCError with Code (KRB_AP_ERR_MODIFIED 41, KRB_AP_ERR_BADKEYVER 44 or
// KRB_AP_ERR_NOKEY 45: what the service answers); errors.As gives
// *DecryptError and *KDCError.
type DecryptError struct {
	Realm   string  `json:"realm"`
	SPN     string  `json:"spn"`
	EncType EncType `json:"enctype"`
	KVNO    int     `json:"kvno"`
	// Reason is one of the sentinel errors above.
	Reason error `json:"-"`
	// Code is the Kerberos error a service would return for this ticket.
	Code ErrorCode `json:"code"`
	// Detail compares the ticket with the keys offered, in one sentence.
	Detail string `json:"detail"`
	// Meaning says what the failure means for IIS and what to check.
	Meaning  string       `json:"meaning"`
	Attempts []KeyAttempt `json:"attempts"`
}

// ReasonName returns the snake_case name of Reason ("stale_key", ...).
func (e *DecryptError) ReasonName() string {
	switch e.Reason {
	case ErrNoKeys:
		return "no_keys"
	case ErrEncTypeMismatch:
		return "enctype_mismatch"
	case ErrStaleKey:
		return "stale_key"
	case ErrWrongPrincipal:
		return "wrong_principal"
	case ErrWrongKey:
		return "wrong_key"
	case ErrTicketMalformed:
		return "ticket_malformed"
	}
	return "unknown"
}

// Error returns the ticket, the detail and the IIS meaning in one line.
func (e *DecryptError) Error() string {
	return fmt.Sprintf("negotiate: no key opens the ticket for %s@%s (%s, kvno %d): %s: %s. On IIS: %s",
		e.SPN, e.Realm, e.EncType, e.KVNO, e.Reason, e.Detail, e.Meaning)
}

// Unwrap returns Reason and the *KDCError for Code.
func (e *DecryptError) Unwrap() []error {
	ke := NewServiceError(int32(e.Code), "", e.SPN)
	return []error{e.Reason, ke}
}

// DecryptedTicket is what a service (IIS, through LSA) sees when it opens a
// Kerberos AP-REQ with its key: who the client is, the ticket's times and
// flags, the authenticator and the PAC. It holds no key material: session
// keys and the key used are described, never included.
type DecryptedTicket struct {
	Realm      string   `json:"realm"`  // ticket (service) realm
	Server     string   `json:"server"` // SPN the ticket is for
	EncType    EncType  `json:"enctype"`
	KVNO       int      `json:"kvno"`
	APOptions  []string `json:"ap_options,omitempty"`
	Key        Key      `json:"key"` // the key that opened the ticket
	ClientName string   `json:"client"`
	// ClientRealm is the client's realm (the user's domain).
	ClientRealm    string    `json:"client_realm"`
	AuthTime       time.Time `json:"auth_time"`
	StartTime      time.Time `json:"start_time,omitzero"`
	EndTime        time.Time `json:"end_time"`
	RenewTill      time.Time `json:"renew_till,omitzero"`
	Flags          []string  `json:"flags"`
	SessionKeyType EncType   `json:"session_key_enctype"`
	Transited      string    `json:"transited,omitempty"` // realms crossed, as encoded (cross-realm tickets)
	Addresses      []string  `json:"addresses,omitempty"`
	// AuthorizationData lists the ad-types in the ticket, nested ones as
	// "ad-if-relevant/ad-win2k-pac".
	AuthorizationData []string `json:"authorization_data,omitempty"`
	// Authenticator is the client's authenticator, opened with the session
	// key; AuthenticatorError says why it could not be read.
	Authenticator      *Authenticator `json:"authenticator,omitempty"`
	AuthenticatorError string         `json:"authenticator_error,omitempty"`
	// PAC is the ticket's PAC when it has one (Active Directory);
	// PACError says why it could not be decoded.
	PAC      *PAC   `json:"pac,omitempty"`
	PACError string `json:"pac_error,omitempty"`
	// Notes are observations, such as a key version that differs from the
	// ticket's or an expired ticket.
	Notes    []string     `json:"notes,omitempty"`
	Attempts []KeyAttempt `json:"attempts"`
}

// Client returns "name@REALM" of the authenticated client.
func (d *DecryptedTicket) Client() string { return d.ClientName + "@" + d.ClientRealm }

// Authenticator is the decrypted authenticator of an AP-REQ.
type Authenticator struct {
	ClientName  string `json:"client"`
	ClientRealm string `json:"client_realm"`
	// MatchesTicket reports that the authenticator names the ticket's client.
	MatchesTicket bool      `json:"client_matches_ticket"`
	Time          time.Time `json:"time"`
	// ChecksumType is "gss-api (32771)" for GSS-API/SPNEGO (RFC 4121 4.1.1).
	ChecksumType string       `json:"checksum_type,omitempty"`
	GSS          *GSSChecksum `json:"gss_checksum,omitempty"`
	SubKeyType   EncType      `json:"subkey_enctype,omitempty"`
	SeqNumber    int64        `json:"seq_number"`
	// AuthorizationData lists the ad-types in the authenticator.
	AuthorizationData []string `json:"authorization_data,omitempty"`
	// APOptionsCBT reports KERB_AP_OPTIONS_CBT in AD-AUTH-DATA-AP-OPTIONS:
	// a Windows client announcing that it supports channel binding
	// (Extended Protection).
	APOptionsCBT bool `json:"ap_options_cbt,omitempty"`
}

// GSSChecksum is the RFC 4121 4.1.1 authenticator checksum (type 0x8003).
type GSSChecksum struct {
	// ChannelBindings reports a non-zero Bnd field: the client bound the
	// authentication to the TLS channel (Extended Protection). BindingsMD5
	// is the hash it sent, in hex.
	ChannelBindings bool     `json:"channel_bindings"`
	BindingsMD5     string   `json:"bindings_md5,omitempty"`
	Flags           uint32   `json:"flags"`
	FlagNames       []string `json:"flag_names"`
	// Delegation reports a forwarded TGT (KRB-CRED) in the checksum: the
	// client delegated its credentials (never included).
	Delegation bool `json:"delegation,omitempty"`
}

var gssFlagNames = []struct {
	bit  uint32
	name string
}{
	{1, "deleg"}, {2, "mutual"}, {4, "replay"}, {8, "sequence"}, {16, "conf"}, {32, "integ"}, {64, "anon"},
	{0x1000, "dce_style"}, {0x2000, "identify"}, {0x4000, "extended_error"},
}

// DecryptTicket opens the Kerberos AP-REQ in b with the first key that
// fits, as the service would, and returns what the service sees. b is a
// Negotiate/Kerberos token as it travels in an Authorization header after
// base64 decoding: a SPNEGO NegTokenInit or NegTokenResp carrying a
// Kerberos mechToken, a GSS-API Kerberos token, or a bare AP-REQ.
//
// Every key with the ticket's encryption type is tried, whatever principal
// it names: on Windows an SPN is an alias of the account whose key opens
// the ticket. When none opens it the error is a *DecryptError that compares
// the ticket's key version and encryption type with the keys offered and
// says what that means on IIS. A token that cannot be decoded gives the
// *DecodeError of DecodeToken; one without an AP-REQ wraps ErrNotAPReq.
//
// The authenticator and the PAC are decoded when the ticket opens; their
// failures are reported in AuthenticatorError and PACError, not as errors.
func DecryptTicket(b []byte, keys []Key) (*DecryptedTicket, error) {
	raw, err := apReqBytes(b, 0)
	if err != nil {
		return nil, err
	}
	return decryptAPReq(raw, keys)
}

// DecryptToken is DecryptTicket for a token DecodeToken returned. Only a
// SPNEGO token keeps the bytes of its mechanism token; for a bare or
// GSS-API Kerberos token pass the bytes to DecryptTicket instead.
func DecryptToken(t *Token, keys []Key) (*DecryptedTicket, error) {
	if t == nil {
		return nil, fmt.Errorf("negotiate: DecryptToken: %w (nil token)", ErrNotAPReq)
	}
	if t.Kind != KerberosAPReq && t.InnerKind != KerberosAPReq {
		return nil, fmt.Errorf("negotiate: DecryptToken: %w (the token is %s)", ErrNotAPReq, describeKind(t))
	}
	if t.SPNEGO != nil {
		if len(t.SPNEGO.MechToken) > 0 {
			return DecryptTicket(t.SPNEGO.MechToken, keys)
		}
		if len(t.SPNEGO.ResponseToken) > 0 {
			return DecryptTicket(t.SPNEGO.ResponseToken, keys)
		}
	}
	return nil, errors.New("negotiate: DecryptToken: a bare or GSS-API Kerberos token keeps no bytes; pass them to DecryptTicket")
}

// DecryptAuthorization is DecryptTicket for an Authorization header value
// ("Negotiate YIIH...", "Kerberos ...", with or without the
// "Authorization:" name).
func DecryptAuthorization(value string, keys []Key) (*DecryptedTicket, error) {
	v := strings.TrimSpace(value)
	if name, rest, ok := strings.Cut(v, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "Authorization") {
		v = strings.TrimSpace(rest)
	}
	c, err := ParseAuthorization(v)
	if err != nil {
		return nil, err
	}
	if len(c.Token) == 0 {
		return nil, fmt.Errorf("negotiate: DecryptAuthorization: %w (%s header without a token)", ErrNotAPReq, c.Scheme)
	}
	return DecryptTicket(c.Token, keys)
}

func describeKind(t *Token) string {
	if t.InnerKind != UnknownToken {
		return t.Kind.String() + " carrying " + t.InnerKind.String()
	}
	return t.Kind.String()
}

// apReqBytes finds the bare AP-REQ in a token.
func apReqBytes(b []byte, depth int) ([]byte, error) {
	tok, err := DecodeToken(b)
	if err != nil {
		return nil, err
	}
	if tok.Kind != KerberosAPReq && tok.InnerKind != KerberosAPReq {
		return nil, fmt.Errorf("negotiate: %w (the token is %s)", ErrNotAPReq, describeKind(tok))
	}
	if tok.SPNEGO != nil && depth == 0 {
		inner := tok.SPNEGO.MechToken
		if len(inner) == 0 {
			inner = tok.SPNEGO.ResponseToken
		}
		return apReqBytes(inner, depth+1)
	}
	switch b[0] {
	case 0x6e:
		return b, nil
	case 0x30:
		return wrapApplication(msgAPReq, b), nil
	case 0x60:
		r := newDER(b, 0, nil)
		outer, err := r.expect("InitialContextToken", classApplication, 0)
		if err != nil {
			return nil, err
		}
		in := r.children(outer)
		if _, err := in.next("InitialContextToken.thisMech"); err != nil {
			return nil, err
		}
		rest := outer.body[in.pos:]
		if len(rest) < 2 {
			return nil, &DecodeError{Offset: in.off(), Field: "Kerberos TOK_ID", Err: ErrTruncated}
		}
		return rest[2:], nil
	}
	return nil, fmt.Errorf("negotiate: %w (first byte 0x%02x)", ErrNotAPReq, b[0])
}

// decryptAPReq opens a bare AP-REQ.
func decryptAPReq(raw []byte, keys []Key) (out *DecryptedTicket, err error) {
	var req messages.APReq
	if err := safely(func() error { return req.Unmarshal(raw) }); err != nil {
		return nil, &DecodeError{Field: "AP-REQ", Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	tkt := req.Ticket
	ticketPrincipal := strings.Join(tkt.SName.NameString, "/")
	et := EncType(tkt.EncPart.EType)
	var attempts []KeyAttempt
	var plain []byte
	var used Key
	for _, k := range keys {
		a := KeyAttempt{Key: k}
		switch {
		case !k.valid():
			a.Result, a.Detail = "unusable", "no key material"
		case k.EncType != et:
			a.Result = "enctype_mismatch"
			a.Detail = fmt.Sprintf("key is %s, ticket is %s", k.EncType, et)
		default:
			kb := k.material().b
			if k.SaltKind == SaltFromTicket {
				a.Key.Principal, a.Key.Realm = ticketPrincipal, tkt.Realm
				if k.EncType != RC4HMAC {
					a.Key.Salt = MITSalt(tkt.Realm, ticketPrincipal)
				}
				kb, err = stringToKey(k.EncType, k.material().password, a.Key.Salt)
				if err != nil {
					a.Result, a.Detail = "unusable", err.Error()
					break
				}
				a.Key.material = newSecret(&keyMaterial{b: kb})
			}
			p, derr := decryptWith(tkt.EncPart.Cipher, k.EncType, kb, usageTicket)
			if derr != nil {
				a.Result, a.Detail = "integrity_failed", derr.Error()
				break
			}
			a.Result = "opened"
			plain, used = p, a.Key
		}
		attempts = append(attempts, a)
		if plain != nil {
			break
		}
	}
	if plain == nil {
		return nil, explainFailure(tkt, attempts)
	}
	d, sessionKey, pacBytes, perr := decodeEncTicketPart(plain)
	if perr != nil {
		for i := range attempts {
			attempts[i].Key.material = nil
		}
		return nil, &DecryptError{Realm: tkt.Realm, SPN: ticketPrincipal, EncType: et, KVNO: tkt.EncPart.KVNO,
			Reason: ErrTicketMalformed, Code: CodeModified, Attempts: attempts,
			Detail:  fmt.Sprintf("the key of %s opened the ticket but its content does not decode (%v)", used.Name(), perr),
			Meaning: "the ticket was built by a broken or hostile client or KDC; Windows rejects it"}
	}
	d.Realm, d.Server, d.EncType, d.KVNO = tkt.Realm, ticketPrincipal, et, tkt.EncPart.KVNO
	d.Key, d.Attempts = used, attempts
	var ap APReq
	setAPOptions(&ap, req.APOptions.Bytes)
	d.APOptions = ap.APOptionNames
	if used.KVNO != 0 && tkt.EncPart.KVNO != 0 && used.KVNO != tkt.EncPart.KVNO {
		d.Notes = append(d.Notes, fmt.Sprintf("opened with a key of kvno %d while the ticket says kvno %d: Windows ignores the kvno, MIT acceptors look keys up by it", used.KVNO, tkt.EncPart.KVNO))
	}
	if used.Principal != "" && !samePrincipal(used, ticketPrincipal, tkt.Realm) {
		d.Notes = append(d.Notes, fmt.Sprintf("opened with the key of %s: %s is an alias of that account (on Windows, the account holding the SPN)", used.Name(), ticketPrincipal))
	}
	if now := time.Now(); !d.EndTime.IsZero() && now.After(d.EndTime) {
		d.Notes = append(d.Notes, "the ticket has expired (end time "+d.EndTime.Format(time.RFC3339)+"); a service would reject it with KRB_AP_ERR_TKT_EXPIRED")
	}
	// The authenticator, with the session key.
	auth, aerr := openAuthenticator(req.EncryptedAuthenticator, sessionKey)
	if aerr != nil {
		d.AuthenticatorError = aerr.Error()
	} else {
		auth.MatchesTicket = auth.ClientName == d.ClientName && strings.EqualFold(auth.ClientRealm, d.ClientRealm)
		d.Authenticator = auth
	}
	// The PAC, with the service key for its server signature.
	if pacBytes != nil {
		p, perr := ParsePAC(pacBytes)
		if p != nil {
			verifyServerSignature(p, pacBytes, used)
			d.PAC = p
		}
		if perr != nil {
			d.PACError = perr.Error()
		}
	}
	// The result describes keys; it never holds their bytes.
	d.Key.material = nil
	for i := range d.Attempts {
		d.Attempts[i].Key.material = nil
	}
	return d, nil
}

// safely runs f, turning a panic in gokrb5's ASN.1 or crypto code into an
// error: hostile bytes must never crash the caller.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return f()
}

// decryptWith decrypts and checks the integrity of an RFC 3961 ciphertext.
func decryptWith(cipher []byte, et EncType, key []byte, usage uint32) ([]byte, error) {
	e, err := crypto.GetEtype(int32(et))
	if err != nil {
		return nil, err
	}
	if len(cipher) < e.GetConfounderByteSize()+e.GetHMACBitLength()/8 {
		return nil, fmt.Errorf("ciphertext of %d bytes is too short for %s", len(cipher), et)
	}
	var out []byte
	err = safely(func() error {
		var derr error
		out, derr = e.DecryptMessage(key, cipher, usage)
		return derr
	})
	if err != nil {
		return nil, errors.New("integrity check failed (wrong key)")
	}
	return out, nil
}

func samePrincipal(k Key, principal, realm string) bool {
	return strings.EqualFold(k.Principal, principal) && (k.Realm == "" || strings.EqualFold(k.Realm, realm))
}

// explainFailure builds the DecryptError for a ticket no key opened.
func explainFailure(tkt messages.Ticket, attempts []KeyAttempt) *DecryptError {
	for i := range attempts {
		attempts[i].Key.material = nil
	}
	spn := strings.Join(tkt.SName.NameString, "/")
	et := EncType(tkt.EncPart.EType)
	e := &DecryptError{Realm: tkt.Realm, SPN: spn, EncType: et, KVNO: tkt.EncPart.KVNO, Attempts: attempts}
	var usable, tried []KeyAttempt
	for _, a := range attempts {
		if a.Result != "unusable" {
			usable = append(usable, a)
		}
		if a.Result == "integrity_failed" {
			tried = append(tried, a)
		}
	}
	name := spn + "@" + tkt.Realm
	switch {
	case len(usable) == 0:
		e.Reason, e.Code = ErrNoKeys, codeNoKey
		e.Detail = "no usable key was offered"
		e.Meaning = "give the keys of the account that decrypts the site's tickets (the computer account under kernel mode, or the app pool's domain account with useAppPoolCredentials): a keytab, or its password with the right salt"
		return e
	case len(tried) == 0:
		var offered []string
		for _, a := range usable {
			offered = append(offered, a.Key.EncType.String())
		}
		offered = slices.Compact(offered)
		e.Reason, e.Code = ErrEncTypeMismatch, codeNoKey
		e.Detail = fmt.Sprintf("the ticket is encrypted with %s and the keys offered are %s", et, strings.Join(offered, ", "))
		if IsRC4(int32(et)) {
			e.Meaning = "the KDC chose RC4 for " + spn + ": the account holding the SPN has msDS-SupportedEncryptionTypes without AES, or no AES keys yet (its password was not changed since AES was enabled). Offer its RC4 key (the NT hash, or the password), or enable AES on the account (msDS-SupportedEncryptionTypes 0x18) and reset its password so that AES tickets are issued"
		} else {
			e.Meaning = "the KDC encrypted the ticket with " + et.String() + ", the key type of the account holding " + spn + "; the keys offered lack it (a keytab exported with other encryption types, or keys of an account with other supported encryption types: the SPN may be registered on another account than the one whose keys these are)"
		}
		return e
	}
	var samePrinc, sameKVNO []KeyAttempt
	for _, a := range tried {
		if a.Key.Principal == "" || samePrincipal(a.Key, spn, tkt.Realm) {
			samePrinc = append(samePrinc, a)
			if a.Key.KVNO == 0 || tkt.EncPart.KVNO == 0 || a.Key.KVNO == tkt.EncPart.KVNO {
				sameKVNO = append(sameKVNO, a)
			}
		}
	}
	switch {
	case len(sameKVNO) > 0:
		e.Reason, e.Code = ErrWrongKey, CodeModified
		var what []string
		for _, a := range sameKVNO {
			what = append(what, a.Key.String())
		}
		e.Detail = "the integrity check fails with " + strings.Join(what, "; ")
		if sameKVNO[0].Key.FromPassword() {
			e.Detail += ": the password, or the salt, is not the one the KDC used"
			e.Meaning = "the key derived from this password is not the key of the account holding " + spn + ". Check the password and the salt kind (an AD user account salts with REALM+sAMAccountName, a computer account with REALM+host+name.domain; a renamed account keeps the salt of its old name). If the password is right, the SPN is registered on another account than this one: the server answers KRB_AP_ERR_MODIFIED and IIS logs 401.1 (Security-Kerberos event 4 on the server)"
		} else {
			e.Meaning = "the key has the ticket's principal and key version but is not the key the KDC used: the account's key changed without the key version changing (an account re-created, a keytab exported for another account under this SPN, or the SPN registered on another account). The server answers KRB_AP_ERR_MODIFIED and IIS logs 401.1 (Security-Kerberos event 4 on the server): register the SPN on the decrypting account only (setspn -X / setspn -Q) and refresh the keys"
		}
	case len(samePrinc) > 0:
		e.Reason, e.Code = ErrStaleKey, CodeBadKeyVer
		var kv []string
		for _, a := range samePrinc {
			kv = append(kv, strconv.Itoa(a.Key.KVNO))
		}
		kv = slices.Compact(kv)
		e.Detail = fmt.Sprintf("the ticket has kvno %d; the keys offered for %s have kvno %s", tkt.EncPart.KVNO, name, strings.Join(kv, ", "))
		newest := 0
		for _, a := range samePrinc {
			newest = max(newest, a.Key.KVNO)
		}
		if newest < tkt.EncPart.KVNO {
			e.Meaning = "the account's password (key) changed after these keys were taken: the keytab predates a password reset or a computer password rotation. Export the current keys (a new keytab), or sync the service's password. An IIS server whose own account key changed keeps working; a keytab-based service (or this check with old keys) fails with KRB_AP_ERR_MODIFIED / 401.1"
		} else {
			e.Meaning = "the ticket was issued before the account's password (key) changed: the client holds a cached service ticket from before the change. It fails until the ticket expires or the client runs klist purge (KRB_AP_ERR_MODIFIED, IIS 401.1, Security-Kerberos event 4 on the server)"
		}
	default:
		e.Reason, e.Code = ErrWrongPrincipal, CodeModified
		var who []string
		for _, a := range tried {
			who = append(who, a.Key.Name())
		}
		who = slices.Compact(who)
		e.Detail = fmt.Sprintf("the ticket is for %s and the keys of its encryption type belong to %s", name, strings.Join(who, ", "))
		e.Meaning = "the KDC encrypted the ticket with the key of the account that holds the SPN " + spn + ", and that is not the account whose keys were offered: the SPN is registered on another account than the one decrypting (for example on a service account while IIS decrypts with the computer account under kernel mode, or the reverse). IIS answers KRB_AP_ERR_MODIFIED, logs 401.1, and the client falls back to NTLM or fails. Move the SPN to the decrypting account (setspn -D / setspn -S), or make IIS decrypt with the SPN's owner (useAppPoolCredentials=true with that account as app pool identity)"
		if slices.ContainsFunc(tried, func(a KeyAttempt) bool { return a.Key.FromPassword() }) {
			e.Meaning += ". If the account whose password was given does hold " + spn + ", the password or the salt kind is wrong instead (AD user accounts: REALM+sAMAccountName; computer accounts: REALM+host+name.domain; MIT: REALM+principal)"
		}
	}
	return e
}

// decodeEncTicketPart decodes a decrypted EncTicketPart into the fields a
// service sees, and returns beside them the session key (for the
// authenticator) and the PAC bytes, which the result never holds.
func decodeEncTicketPart(b []byte) (*DecryptedTicket, *types.EncryptionKey, []byte, error) {
	var p messages.EncTicketPart
	if err := safely(func() error { return p.Unmarshal(b) }); err != nil {
		return nil, nil, nil, &DecodeError{Field: "EncTicketPart", Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	d := &DecryptedTicket{
		ClientName:     strings.Join(p.CName.NameString, "/"),
		ClientRealm:    p.CRealm,
		AuthTime:       p.AuthTime.UTC(),
		StartTime:      p.StartTime.UTC(),
		EndTime:        p.EndTime.UTC(),
		RenewTill:      p.RenewTill.UTC(),
		Flags:          ticketFlagNames(p.Flags.Bytes, p.Flags.BitLength),
		SessionKeyType: EncType(p.Key.KeyType),
	}
	if d.Flags == nil {
		d.Flags = []string{}
	}
	if len(p.Transited.Contents) > 0 {
		d.Transited = string(p.Transited.Contents)
	}
	for _, a := range p.CAddr {
		d.Addresses = append(d.Addresses, hostAddress(a))
	}
	key := p.Key
	var pacBytes []byte
	walkAuthData(p.AuthorizationData, "", 0, func(path string, ad types.AuthorizationDataEntry) {
		d.AuthorizationData = append(d.AuthorizationData, path)
		if ad.ADType == 128 && pacBytes == nil {
			pacBytes = ad.ADData
		}
	})
	return d, &key, pacBytes, nil
}

// walkAuthData visits authorization data, descending into AD-IF-RELEVANT
// (1) containers to a fixed depth.
func walkAuthData(ad types.AuthorizationData, prefix string, depth int, fn func(string, types.AuthorizationDataEntry)) {
	for _, e := range ad {
		path := prefix + adTypeName(e.ADType)
		fn(path, e)
		if e.ADType == 1 && depth < 4 {
			var inner types.AuthorizationData
			if safely(func() error { return inner.Unmarshal(e.ADData) }) == nil {
				walkAuthData(inner, path+"/", depth+1, fn)
			}
		}
	}
}

func hostAddress(a types.HostAddress) string {
	switch {
	case a.AddrType == 2 && len(a.Address) == 4:
		return fmt.Sprintf("%d.%d.%d.%d", a.Address[0], a.Address[1], a.Address[2], a.Address[3])
	case a.AddrType == 20 && len(a.Address) > 0: // netbios
		return strings.TrimRight(string(a.Address), " ")
	}
	return fmt.Sprintf("addrtype %d: %s", a.AddrType, hex.EncodeToString(a.Address))
}

// openAuthenticator decrypts and decodes the authenticator with the
// session key.
func openAuthenticator(ed types.EncryptedData, sk *types.EncryptionKey) (*Authenticator, error) {
	if sk == nil || len(sk.KeyValue) == 0 {
		return nil, errors.New("no session key in the ticket")
	}
	if ed.EType != sk.KeyType {
		return nil, fmt.Errorf("authenticator is %s but the session key is %s", EncType(ed.EType), EncType(sk.KeyType))
	}
	plain, err := decryptWith(ed.Cipher, EncType(ed.EType), sk.KeyValue, usageAuthenticator)
	if err != nil {
		return nil, fmt.Errorf("authenticator: %w", err)
	}
	return decodeAuthenticator(plain)
}

// decodeAuthenticator decodes a decrypted Authenticator.
func decodeAuthenticator(b []byte) (*Authenticator, error) {
	var a types.Authenticator
	if err := safely(func() error { return a.Unmarshal(b) }); err != nil {
		return nil, &DecodeError{Field: "Authenticator", Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	out := &Authenticator{
		ClientName:  strings.Join(a.CName.NameString, "/"),
		ClientRealm: a.CRealm,
		Time:        a.CTime.UTC().Add(time.Duration(a.Cusec) * time.Microsecond),
		SeqNumber:   a.SeqNumber,
		SubKeyType:  EncType(a.SubKey.KeyType),
	}
	if a.Cksum.CksumType != 0 || len(a.Cksum.Checksum) > 0 {
		out.ChecksumType = ChecksumTypeName(a.Cksum.CksumType)
	}
	if a.Cksum.CksumType == gssChecksumType {
		g, err := decodeGSSChecksum(a.Cksum.Checksum)
		if err != nil {
			return nil, err
		}
		out.GSS = g
	}
	walkAuthData(a.AuthorizationData, "", 0, func(path string, ad types.AuthorizationDataEntry) {
		out.AuthorizationData = append(out.AuthorizationData, path)
		if ad.ADType == 143 && len(ad.ADData) >= 4 && binary.LittleEndian.Uint32(ad.ADData)&0x4000 != 0 {
			out.APOptionsCBT = true
		}
	})
	return out, nil
}

// decodeGSSChecksum decodes the RFC 4121 4.1.1 checksum: Lgth (4, LE, 16),
// Bnd (16), Flags (4, LE), and with GSS_C_DELEG_FLAG DlgOpt (2), Dlgth (2)
// and Deleg (a KRB-CRED).
func decodeGSSChecksum(c []byte) (*GSSChecksum, error) {
	if len(c) < 24 {
		return nil, &DecodeError{Field: "GSS checksum", Err: fmt.Errorf("%w: %d bytes, at least 24 expected", ErrTruncated, len(c))}
	}
	lg := binary.LittleEndian.Uint32(c)
	if lg != 16 {
		return nil, &DecodeError{Field: "GSS checksum Lgth", Err: fmt.Errorf("%w: Lgth %d (want 16)", ErrMalformed, lg)}
	}
	g := &GSSChecksum{Flags: binary.LittleEndian.Uint32(c[20:]), FlagNames: []string{}}
	bnd := c[4:20]
	if !bytes.Equal(bnd, make([]byte, 16)) {
		g.ChannelBindings = true
		g.BindingsMD5 = hex.EncodeToString(bnd)
	}
	for _, f := range gssFlagNames {
		if g.Flags&f.bit != 0 {
			g.FlagNames = append(g.FlagNames, f.name)
		}
	}
	if g.Flags&1 != 0 && len(c) >= 28 {
		dlgOpt := binary.LittleEndian.Uint16(c[24:])
		n := int(binary.LittleEndian.Uint16(c[26:]))
		if dlgOpt == 1 && n > 0 && n <= len(c)-28 {
			g.Delegation = true
		}
	}
	return g, nil
}

// verifyServerSignature checks the PAC's server signature with the key
// that opened the ticket (MS-PAC 2.8.1: a keyed checksum, key usage 17,
// over the PAC with the server and KDC signature values zeroed).
func verifyServerSignature(p *PAC, pacBytes []byte, k Key) {
	s := p.ServerSignature
	if s == nil {
		return
	}
	if p.KDCSignature != nil {
		p.KDCSignature.Note = "made with the KDC's (krbtgt) key, which a service does not have"
	}
	want := map[int32]EncType{16: AES256CTSHMACSHA196, 15: AES128CTSHMACSHA196, -138: RC4HMAC}
	et, ok := want[s.Type]
	if !ok || et != k.EncType || k.material == nil {
		s.Note = fmt.Sprintf("not checked: a %s signature and a %s key", s.TypeName, k.EncType)
		return
	}
	z := append([]byte(nil), pacBytes...)
	for _, sig := range []*PACSignature{p.ServerSignature, p.KDCSignature} {
		if sig != nil && sig.sigOff+sig.Size <= len(z) {
			clear(z[sig.sigOff : sig.sigOff+sig.Size])
		}
	}
	e, err := crypto.GetChksumEtype(s.Type)
	if err != nil {
		s.Note = "not checked: " + err.Error()
		return
	}
	sig := pacBytes[s.sigOff : s.sigOff+s.Size]
	var valid bool
	_ = safely(func() error {
		valid = e.VerifyChecksum(k.material().b, z, sig, usagePACChecksum)
		return nil
	})
	if valid {
		s.Status, s.Note = "valid", "made with the key that opened the ticket"
	} else {
		s.Status, s.Note = "invalid", "does not match the key that opened the ticket: the PAC was altered"
	}
}
