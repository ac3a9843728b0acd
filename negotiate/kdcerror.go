package negotiate

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// MITErrorBase is the offset MIT Kerberos adds to RFC 4120 error codes in its
// com_err error table (ERROR_TABLE_BASE_krb5): MIT tools print
// KDC_ERR_S_PRINCIPAL_UNKNOWN (7) as -1765328377.
const MITErrorBase = -1765328384

// ErrorCode is a Kerberos protocol error code (RFC 4120 section 7.5.9), as
// carried in KRB-ERROR messages from a KDC or from a service.
type ErrorCode int32

// Kerberos error codes that iiskerb explains in detail (RFC 4120 7.5.9, RFC 6806).
const (
	CodeCPrincipalUnknown  ErrorCode = 6  // KDC_ERR_C_PRINCIPAL_UNKNOWN
	CodeSPrincipalUnknown  ErrorCode = 7  // KDC_ERR_S_PRINCIPAL_UNKNOWN: SPN not registered
	CodePrincipalNotUnique ErrorCode = 8  // KDC_ERR_PRINCIPAL_NOT_UNIQUE: duplicate SPN
	CodeETypeNoSupp        ErrorCode = 14 // KDC_ERR_ETYPE_NOSUPP
	CodeClientRevoked      ErrorCode = 18 // KDC_ERR_CLIENT_REVOKED
	CodePreauthFailed      ErrorCode = 24 // KDC_ERR_PREAUTH_FAILED
	CodeBadIntegrity       ErrorCode = 31 // KRB_AP_ERR_BAD_INTEGRITY
	CodeSkew               ErrorCode = 37 // KRB_AP_ERR_SKEW
	CodeModified           ErrorCode = 41 // KRB_AP_ERR_MODIFIED: ticket for another account's key
	CodeBadKeyVer          ErrorCode = 44 // KRB_AP_ERR_BADKEYVER
	CodeGeneric            ErrorCode = 60 // KRB_ERR_GENERIC
	CodeWrongRealm         ErrorCode = 68 // KDC_ERR_WRONG_REALM
)

// String returns the RFC 4120 name ("KDC_ERR_S_PRINCIPAL_UNKNOWN"), or
// "KRB_ERR_<n>" for a code without a name (see KerberosErrorText).
func (c ErrorCode) String() string {
	name, _ := KerberosErrorText(int32(c))
	return name
}

// Meaning explains the code in one line of plain language (see KerberosErrorText).
func (c ErrorCode) Meaning() string {
	_, m := KerberosErrorText(int32(c))
	if m == "" {
		return "unknown Kerberos error code"
	}
	return m
}

// Known reports whether c is a code that RFC 4120 defines.
func (c ErrorCode) Known() bool { return strings.HasPrefix(errorcode.Lookup(int32(c)), "(") }

// ErrorCodeByName returns the code of an RFC 4120 error name such as
// "KRB_AP_ERR_MODIFIED" (case-insensitive).
func ErrorCodeByName(name string) (ErrorCode, bool) {
	name = strings.ToUpper(strings.TrimSpace(name))
	if name == "" {
		return 0, false
	}
	for c := ErrorCode(0); c <= 100; c++ {
		if c.Known() && c.String() == name {
			return c, true
		}
	}
	return 0, false
}

// FromMITCode converts an MIT com_err code (-1765328384 + n) to the Kerberos
// error code n.
func FromMITCode(n int64) (ErrorCode, bool) {
	c := n - MITErrorBase
	if c < 0 || c > 127 {
		return 0, false
	}
	return ErrorCode(c), true
}

// KDCError is a Kerberos error: a KRB-ERROR returned by the KDC when a ticket
// was requested, or by the target service when it rejected an AP-REQ
// (Service is true then). Code is the RFC 4120 code; Name and Meaning are
// derived from it. Inspect it with errors.As.
type KDCError struct {
	Code    int32  `json:"code"`
	Name    string `json:"name"`    // "KDC_ERR_S_PRINCIPAL_UNKNOWN"
	Meaning string `json:"meaning"` // one line: "no account holds this SPN ..."
	// EText is the KDC's or server's e-text, when it sent one.
	EText string `json:"etext,omitempty"`
	// SPN is the service principal the failed request was for, when known.
	SPN string `json:"spn,omitempty"`
	// Service reports that the error came from the target service (the
	// AP exchange), not from the KDC.
	Service bool `json:"service,omitempty"`
	// Err is the underlying error (gokrb5's, or nil when the error was
	// decoded from a token or text).
	Err error `json:"-"`
}

// NewKDCError returns a KDCError for code with Name and Meaning filled in.
func NewKDCError(code int32, err error) *KDCError {
	c := ErrorCode(code)
	return &KDCError{Code: code, Name: c.String(), Meaning: c.Meaning(), Err: err}
}

// etextMeanings refine the meaning of KRB_ERR_GENERIC by the e-text MIT
// KDCs send with it (MIT krb5 kdc/do_tgs_req.c status strings).
var etextMeanings = map[string]string{
	"FINDING_SERVER_KEY": "the KDC has no key for this service in an encryption type the client allows (MIT sends KRB_ERR_GENERIC; Active Directory sends KDC_ERR_ETYPE_NOSUPP): the enctypes do not overlap",
}

// serviceMeanings explain the codes a target service sends back in a
// KRB-ERROR token when it rejects an AP-REQ (the AP exchange). MIT acceptors
// send KRB_AP_ERR_BAD_INTEGRITY where Windows sends KRB_AP_ERR_MODIFIED.
var serviceMeanings = map[int32]string{
	31: "the server could not decrypt the ticket with its key: the KDC encrypted it for a key the server does not have (stale keytab, changed password, or the SPN is registered on another account than the one running the service)",
	41: "the server could not decrypt the ticket with its key: the KDC encrypted it for a key the server does not have (the SPN is registered on another account than the one running the service, or a stale keytab/password)",
	44: "the server has no key with the ticket's key version (kvno): its keytab predates the last password change",
	37: "clock skew too great between the client and the server (more than 5 minutes by default): synchronise the clocks with the domain's time source (w32tm /resync on Windows, chrony or ntpd elsewhere)",
	35: "the ticket is for another service than the one the server runs as",
}

// NewServiceError returns the KDCError for a KRB-ERROR that a target
// service returned in its WWW-Authenticate token (Service set).
func NewServiceError(code int32, etext, spn string) *KDCError {
	e := newKDCErrorText(code, etext, nil)
	e.Service = true
	e.SPN = spn
	if m, ok := serviceMeanings[code]; ok {
		e.Meaning = m
	}
	return e
}

// newKDCErrorText is NewKDCError with the e-text, which may refine Meaning.
func newKDCErrorText(code int32, etext string, err error) *KDCError {
	e := NewKDCError(code, err)
	e.EText = etext
	if m, ok := etextMeanings[strings.ToUpper(strings.TrimSpace(etext))]; ok && code == int32(CodeGeneric) {
		e.Meaning = m
	}
	return e
}

// Error describes the error: name, code, SPN, meaning, e-text and cause.
func (e *KDCError) Error() string {
	var b strings.Builder
	b.WriteString("kerberos: ")
	if e.Service {
		b.WriteString("service rejected the ticket: ")
	}
	fmt.Fprintf(&b, "%s (%d)", e.Name, e.Code)
	if e.SPN != "" {
		fmt.Fprintf(&b, " for %s", e.SPN)
	}
	b.WriteString(": ")
	b.WriteString(e.Meaning)
	if e.EText != "" && (e.Err == nil || !strings.Contains(e.Err.Error(), e.EText)) {
		fmt.Fprintf(&b, " (e-text %q)", e.EText)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *KDCError) Unwrap() error { return e.Err }

// Is reports whether target is a *KDCError with the same Code, so that
// errors.Is(err, NewKDCError(7, nil)) matches any S_PRINCIPAL_UNKNOWN.
func (e *KDCError) Is(target error) bool {
	t, ok := target.(*KDCError)
	return ok && t.Code == e.Code
}

// gokrb5 renders KRB-ERRORs as "KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN
// Server not found in Kerberos database - e-text" inside its own wrapped
// error strings (messages.KRBError.Error, iana/errorcode.Lookup).
var (
	gokrb5ErrorRE = regexp.MustCompile(`KRB Error: \((-?\d+)\) ([A-Z0-9_]+)(.*)$`)
	mitCodeRE     = regexp.MustCompile(`(?:^|[^0-9])(-17653283\d\d)(?:[^0-9]|$)`)
	errorNameRE   = regexp.MustCompile(`\b(KDC_ERR_[A-Z0-9_]+|KRB_AP_ERR_[A-Z0-9_]+|KRB_ERR_[A-Z0-9_]+|KRB_AP_PATH_NOT_ACCEPTED)\b`)
)

// mitMessages are MIT krb5 com_err texts (krb5_err.et) for the codes that
// matter here, as kinit, kvno, curl and Apache's error log print them.
var mitMessages = []struct {
	text string
	code ErrorCode
}{
	{"Server not found in Kerberos database", 7},
	{"Client not found in Kerberos database", 6},
	{"Principal has multiple entries in Kerberos database", 8},
	{"KDC has no support for encryption type", 14},
	{"Clients credentials have been revoked", 18},
	{"Client's credentials have been revoked", 18},
	{"Password has expired", 23},
	{"Preauthentication failed", 24},
	{"Decrypt integrity check failed", 31},
	{"Ticket expired", 32},
	{"Ticket not yet valid", 33},
	{"Request is a replay", 34},
	{"The ticket isn't for us", 35},
	{"Clock skew too great", 37},
	{"Message stream modified", 41},
	{"Key version number for principal in key table is incorrect", 44},
	{"Key version is not available", 44},
	{"Service key not available", 45},
}

// KDCErrorFromText recognises a Kerberos error in text: gokrb5 error strings
// ("KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN ..."), MIT negative codes
// (-1765328377), RFC 4120 names (KRB_AP_ERR_MODIFIED) and MIT com_err
// messages ("Server not found in Kerberos database", as kvno, curl and
// Apache print them). It returns nil when the text names no Kerberos error.
func KDCErrorFromText(s string) *KDCError {
	for _, line := range strings.Split(s, "\n") {
		if m := gokrb5ErrorRE.FindStringSubmatch(line); m != nil {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err == nil {
				code := ErrorCode(n)
				if n < 0 {
					c, ok := FromMITCode(n)
					if !ok {
						continue
					}
					code = c
				}
				etext := ""
				if i := strings.LastIndex(m[3], " - "); i >= 0 {
					etext = strings.TrimSpace(m[3][i+3:])
				}
				return newKDCErrorText(int32(code), etext, nil)
			}
		}
	}
	if m := mitCodeRE.FindStringSubmatch(s); m != nil {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			if c, ok := FromMITCode(n); ok {
				return NewKDCError(int32(c), nil)
			}
		}
	}
	if m := errorNameRE.FindString(s); m != "" {
		if c, ok := ErrorCodeByName(m); ok {
			return NewKDCError(int32(c), nil)
		}
	}
	low := strings.ToLower(s)
	// MIT: "Server HTTP/x@R not found in Kerberos database" (the name is interpolated)
	if i := strings.Index(low, " not found in kerberos database"); i >= 0 {
		if strings.Contains(low[:i], "client") {
			return NewKDCError(int32(CodeCPrincipalUnknown), nil)
		}
		return NewKDCError(int32(CodeSPrincipalUnknown), nil)
	}
	for _, m := range mitMessages {
		if strings.Contains(low, strings.ToLower(m.text)) {
			return NewKDCError(int32(m.code), nil)
		}
	}
	return nil
}

// AsKDCError extracts the Kerberos error from err: a *KDCError in its chain,
// a gokrb5 messages.KRBError, or a code recognised in its text (gokrb5 wraps
// KDC errors into strings, see KDCErrorFromText). The returned value wraps
// err. It returns nil, false when err carries no Kerberos error code.
func AsKDCError(err error) (*KDCError, bool) {
	if err == nil {
		return nil, false
	}
	var ke *KDCError
	if errors.As(err, &ke) {
		return ke, true
	}
	var kv messages.KRBError
	if errors.As(err, &kv) {
		e := newKDCErrorText(kv.ErrorCode, kv.EText, err)
		if len(kv.SName.NameString) > 0 {
			e.SPN = kv.SName.PrincipalNameString()
		}
		return e, true
	}
	var kp *messages.KRBError
	if errors.As(err, &kp) && kp != nil {
		return newKDCErrorText(kp.ErrorCode, kp.EText, err), true
	}
	e := KDCErrorFromText(err.Error())
	if e == nil {
		return nil, false
	}
	e.Err = err
	return e, true
}

// KDCUnreachableError reports that no KDC answered: every address tried
// for the realm refused the connection, timed out or did not resolve, or
// the realm has no KDC configured. No Kerberos error code exists for it
// (the KDC never spoke); RequestTicket returns it and a Probe records it in
// Transcript.KDCUnreachable. Inspect it with errors.As.
type KDCUnreachableError struct {
	// Realm is the realm whose KDCs were asked.
	Realm string `json:"realm"`
	// Addresses are the KDC addresses tried ("127.0.0.1:88"), as gokrb5
	// reported them, else as krb5.conf lists them for Realm.
	Addresses []string `json:"addresses,omitempty"`
	// Meaning says what it means for IIS and what to check.
	Meaning string `json:"meaning"`
	// Err is gokrb5's error (JSON: its text).
	Err error `json:"-"`
}

// kdcUnreachableMeaning is KDCUnreachableError.Meaning.
const kdcUnreachableMeaning = "no KDC answered on port 88 (TCP/UDP): the KDC service is stopped, a firewall blocks the port, or krb5.conf (kdc =) or DNS (_kerberos._tcp SRV records) point to the wrong host. Without a KDC no service ticket can be issued: browsers fall back to NTLM, or fail where NTLM is disabled"

// Error names the realm, the addresses tried and the cause.
func (e *KDCUnreachableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kerberos: no KDC of realm %s answered", cmp.Or(e.Realm, "(unknown)"))
	if len(e.Addresses) > 0 {
		fmt.Fprintf(&b, " (tried %s)", strings.Join(e.Addresses, ", "))
	}
	b.WriteString(": ")
	b.WriteString(e.Meaning)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns gokrb5's error.
func (e *KDCUnreachableError) Unwrap() error { return e.Err }

// MarshalJSON adds the cause's text as "error".
func (e KDCUnreachableError) MarshalJSON() ([]byte, error) {
	type plain KDCUnreachableError
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return json.Marshal(struct {
		plain
		Error string `json:"error,omitempty"`
	}{plain(e), msg})
}

// gokrb5 reports a KDC that does not answer only in text (client/network.go,
// config/hosts.go): "failed to communicate with KDC. Attempts made with UDP
// (error sending to a KDC: error setting dial timeout on connection to
// 127.0.0.1:88: dial ...)", "communication error with KDC via TCP: ...",
// "no KDCs defined in configuration for realm R".
var (
	kdcUnreachableTexts = []string{"failed to communicate with KDC", "communication error with KDC",
		"error sending to a KDC", "no KDCs defined in configuration for realm", "no KDC SRV records found"}
	kdcAddrRE      = regexp.MustCompile(`(?:connection to|sneding to|sending to|failed to) (\[?[A-Za-z0-9.:\-]*?\]?:\d+)(?:[:;\s)]|$)`)
	kdcNoRealmKDCs = regexp.MustCompile(`no KDCs defined in configuration for realm (\S+)`)
)

// asKDCUnreachable returns the *KDCUnreachableError for an error of gokrb5
// that says no KDC answered, with the addresses it tried (else those
// krb5.conf lists for realm); nil for any other error.
func asKDCUnreachable(cfg *config.Config, realm string, err error) *KDCUnreachableError {
	if err == nil {
		return nil
	}
	var ku *KDCUnreachableError
	if errors.As(err, &ku) {
		return ku
	}
	var ke *KDCError
	var kv messages.KRBError
	if errors.As(err, &ke) || errors.As(err, &kv) {
		return nil
	}
	s := err.Error()
	found := false
	for _, t := range kdcUnreachableTexts {
		if strings.Contains(s, t) {
			found = true
			break
		}
	}
	if !found {
		return nil
	}
	e := &KDCUnreachableError{Realm: realm, Meaning: kdcUnreachableMeaning, Err: err}
	for _, m := range kdcAddrRE.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(e.Addresses, m[1]) {
			e.Addresses = append(e.Addresses, m[1])
		}
	}
	if cfg != nil {
		for _, r := range cfg.Realms {
			switch {
			case len(e.Addresses) == 0 && strings.EqualFold(r.Realm, realm):
				e.Addresses = append(e.Addresses, r.KDC...)
			case len(e.Addresses) > 0 && !strings.EqualFold(r.Realm, realm) && slices.Contains(r.KDC, e.Addresses[0]):
				e.Realm = r.Realm // a referral's realm: the address says whose KDC it was
			}
		}
	}
	if m := kdcNoRealmKDCs.FindStringSubmatch(s); m != nil {
		e.Realm = m[1]
	}
	return e
}
