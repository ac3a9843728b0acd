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
// # Report: from findings to a diagnosis
//
// Diagnose goes from evidence to an answer in stages, each typed data the
// next reads:
//
//	evidence readers -> facts (true, false, or not verified + what would settle it)
//	  -> checks (findings with stable IDs "IIS007-2"; results passed, failed,
//	     not_verified, skipped, error)
//	  -> root causes (findings sharing a Cause; symptoms from logs, tickets and
//	     traces attached; mutually exclusive fixes as choices, one recommended)
//	  -> plan (ordered steps from the recommended choices: where, shell, commands)
//	  -> simulation (the plan's Actions applied to a copy of the evidence:
//	     iisconfig Config.Apply and an SPN overlay directory; the checks run again)
//	  -> summary (healthy, problems or inconclusive) and renderers
//
// Grounded facts: a check concludes only from what the evidence shows. A
// fact the evidence cannot establish (a log without one readable line, an
// account whose msDS-SupportedEncryptionTypes was not exported) makes the
// check "not_verified" with Settle naming the evidence that would decide
// it (Pass.NotVerified); supplied evidence that could not be read at all is
// listed in Summary.Unusable (Evidence.Unusable, Pass.Unusable) and keeps
// the status from "healthy". A shared computation that fails makes every
// check that used it "error". Values are never invented: encryption types
// come only from the attribute as read (or a ticket's enctype, said as
// such), a NetBIOS domain only from host.json or DOMAIN\name in the
// evidence, and an account known only by its DN is changed by DN.
//
// Remediation is structured: a Remedy's Actions (set an attribute at a
// configuration path, set providers, add or remove an SPN on an account,
// allow AES, purge client tickets, ...) render to the commands and apply to
// the in-memory model. Findings with the same Cause are one RootCause,
// fixed once at the level that covers all its paths when the simulation
// shows that is equivalent. Remedies with the same Choice key are one
// choice; the NTLM-first workaround (Remedy.Workaround) is never
// recommended. The Plan runs directory changes, then DNS, IIS, network,
// then client ticket refresh (klist purge) and a re-test. AfterPlan counts
// what the simulation leaves and lists what it cannot show (client
// tickets, DNS, logs, manual steps); symptoms from logs and traces count as
// resolved when their root cause is. A plan step lists in Resolves only the
// root causes the simulation shows resolved.
//
// The JSON keys (WriteJSON): profile, sources, verdict, findings (id,
// check_id, severity, subject, message, evidence [source, locator, detail],
// remediation [summary, commands, tradeoff, actions, choice, workaround],
// cause), results (check_id, status, reason, settle), warnings, exchanges,
// notes, summary {status, headline, errors, warnings, infos, root_causes,
// passed, failed, not_verified, skipped, check_errors, unusable},
// root_causes [{id, title, severity, kind, subjects, findings, symptoms,
// choices [{summary, recommended, reason, steps, tradeoff, actions}],
// resolved}], plan [{id, where, shell, summary, commands, resolves,
// tradeoff}], after_plan {errors, warnings, remaining, not_simulated}.
// examples/diagnose exits 0 healthy, 1 problems, 2 could not run, 3
// inconclusive.
//
// WriteText states the answer first (status, one line per root cause,
// unusable evidence), then the verdict, root causes, the plan with its
// commands (at most 120 columns; long commands continue with ^ or `), and
// the checks that did not pass; TextOptions.Verbose adds every finding with
// its evidence and remediation. WriteJSON uses the keys above;
// WriteMarkdown suits a ticket or a wiki; WriteHTML is one self-contained
// page with the exchanges drawn as sequence diagrams (inline SVG).
//
// The verdict rows and what puts each in the report (a row needs its
// symptom in the evidence):
//
//	Firewall shows a service/system account, but the application functions correctly
//	    yes, usually none: the scenario fact firewall_service_account (what an
//	    observer sees of Kerberos on the wire is otherwise a note)
//	Kerberos attempt fails, then NTLM succeeds
//	    yes, optional tuning: NEG002
//	Agents cannot register with Task Server
//	    no, investigate: failed registrations in the logs (LOG001, or LOG002 on a
//	    Task Server URL), with the findings on Task Server paths behind them
//	Repeated authentication errors appear in logs
//	    no, investigate: LOG001, LOG002
//	Kerberos is required because NTLM is disabled
//	    no, full Kerberos validation: the scenario fact ntlm_disabled, when a
//	    warning or error blocks Kerberos or a check could not be verified
//
//go:generate go run gen_docs.go
package diagnose
