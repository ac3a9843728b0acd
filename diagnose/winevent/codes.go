package winevent

import (
	"fmt"
	"strconv"
	"strings"
)

// parseNumber reads the leading number of s: hexadecimal with a 0x prefix
// (any zero padding: "0x12", "0x00000017", "0XC000006A"), decimal otherwise.
// Text after the number ("0x27 (DES, RC4, AES-Sk)") is ignored. Values that
// do not fit in 32 bits are rejected; negative decimals are read as their
// 32-bit two's complement (NXLog writes 0xffffffff as -1 in some exports).
func parseNumber(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t\r\n(,"); i >= 0 {
		s = s[:i]
	}
	if s == "" || s == "-" {
		return 0, false
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		return uint32(v), err == nil
	}
	if s[0] == '-' {
		v, err := strconv.ParseInt(s, 10, 32)
		return uint32(int32(v)), err == nil
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

// EncType is a Kerberos encryption type as a 4768/4769/4770 event writes it
// (TicketEncryptionType, SessionKeyEncryptionType, PreAuthEncryptionType):
// hexadecimal, possibly zero-padded ("0x12", "0x00000017").
type EncType struct {
	// Value is the etype number (RFC 3961 / IANA "Kerberos Encryption Type
	// Numbers"); 0xffffffff means no ticket was issued (failure events).
	Value uint32
	// Set is false when the event had no such field or it was "-".
	Set bool
	// Raw is the text as the event wrote it.
	Raw string
}

// ParseEncType reads an encryption type field ("0x12", "0x00000017", "23").
func ParseEncType(s string) EncType {
	v, ok := parseNumber(s)
	return EncType{Value: v, Set: ok, Raw: s}
}

// etypeNames are the IANA names of the Kerberos encryption types Windows uses
// (RFC 3961, RFC 3962, RFC 4757, RFC 8009).
var etypeNames = map[uint32]string{
	1:  "des-cbc-crc",
	2:  "des-cbc-md4",
	3:  "des-cbc-md5",
	17: "aes128-cts-hmac-sha1-96",
	18: "aes256-cts-hmac-sha1-96",
	19: "aes128-cts-hmac-sha256-128",
	20: "aes256-cts-hmac-sha384-192",
	23: "rc4-hmac",
	24: "rc4-hmac-exp",
}

// NoTicket is the TicketEncryptionType Windows writes in a failure event:
// no ticket was issued, so there is no encryption type.
const NoTicket = 0xffffffff

// Name returns the IANA name ("aes256-cts-hmac-sha1-96", "rc4-hmac"),
// "none" for 0xffffffff, "etype N" for other numbers and "" when unset.
func (t EncType) Name() string {
	if !t.Set {
		return ""
	}
	if t.Value == NoTicket {
		return "none"
	}
	if n, ok := etypeNames[t.Value]; ok {
		return n
	}
	return "etype " + strconv.FormatUint(uint64(t.Value), 10)
}

// String returns the name with the number: "aes256-cts-hmac-sha1-96 (18)",
// "rc4-hmac (23)", "none (0xffffffff)"; "" when unset.
func (t EncType) String() string {
	switch {
	case !t.Set:
		return ""
	case t.Value == NoTicket:
		return "none (0xffffffff)"
	}
	if n, ok := etypeNames[t.Value]; ok {
		return fmt.Sprintf("%s (%d)", n, t.Value)
	}
	return t.Name()
}

// IsRC4 reports whether the type is RC4 (rc4-hmac 23 or rc4-hmac-exp 24).
func (t EncType) IsRC4() bool { return t.Set && (t.Value == 23 || t.Value == 24) }

// IsDES reports whether the type is single DES (1, 2 or 3).
func (t EncType) IsDES() bool { return t.Set && t.Value >= 1 && t.Value <= 3 }

// IsAES reports whether the type is AES (17 to 20).
func (t EncType) IsAES() bool { return t.Set && t.Value >= 17 && t.Value <= 20 }

// EncTypeMask is an msDS-SupportedEncryptionTypes bit mask as the 2025 4768/4769
// fields write it (AccountSupportedEncryptionTypes, ServiceSupportedEncryptionTypes,
// DCSupportedEncryptionTypes): "0x27 (DES, RC4, AES-Sk)".
type EncTypeMask struct {
	// Value is the bit mask: 0x1 DES-CBC-CRC, 0x2 DES-CBC-MD5, 0x4 RC4,
	// 0x8 AES128, 0x10 AES256, 0x20 AES256-SK (session keys).
	Value uint32
	// Set is false when the field was absent or "-".
	Set bool
	// Raw is the text as the event wrote it.
	Raw string
}

// ParseEncTypeMask reads "0x27 (DES, RC4, AES-Sk)" or "0x1F".
func ParseEncTypeMask(s string) EncTypeMask {
	v, ok := parseNumber(s)
	return EncTypeMask{Value: v, Set: ok, Raw: s}
}

var maskBits = []struct {
	bit  uint32
	name string
}{
	{0x1, "DES-CBC-CRC"}, {0x2, "DES-CBC-MD5"}, {0x4, "RC4-HMAC"},
	{0x8, "AES128-CTS-HMAC-SHA1-96"}, {0x10, "AES256-CTS-HMAC-SHA1-96"},
	{0x20, "AES256-CTS-HMAC-SHA1-96-SK"},
}

// Names lists the encryption types whose bits are set.
func (m EncTypeMask) Names() []string {
	var out []string
	for _, b := range maskBits {
		if m.Value&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	return out
}

// HasAES reports whether a ticket AES bit (0x8 or 0x10) is set.
func (m EncTypeMask) HasAES() bool { return m.Set && m.Value&0x18 != 0 }

// HasRC4 reports whether the RC4 bit (0x4) is set.
func (m EncTypeMask) HasRC4() bool { return m.Set && m.Value&0x4 != 0 }

// KeyList is a list of key or encryption-type names from the 2025 fields
// (AccountAvailableKeys "AES-SHA1, RC4", ClientAdvertizedEncryptionTypes
// "AES256-CTS-HMAC-SHA1-96 AES128-CTS-HMAC-SHA1-96"). It is nil when the
// field was absent or "-".
type KeyList []string

// ParseKeyList splits a list field on commas and white space.
func ParseKeyList(s string) KeyList {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
	var out KeyList
	for _, x := range f {
		if x != "-" && x != "" {
			out = append(out, x)
		}
	}
	return out
}

// HasRC4 reports whether an RC4 key or type is listed.
func (l KeyList) HasRC4() bool {
	for _, k := range l {
		u := strings.ToUpper(k)
		if strings.Contains(u, "RC4") || strings.Contains(u, "ARCFOUR") {
			return true
		}
	}
	return false
}

// HasAES reports whether an AES key or type is listed.
func (l KeyList) HasAES() bool {
	for _, k := range l {
		if strings.Contains(strings.ToUpper(k), "AES") {
			return true
		}
	}
	return false
}

// OnlyRC4 reports whether keys are listed and none is AES while RC4 is:
// the account has no AES keys (its password predates AES or was never reset).
func (l KeyList) OnlyRC4() bool { return len(l) > 0 && l.HasRC4() && !l.HasAES() }

// StatusKind tells which code space a Status value belongs to.
type StatusKind int

const (
	// StatusNone means the event carried no status.
	StatusNone StatusKind = iota
	// StatusKerberos is an RFC 4120 Kerberos error code (4768, 4769, 4771,
	// System Kerberos 3).
	StatusKerberos
	// StatusNT is an NTSTATUS value (4625, 4776, NTLM events).
	StatusNT
)

// Status is a result code of an event: Status/FailureCode of 4768/4769/4771
// (Kerberos codes), Status/SubStatus of 4625 and Status of 4776 (NTSTATUS),
// ErrorCode of System Kerberos event 3.
type Status struct {
	// Code is the numeric value.
	Code uint32
	// Set is false when the event had no such field or it was "-".
	Set bool
	// Kind says how to name Code.
	Kind StatusKind
	// Raw is the text as the event wrote it.
	Raw string
}

// OK reports whether the status is set and zero (success).
func (s Status) OK() bool { return s.Set && s.Code == 0 }

// Failed reports whether the status is set and non-zero.
func (s Status) Failed() bool { return s.Set && s.Code != 0 }

// Name returns the symbolic name ("KDC_ERR_PREAUTH_FAILED",
// "STATUS_WRONG_PASSWORD"), "" for an unset status or an unknown code.
func (s Status) Name() string {
	n, _ := s.text()
	return n
}

// Meaning explains the code in plain words ("wrong password"), "" if unknown.
func (s Status) Meaning() string {
	_, m := s.text()
	return m
}

// text looks the code up in the table of its kind: symbolic name and
// plain-words meaning, both "" for an unset status or an unknown code.
func (s Status) text() (name, meaning string) {
	if !s.Set {
		return "", ""
	}
	switch s.Kind {
	case StatusKerberos:
		return KerberosErrorText(s.Code)
	case StatusNT:
		return NTStatusText(s.Code)
	}
	return "", ""
}

// String returns "0x18 KDC_ERR_PREAUTH_FAILED" or "0xc000006a STATUS_WRONG_PASSWORD".
func (s Status) String() string {
	if !s.Set {
		return ""
	}
	h := "0x" + strconv.FormatUint(uint64(s.Code), 16)
	if n := s.Name(); n != "" {
		return h + " " + n
	}
	return h
}

type codeText struct{ name, meaning string }

// kerberosErrors are the RFC 4120 section 7.5.9 codes, RFC 4556 (PKINIT)
// codes 62-81 and RFC 6113 codes, with the meanings the Windows 4768/4771
// documentation gives (windows-itpro-docs event-4768.md, event-4771.md).
var kerberosErrors = map[uint32]codeText{
	0x0:  {"KDC_ERR_NONE", "no error"},
	0x1:  {"KDC_ERR_NAME_EXP", "client's entry in database has expired"},
	0x2:  {"KDC_ERR_SERVICE_EXP", "server's entry in database has expired"},
	0x3:  {"KDC_ERR_BAD_PVNO", "requested protocol version not supported"},
	0x4:  {"KDC_ERR_C_OLD_MAST_KVNO", "client's key encrypted in old master key"},
	0x5:  {"KDC_ERR_S_OLD_MAST_KVNO", "server's key encrypted in old master key"},
	0x6:  {"KDC_ERR_C_PRINCIPAL_UNKNOWN", "client (user name) not found in the directory"},
	0x7:  {"KDC_ERR_S_PRINCIPAL_UNKNOWN", "server not found: no account holds the requested SPN"},
	0x8:  {"KDC_ERR_PRINCIPAL_NOT_UNIQUE", "multiple accounts hold the name (duplicate SPN)"},
	0x9:  {"KDC_ERR_NULL_KEY", "the client or server has a null key"},
	0xa:  {"KDC_ERR_CANNOT_POSTDATE", "ticket not eligible for postdating"},
	0xb:  {"KDC_ERR_NEVER_VALID", "requested start time is later than end time"},
	0xc:  {"KDC_ERR_POLICY", "KDC policy rejects the request (logon restrictions)"},
	0xd:  {"KDC_ERR_BADOPTION", "KDC cannot accommodate the requested option"},
	0xe:  {"KDC_ERR_ETYPE_NOSUPP", "no common encryption type between client, KDC and account keys"},
	0xf:  {"KDC_ERR_SUMTYPE_NOSUPP", "KDC has no support for the checksum type"},
	0x10: {"KDC_ERR_PADATA_TYPE_NOSUPP", "KDC has no support for the pre-authentication type (smart card/PKINIT not usable)"},
	0x11: {"KDC_ERR_TRTYPE_NOSUPP", "KDC has no support for the transited type"},
	0x12: {"KDC_ERR_CLIENT_REVOKED", "client's credentials revoked (account disabled, expired or locked out)"},
	0x13: {"KDC_ERR_SERVICE_REVOKED", "credentials for the server have been revoked"},
	0x14: {"KDC_ERR_TGT_REVOKED", "TGT has been revoked"},
	0x15: {"KDC_ERR_CLIENT_NOTYET", "client not yet valid"},
	0x16: {"KDC_ERR_SERVICE_NOTYET", "server not yet valid"},
	0x17: {"KDC_ERR_KEY_EXPIRED", "password has expired"},
	0x18: {"KDC_ERR_PREAUTH_FAILED", "pre-authentication failed: wrong password"},
	0x19: {"KDC_ERR_PREAUTH_REQUIRED", "additional pre-authentication required"},
	0x1a: {"KDC_ERR_SERVER_NOMATCH", "requested server and ticket don't match"},
	0x1b: {"KDC_ERR_MUST_USE_USER2USER", "server principal valid for user-to-user only (ticket requested for a user account without an SPN)"},
	0x1c: {"KDC_ERR_PATH_NOT_ACCEPTED", "KDC policy rejects transited path"},
	0x1d: {"KDC_ERR_SVC_UNAVAILABLE", "a service is not available"},
	0x1f: {"KRB_AP_ERR_BAD_INTEGRITY", "integrity check on decrypted field failed"},
	0x20: {"KRB_AP_ERR_TKT_EXPIRED", "ticket expired"},
	0x21: {"KRB_AP_ERR_TKT_NYV", "ticket not yet valid"},
	0x22: {"KRB_AP_ERR_REPEAT", "request is a replay"},
	0x23: {"KRB_AP_ERR_NOT_US", "the ticket isn't for us"},
	0x24: {"KRB_AP_ERR_BADMATCH", "ticket and authenticator don't match"},
	0x25: {"KRB_AP_ERR_SKEW", "clock skew too great"},
	0x26: {"KRB_AP_ERR_BADADDR", "incorrect net address"},
	0x27: {"KRB_AP_ERR_BADVERSION", "protocol version mismatch"},
	0x28: {"KRB_AP_ERR_MSG_TYPE", "invalid message type"},
	0x29: {"KRB_AP_ERR_MODIFIED", "message stream modified: the server could not decrypt the ticket (SPN on another account, or password mismatch)"},
	0x2a: {"KRB_AP_ERR_BADORDER", "message out of order"},
	0x2c: {"KRB_AP_ERR_BADKEYVER", "specified version of key is not available"},
	0x2d: {"KRB_AP_ERR_NOKEY", "service key not available"},
	0x2e: {"KRB_AP_ERR_MUT_FAIL", "mutual authentication failed"},
	0x2f: {"KRB_AP_ERR_BADDIRECTION", "incorrect message direction"},
	0x30: {"KRB_AP_ERR_METHOD", "alternative authentication method required"},
	0x31: {"KRB_AP_ERR_BADSEQ", "incorrect sequence number in message"},
	0x32: {"KRB_AP_ERR_INAPP_CKSUM", "inappropriate type of checksum in message"},
	0x33: {"KRB_AP_PATH_NOT_ACCEPTED", "desired path is unreachable"},
	0x34: {"KRB_ERR_RESPONSE_TOO_BIG", "too much data (retry over TCP)"},
	0x3c: {"KRB_ERR_GENERIC", "generic error"},
	0x3d: {"KRB_ERR_FIELD_TOOLONG", "field is too long for this implementation"},
	0x3e: {"KDC_ERR_CLIENT_NOT_TRUSTED", "client certificate not trusted (PKINIT)"},
	0x3f: {"KDC_ERR_KDC_NOT_TRUSTED", "KDC not trusted (PKINIT)"},
	0x40: {"KDC_ERR_INVALID_SIG", "signature is invalid (PKINIT)"},
	0x41: {"KDC_ERR_KEY_TOO_WEAK", "key too weak (PKINIT)"},
	0x42: {"KDC_ERR_CERTIFICATE_MISMATCH", "certificate does not match the principal (PKINIT)"},
	0x43: {"KRB_AP_ERR_NO_TGT", "no TGT available to validate USER-TO-USER"},
	0x44: {"KDC_ERR_WRONG_REALM", "wrong realm"},
	0x45: {"KRB_AP_ERR_USER_TO_USER_REQUIRED", "ticket must be for USER-TO-USER"},
	0x46: {"KDC_ERR_CANT_VERIFY_CERTIFICATE", "cannot verify the certificate (PKINIT)"},
	0x47: {"KDC_ERR_INVALID_CERTIFICATE", "invalid certificate (PKINIT)"},
	0x48: {"KDC_ERR_REVOKED_CERTIFICATE", "revoked certificate (PKINIT)"},
	0x49: {"KDC_ERR_REVOCATION_STATUS_UNKNOWN", "revocation status unknown (PKINIT)"},
	0x4a: {"KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", "revocation status unavailable (PKINIT)"},
	0x4b: {"KDC_ERR_CLIENT_NAME_MISMATCH", "client name mismatch (PKINIT)"},
	0x4c: {"KDC_ERR_KDC_NAME_MISMATCH", "KDC name mismatch (PKINIT)"},
	0x4d: {"KDC_ERR_INCONSISTENT_KEY_PURPOSE", "certificate not valid for client authentication (PKINIT EKU)"},
	0x4e: {"KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED", "certificate digest algorithm not accepted (PKINIT)"},
	0x4f: {"KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED", "paChecksum must be included (PKINIT)"},
	0x50: {"KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED", "signed-data digest algorithm not accepted (PKINIT)"},
	0x51: {"KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED", "public key encryption not supported (PKINIT)"},
}

// KerberosErrorText returns the RFC 4120 name and a plain meaning of a
// Kerberos error code; both are "" for an unknown code.
func KerberosErrorText(code uint32) (name, meaning string) {
	t := kerberosErrors[code]
	return t.name, t.meaning
}

// ntStatuses are the NTSTATUS values of failed logons as the Windows 4625 and
// 4776 documentation lists them (windows-itpro-docs event-4625.md,
// event-4776.md; names from ntstatus.h / MS-ERREF 2.3.1).
var ntStatuses = map[uint32]codeText{
	0x00000000: {"STATUS_SUCCESS", "success"},
	0xc0000022: {"STATUS_ACCESS_DENIED", "access denied"},
	0xc000005e: {"STATUS_NO_LOGON_SERVERS", "no logon servers available (no domain controller reachable)"},
	0xc0000064: {"STATUS_NO_SUCH_USER", "user name does not exist"},
	0xc000006a: {"STATUS_WRONG_PASSWORD", "wrong password (user name is correct)"},
	0xc000006d: {"STATUS_LOGON_FAILURE", "logon failure: bad user name or authentication information (see SubStatus)"},
	0xc000006e: {"STATUS_ACCOUNT_RESTRICTION", "account restriction prevented the logon (credentials valid)"},
	0xc000006f: {"STATUS_INVALID_LOGON_HOURS", "logon outside authorized hours"},
	0xc0000070: {"STATUS_INVALID_WORKSTATION", "logon from an unauthorized workstation"},
	0xc0000071: {"STATUS_PASSWORD_EXPIRED", "password has expired"},
	0xc0000072: {"STATUS_ACCOUNT_DISABLED", "account is disabled"},
	0xc000009a: {"STATUS_INSUFFICIENT_RESOURCES", "insufficient system resources"},
	0xc0000133: {"STATUS_TIME_DIFFERENCE_AT_DC", "clocks of the domain controller and this computer are too far apart"},
	0xc000015b: {"STATUS_LOGON_TYPE_NOT_GRANTED", "user not granted the requested logon type (logon right) on this computer"},
	0xc000018c: {"STATUS_TRUSTED_DOMAIN_FAILURE", "trust relationship between the domains failed"},
	0xc0000192: {"STATUS_NETLOGON_NOT_STARTED", "Netlogon service not started"},
	0xc0000193: {"STATUS_ACCOUNT_EXPIRED", "account has expired"},
	0xc0000199: {"STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT", "logon with a workstation trust account"},
	0xc0000224: {"STATUS_PASSWORD_MUST_CHANGE", "user must change password at next logon"},
	0xc0000225: {"STATUS_NOT_FOUND", "not found (a known Windows quirk, not a risk)"},
	0xc0000234: {"STATUS_ACCOUNT_LOCKED_OUT", "account is locked out"},
	0xc0000371: {"STATUS_NO_SECRETS", "local account store holds no secret for the account"},
	0xc0000413: {"STATUS_AUTHENTICATION_FIREWALL_FAILED", "machine not allowed to authenticate to the target (selective authentication)"},
}

// NTStatusText returns the ntstatus.h name and a plain meaning of an NTSTATUS
// logon result; both are "" for an unknown value.
func NTStatusText(code uint32) (name, meaning string) {
	t := ntStatuses[code]
	return t.name, t.meaning
}

// logonTypes are the 4624/4625 LogonType values (windows-itpro-docs event-4624.md).
var logonTypes = map[int]string{
	0:  "System",
	2:  "Interactive",
	3:  "Network",
	4:  "Batch",
	5:  "Service",
	7:  "Unlock",
	8:  "NetworkCleartext",
	9:  "NewCredentials",
	10: "RemoteInteractive",
	11: "CachedInteractive",
	12: "CachedRemoteInteractive",
	13: "CachedUnlock",
}

// LogonTypeName names a 4624/4625 logon type ("Network" for 3); "" if unknown.
func LogonTypeName(t int) string { return logonTypes[t] }
