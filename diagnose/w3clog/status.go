package w3clog

import "fmt"

// Win32 status values IIS writes in sc-win32-status for Windows
// Authentication. The SSPI values are HRESULTs printed as unsigned decimal
// numbers (0x8009030C is logged as 2148074252). Source: winerror.h
// (SEC_E_* in the FACILITY_SECURITY range 0x80090300-0x800903FF) and
// DESIGN.md section 4.
const (
	Win32AccessDenied        uint32 = 5          // ERROR_ACCESS_DENIED
	SecENoCredentials        uint32 = 0x8009030E // 2148074254 SEC_E_NO_CREDENTIALS
	SecELogonDenied          uint32 = 0x8009030C // 2148074252 SEC_E_LOGON_DENIED
	SecEInvalidToken         uint32 = 0x80090308 // 2148074248 SEC_E_INVALID_TOKEN
	SecEWrongPrincipal       uint32 = 0x80090322 // 2148074274 SEC_E_WRONG_PRINCIPAL
	SecETimeSkew             uint32 = 0x80090324 // 2148074276 SEC_E_TIME_SKEW
	SecESecPkgNotFound       uint32 = 0x80090305 // 2148074245 SEC_E_SECPKG_NOT_FOUND
	SecEKDCUnknownEtype      uint32 = 0x80090342 // 2148074306 SEC_E_KDC_UNKNOWN_ETYPE
	SecEBadBindings          uint32 = 0x80090346 // 2148074310 SEC_E_BAD_BINDINGS
	SecEUnknownCredentials   uint32 = 0x8009030D // 2148074253 SEC_E_UNKNOWN_CREDENTIALS
	SecENoAuthenticatingAuth uint32 = 0x80090311 // 2148074257 SEC_E_NO_AUTHENTICATING_AUTHORITY
)

type win32Info struct{ name, meaning string }

// win32Table maps sc-win32-status values to their symbolic name and what
// they mean for an IIS Windows Authentication request. Sources: winerror.h,
// Microsoft "HTTP status code overview" (IIS 7.0 and later) and DESIGN.md
// section 4.
var win32Table = map[uint32]win32Info{
	0:    {"ERROR_SUCCESS", "no Win32 error"},
	2:    {"ERROR_FILE_NOT_FOUND", "the file was not found"},
	5:    {"ERROR_ACCESS_DENIED", "access denied: for 401.2 the anonymous first request of a Negotiate/NTLM handshake; for 401.3 the file or folder ACL denies the authenticated user"},
	64:   {"ERROR_NETNAME_DELETED", "the client closed the connection"},
	1326: {"ERROR_LOGON_FAILURE", "unknown user name or bad password"},
	1327: {"ERROR_ACCOUNT_RESTRICTION", "account restrictions prevent this logon"},
	1330: {"ERROR_PASSWORD_EXPIRED", "the user's password has expired"},
	1331: {"ERROR_ACCOUNT_DISABLED", "the user's account is disabled"},
	1385: {"ERROR_LOGON_TYPE_NOT_GRANTED", "the user has not been granted the requested logon type on the server"},
	1909: {"ERROR_ACCOUNT_LOCKED_OUT", "the user's account is locked out"},
	1236: {"ERROR_CONNECTION_ABORTED", "the connection was aborted by the local system"},

	0x80090302:               {"SEC_E_UNSUPPORTED_FUNCTION", "the security package does not support the requested function (often a TLS or channel-binding mismatch)"},
	0x80090304:               {"SEC_E_INTERNAL_ERROR", "the Local Security Authority cannot be contacted"},
	SecESecPkgNotFound:       {"SEC_E_SECPKG_NOT_FOUND", "the requested security package does not exist: the client offered a scheme or mechanism the server's providers do not include"},
	SecEInvalidToken:         {"SEC_E_INVALID_TOKEN", "the token supplied is invalid: often NTLM handshake legs split across TCP connections by a load balancer or proxy, or a truncated header"},
	SecELogonDenied:          {"SEC_E_LOGON_DENIED", "the logon attempt failed: bad credentials, or a Kerberos ticket the server could not decrypt (SPN registered on a different account than the one decrypting)"},
	SecEUnknownCredentials:   {"SEC_E_UNKNOWN_CREDENTIALS", "the credentials supplied to the package were not recognized"},
	SecENoCredentials:        {"SEC_E_NO_CREDENTIALS", "no credentials are available yet: the NTLM challenge leg of the handshake; normal when the same client succeeds next"},
	0x8009030F:               {"SEC_E_MESSAGE_ALTERED", "the message or signature was altered"},
	SecENoAuthenticatingAuth: {"SEC_E_NO_AUTHENTICATING_AUTHORITY", "no authority could be contacted for authentication (domain controller unreachable)"},
	SecEWrongPrincipal:       {"SEC_E_WRONG_PRINCIPAL", "the target principal name is incorrect: the Kerberos ticket was issued for an SPN owned by another account"},
	SecETimeSkew:             {"SEC_E_TIME_SKEW", "the clocks of the client and server differ too much for Kerberos"},
	0x80090325:               {"SEC_E_UNTRUSTED_ROOT", "the certificate chain was issued by an untrusted authority"},
	0x80090326:               {"SEC_E_ILLEGAL_MESSAGE", "the message received was unexpected or badly formatted"},
	SecEKDCUnknownEtype:      {"SEC_E_KDC_UNKNOWN_ETYPE", "the encryption type requested is not supported by the KDC (for example an RC4-only account after AES-only hardening)"},
	SecEBadBindings:          {"SEC_E_BAD_BINDINGS", "client's supplied channel bindings were incorrect: extended protection with TLS terminated or inspected upstream"},
	0x80090350:               {"SEC_E_DOWNGRADE_DETECTED", "the system detected a possible attempt to compromise security (Negotiate downgrade)"},
}

// Win32Name returns the symbolic name of a sc-win32-status value, such as
// "SEC_E_LOGON_DENIED" for 2148074252, or a hexadecimal rendering for values
// it does not know.
func Win32Name(code uint32) string {
	if i, ok := win32Table[code]; ok {
		return i.name
	}
	if code >= 0x80000000 {
		return fmt.Sprintf("0x%08X", code)
	}
	return fmt.Sprintf("WIN32_%d", code)
}

// Win32Meaning returns a one-line explanation of a sc-win32-status value in
// the context of Windows Authentication, or "" when it is not known.
func Win32Meaning(code uint32) string {
	return win32Table[code].meaning
}

// SubStatusMeaning explains an IIS 401 substatus (IIS 7.0 and later).
func SubStatusMeaning(sub int) string {
	switch sub {
	case 0:
		return "unauthorized"
	case 1:
		return "logon failed (credentials)"
	case 2:
		return "logon failed due to server configuration (no credentials offered for the enabled methods)"
	case 3:
		return "unauthorized due to ACL on resource"
	case 4:
		return "authorization failed by filter"
	case 5:
		return "authorization failed by ISAPI/CGI application"
	}
	return ""
}
