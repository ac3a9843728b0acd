// Package diagnose runs checks over whatever evidence you have about an IIS
// server that uses Windows Authentication, and returns a Report: what is
// wrong, the evidence behind it, exactly how to fix it, what could not be
// verified, and a verdict in the terms of the ITMS knowledge article
// (expected behaviour, or investigate).
//
// # Quick start
//
//	ev, err := diagnose.LoadBundle(ctx, `C:\evidence\ns01`) // or build an Evidence by hand
//	if err != nil { ... }                                     // only if the directory is unreadable
//	rep, err := diagnose.Diagnose(ctx, ev, nil)               // nil options: every check, detected profile
//	if err != nil { ... }                                     // only misuse or cancellation
//	rep.WriteText(os.Stdout, diagnose.TextOptions{})          // or WriteJSON, WriteMarkdown
//
// The program examples/diagnose does exactly this with flags for every kind
// of evidence; examples/embed shows custom evidence and a custom check.
//
// # Evidence
//
// Evidence holds optional parts: the parsed applicationHost.config
// (iisconfig), the server's names (Host), a spn.Directory (LDAP, setspn or
// ldifde output, or memory), klist output and ticket requests, probe
// transcripts and tokens seen in HTTP headers (negotiate), IIS, agent and
// Notification Server logs (opened lazily through LogFile.Open), a DNS
// Resolver, and Scenario facts the evidence cannot show (NTLM disabled in the
// domain, non-domain clients, TLS inspection upstream, a firewall showing a
// service account). Nothing is required: a check whose evidence is absent is
// reported as skipped with the missing evidence named, so a report always
// says what was not verified.
//
// LoadBundle reads a directory laid out as
//
//	host.json              {"computer","fqdn","domain","realm","role","aliases","cnames",
//	                        "ntlm_disabled","non_domain_clients","tls_inspection",
//	                        "firewall_service_account","ldif_complete"}   (all optional)
//	applicationHost.config
//	setspn/*.txt           setspn -L / -Q / -X output, recognised by content
//	klist/*.txt            Windows or MIT klist output, recognised by content
//	ldif/*.ldf             ldifde export of SPN holders
//	logs/iis/**            W3C logs (u_ex*.log), any #Fields order
//	logs/agent/**          Symantec Management Agent logs
//	logs/smp/**            Notification Server logs
//	http/*.txt             raw HTTP exchanges (curl -v, proxy dumps)
//
// Files may be UTF-8, UTF-8 with a BOM, or UTF-16LE as PowerShell
// redirection writes them, with CRLF line ends. A file that cannot be read or
// recognised, and anything outside the layout, becomes an EvidenceWarning in
// the report: it never stops the run and is never silently ignored.
// LoadBundleFS reads the same layout from any fs.FS (an embedded sample, a
// zip archive).
//
// # Checks
//
// A Check is plain data plus a run function, in the style of
// golang.org/x/tools/go/analysis: a stable ID ("IIS006", never renumbered or
// reused), a Go-identifier Name, a Doc (title line, blank line,
// explanation), a default Severity, the evidence kinds it Requires (all) or
// RequiresAny (one of), and Run(ctx, *Pass). Checks returns the catalogue;
// docs/checks.md is generated from it. There is no global registry: add
// your own checks with Options.Extra.
//
// A Pass gives a check the Evidence, the Profile, data computed once per run
// and shared between checks (Applications: the effective settings of every
// application and location path; Scope: the paths the profile cares about;
// Shared: anything else), and Report/ReportAs/Reportf to record findings
// and Warn to record problems with the evidence. A check that returns an
// error or panics gets the result status "error" and the other checks still
// run; its findings reported before the failure are kept.
//
// # Profiles
//
// A Profile is data (JSON embedded in the package): which paths matter and
// what each needs. ITMSProfile lists the Symantec Management Platform agent,
// Task Server, package and console paths under Default Web Site/Altiris with
// their requirements (Windows Authentication, no anonymous access,
// authPersistNonNTLM=true) and the Broadcom KB articles (173598, 261039,
// 155783); GenericProfile puts every path with Windows Authentication enabled
// in scope. ParseProfile reads a profile for another product. Profile paths
// that do not exist on the server are not findings: the report lists them as
// notes. With no profile in Options, Diagnose picks ITMS when the host role
// is an ITMS role or the configuration has an /Altiris application.
//
// # Options
//
// Options select checks by ID or glob ("IIS*", "SPN00[1-3]"), disable them
// with a reason (required: the reason appears in the report), override
// severities, choose the profile and add extra checks. Invalid options are
// an *OptionsError.
//
// # Report
//
// A Report lists the evidence it looked at (sources) and has the findings
// (check_id, severity, subject, message,
// evidence [source, locator, detail], remediation [summary, commands,
// tradeoff]), one result per check (passed, failed, skipped or error, with
// the reason), the verdict (the rows of the knowledge article's table that
// apply, each with its scenario, expected yes/no, action and the IDs of the
// checks behind it), evidence warnings, notes, and the HTTP authentication
// exchanges of the evidence summarised as an observer sees them. WriteText
// groups findings by verdict row and subject with the remediation commands
// ready to paste (colour on request); WriteJSON uses exactly the keys above;
// WriteMarkdown suits a ticket or a wiki; WriteHTML is one self-contained
// page with the exchanges drawn as sequence diagrams (inline SVG).
//
// The verdict rows and what puts each in the report:
//
//	Firewall shows a service/system account, but the application functions correctly
//	    yes, usually none: Kerberos authenticated on the wire (a probe, a traced
//	    AP-REQ answered 2xx, an AP-REP; an observer sees only realm and SPN), or
//	    the scenario fact firewall_service_account
//	Kerberos attempt fails, then NTLM succeeds
//	    yes, optional tuning: NEG002
//	Agents cannot register with Task Server
//	    no, investigate: LOG001, or any warning/error on a Task Server path or URL
//	Repeated authentication errors appear in logs
//	    no, investigate: LOG001, LOG002
//	Kerberos is required because NTLM is disabled
//	    no, full Kerberos validation: the scenario fact ntlm_disabled, with every
//	    warning and error behind it
//
//go:generate go run gen_docs.go
package diagnose
