// Package agentlog finds the authentication errors of the knowledge
// article in Symantec Management Agent logs and Notification Server (SMP)
// logs.
//
// # Where the logs are
//
// Agent logs live in C:\ProgramData\Symantec\Symantec Agent\Logs (a*.log);
// Notification Server logs in C:\ProgramData\Symantec\SMP\Logs. Both write
// one XML-like record per event:
//
//	<event date='11/24/2026 09:01:02.1230000 -06:00' severity='1' hostName='PC0042'
//	  source='...' module='...' process='...' pid='...' thread='...' tickCount='...' >
//	  <![CDATA[message, possibly over several lines]]></event>
//
// Records may share a physical line, and messages span lines inside
// CDATA. Older agents write dates such as 'May 16 11:51:05' (no year: the
// times then have year 0). Plain-text lines, with or without a leading
// timestamp, are scanned too; in text pasted from a knowledge-base
// article, an "Operation '...' failed." line and the "Path: ...", "Error
// code: ..." lines after it are one message. Files may be UTF-8, UTF-8
// with BOM or UTF-16 with CRLF line ends.
//
// # What it looks for
//
// [Scan] counts messages of each [Kind], with first and last time, the
// first message as an example, the host that logged it and its file:line:
//
//   - "Authentication failed, request level authentication is not
//     supported, check that IIS setting 'authPersistNonNTLM' is set to
//     'True' on the server" and "HTTP error occured (0x80042D21)" (sic):
//     IIS re-authenticates every Kerberos request on the connection, which
//     the agent does not support; set authPersistNonNTLM to True.
//   - "The logon attempt failed (0x8009030C)" (SEC_E_LOGON_DENIED) and HTTP
//     401s ("HTTP status 401 ... (0x8FA10191)"): authentication did not
//     complete.
//   - Task Server registration failures of the Client Task Agent:
//     TaskServerRegistration by wording, and RegistrationFailed, which also
//     counts 401s and logon failures on Task Server URLs
//     (/Altiris/ClientTaskServer/Register.aspx) and records the codes seen
//     ([Match.Codes]). When the agent's logon was denied (0x8009030C) just
//     before the registration failed, as in Broadcom KB 232242,
//     [Match.LogonDenied] is true: "agents failed to register with the Task
//     Server: logon denied".
//   - SPN registration failures on the Notification Server with 8344
//     (ERROR_DS_INSUFF_ACCESS_RIGHTS: its account may not write its own
//     servicePrincipalName) or 8647 (the SPN is already on another account).
//
// Matching is by phrase and code, case-insensitive, so the wording of
// different ITMS versions is tolerated. Odd input (an event without end,
// an overlong line or message) becomes a Warning; binary input is a
// *FormatError matching ErrNotLog. [Summary.Merge] combines several files.
package agentlog
