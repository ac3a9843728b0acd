// Package iiskerb explains Windows Integrated Authentication on IIS: why a
// site uses Kerberos or NTLM, why Kerberos fails, and exactly what to change.
//
// Give it whatever evidence you have (applicationHost.config and web.config
// files, Active Directory over LDAP or setspn/ldifde output, klist output, IIS
// and agent logs, Windows event exports, HTTP traces, a live endpoint) and it
// returns a diagnosis: the root causes (findings that share a cause, with the
// log lines, 401s, KDC errors and traces that corroborate them), one ordered
// plan of exact commands (setspn, appcmd, PowerShell) built from the
// recommended fix of each cause and verified by applying it to a copy of the
// evidence and running the checks again, and what the evidence could not
// show ("not verified", with the evidence that would settle it). Nothing is
// claimed that the evidence does not establish. Symantec/Broadcom IT Management
// Suite (ITMS) is the best-known profile; any IIS site that uses Windows
// Authentication is in scope.
//
// # How the pieces fit
//
//   - [github.com/iiskerb/iiskerb/iisconfig] parses applicationHost.config and
//     answers "what are the effective Windows Authentication settings, app pool
//     and identity for this site/path?" exactly as IIS computes them (schema
//     defaults, <location> inheritance, provider collections), and which account
//     decrypts Kerberos tickets for that path.
//   - [github.com/iiskerb/iiskerb/spn] models service principal names and the
//     accounts that own them, and reads Active Directory over LDAP or offline
//     setspn/ldifde output: missing, misplaced, duplicate and malformed SPNs.
//   - [github.com/iiskerb/iiskerb/negotiate] decodes what crosses the wire
//     (SPNEGO, Kerberos and NTLM tokens in WWW-Authenticate and Authorization
//     headers), says what an observer such as a firewall can see, requests
//     service tickets, parses klist output and probes endpoints.
//   - [github.com/iiskerb/iiskerb/diagnose] runs checks over the evidence and
//     returns a Report: a summary (healthy, problems or inconclusive), root
//     causes with mutually exclusive choices, the plan and what its simulation
//     leaves, the findings, one result per check (including the ones that were
//     skipped or could not be verified) and a verdict in the terms of the
//     knowledge article: expected behaviour or needs investigation. It renders
//     to text, JSON (docs/report.schema.json), Markdown, HTML and SARIF.
//
// The first three packages never import each other; diagnose stands on them.
// The programs under examples/ show each package in use; examples/diagnose is
// the one an administrator runs.
//
// # What is and is not wrong: common misconceptions
//
// IIS and Windows, not ITMS, choose Kerberos or NTLM. The Symantec Management
// Agent or the browser asks Windows (SSPI) to authenticate; IIS Windows
// Authentication offers the providers in its list. Nothing in ITMS picks the
// protocol.
//
// A service or machine account on the firewall is usually visibility, not
// wrong credentials. An NTLM AUTHENTICATE message carries the user, domain and
// workstation in clear text, so a firewall can read them. A Kerberos AP-REQ
// carries only the realm and the SPN of the server; the client's name is inside
// the encrypted ticket. An identity-aware firewall that cannot read Kerberos
// attributes the traffic to whatever else it knows: a service, machine or
// unknown identity.
//
// ITMS does not create HTTP SPNs. Kerberos needs an SPN (HTTP/host and
// HTTP/host.fqdn) on the account that decrypts the ticket: the computer account
// under kernel-mode authentication, or the app pool's domain account when
// useAppPoolCredentials is true. Someone has to register it (setspn -S), and
// nobody else may hold it (setspn -X).
//
// Kerberos then NTLM is normal. With Negotiate first and NTLM second, a failed
// Kerberos attempt followed by a successful NTLM authentication is ordinary
// Windows fallback, not an error; tune it only if you need Kerberos.
//
// NTLM is not always required, and NTLM-first is not a fix. Moving NTLM above
// Negotiate makes Kerberos unreachable for clients that follow the order: it
// is a workaround for non-domain or CEM clients with a security cost, never the
// root-cause fix for a Kerberos failure. Where NTLM is disabled in the domain,
// Kerberos has to work end to end.
//
// authPersistNonNTLM matters. Its schema default is false: IIS then
// re-authenticates every Kerberos request on a kept-alive connection, and the
// Symantec Management Agent reports "Authentication failed, request level
// authentication is not supported" and HTTP error 0x80042D21 when registering
// with a Task Server. It is important, but it is not the only requirement for
// Kerberos to work.
package iiskerb
