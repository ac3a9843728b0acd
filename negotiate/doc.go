// Package negotiate explains what crosses the wire when a client
// authenticates to IIS with Windows Authentication: the Negotiate (SPNEGO),
// Kerberos and NTLM tokens in WWW-Authenticate and Authorization headers,
// what an observer on the path can read from them, the service tickets a
// client holds (klist) or can obtain, and how a live endpoint behaves.
//
// # Headers
//
// [ParseChallenges] reads every WWW-Authenticate header of a response; one
// header may hold several challenges ("Negotiate, NTLM") and a response may
// hold several headers. [ParseChallengeValue] parses one header value and
// [ParseAuthorization] the client's Authorization value. Each [Challenge]
// has the scheme, the auth-params and, for the Negotiate, NTLM and Kerberos
// schemes, the base64-decoded token. [PersistentAuth] reads IIS's
// Persistent-Auth header.
//
// A bare "Negotiate" challenge on a 401 is the server offering SPNEGO; a
// "Negotiate <token>" on the final 200 is its last SPNEGO answer (with a
// Kerberos AP-REP when mutual authentication happened). A client whose
// Authorization header starts "Negotiate TlRMTVNT" is sending raw NTLM under
// the Negotiate scheme: Windows falls back to NTLM when it cannot get a
// Kerberos ticket for the server's SPN.
//
// # Tokens
//
// [DecodeToken] decodes a token without any key:
//
//   - SPNEGO (RFC 4178, MS-SPNG): NegTokenInit with its mechanism list,
//     reqFlags, mechToken and mechListMIC; the server's NegTokenInit2 with
//     negHints; NegTokenResp with or without negState. The decoder is this
//     package's own, because clients omit negState in their second token and
//     SPNEGO carries NTLM and NegoEx, which gokrb5's SPNEGO types reject.
//   - Kerberos GSS tokens (RFC 4121) and bare messages: AP-REQ (ticket realm,
//     server name/SPN and name type, ticket encryption type and key version,
//     ap-options such as mutual-required), AP-REP and KRB-ERROR (code, name,
//     plain-language meaning, e-text). The Kerberos ASN.1 is decoded by
//     github.com/jcmturner/gokrb5/v8.
//   - NTLM (MS-NLMP): NEGOTIATE (flags, domain, workstation, OS version),
//     CHALLENGE (target name, server challenge, AV pairs with the timestamp)
//     and AUTHENTICATE (domain, user, workstation, LM/NT response lengths,
//     [NTLM.Version] NTLMv1 versus NTLMv2, NTProofStr, the client's AV pairs
//     with MsvAvFlags, channel bindings and target SPN, MIC, session key).
//     Payload offsets and lengths are validated strictly: a message whose
//     offsets point into the header, past the end or into another field is
//     rejected, and an inconsistent layout is reported as such.
//
// A SPNEGO token that carries a Kerberos or NTLM message has both parts on
// the same [Token]: Kind says SPNEGOInit or SPNEGOResp, InnerKind says
// KerberosAPReq, NTLMAuthenticate and so on, and [Token.Mechanism] names the
// mechanism ("Kerberos", "NTLM", "NegoEx").
//
// Failures are [*DecodeError] values carrying the byte offset and the
// structure being read; errors.Is tells [ErrTruncated], [ErrMalformed],
// [ErrInconsistent] and [ErrUnknownToken] apart. A token cut short (copied
// from a document or a log that truncates lines) still yields what its
// bytes show, with Token.Truncated set, alongside the error. Decoding never
// panics and never allocates from a length field before checking it against
// the bytes that remain.
//
// # What an observer sees
//
// [Token.Visible] returns a [Visibility]: one sentence and the fields a
// proxy, packet capture or identity-aware firewall can read. NTLM sends the
// user, domain and workstation in clear text in AUTHENTICATE. A Kerberos
// AP-REQ shows only the realm, the SPN of the server, the encryption type
// and the key version: the client's name is inside the encrypted ticket and
// authenticator. This is why a firewall such as Palo Alto User-ID attributes
// Kerberos traffic to a service, machine or unknown identity while it shows
// users for NTLM traffic: visibility, not wrong credentials.
//
// # klist
//
// [ParseKlist] and [ParseKlistFile] read the output of Windows klist.exe
// (klist, klist tickets, klist tgt) and of MIT klist (also -e and -f),
// recognised by content, in UTF-8 or UTF-16LE
// (PowerShell redirection) with LF or CRLF line ends. The [Klist] lists
// [Ticket] values with client, server SPN and realm, encryption type (name
// and number, see [EncTypeName], [EncTypeID] and [IsRC4]), flags and times;
// [Klist.Find] looks up the ticket for an SPN. No HTTP/host ticket after
// browsing to a site means the client never got Kerberos for it; an RC4
// ticket means the SPN owner has no AES keys or the client asked for RC4.
// Output in neither format gives a [*KlistError] wrapping [ErrUnknownFormat].
// Session keys and encoded tickets that klist tgt prints are skipped, never
// kept.
//
// # Tickets and probes
//
// [RequestTicket] is the programmatic "klist get": it asks a KDC for a service
// ticket for an SPN with a gokrb5 client and returns it as a [Ticket], or a
// [*KDCError] whose code says why (KDC_ERR_S_PRINCIPAL_UNKNOWN for a missing
// SPN, KDC_ERR_PRINCIPAL_NOT_UNIQUE for a duplicate, KDC_ERR_ETYPE_NOSUPP,
// clock skew, wrong realm). [Probe] runs a real handshake against a URL and
// returns a [Transcript]: each round's headers, status and decoded tokens,
// the mechanism that won, whether Kerberos was attempted and why it failed,
// whether NTLM was offered and used, whether mutual authentication came
// back, and whether a second request on the same kept-alive connection was
// challenged again (the wire symptom of authPersistNonNTLM=false).
package negotiate
