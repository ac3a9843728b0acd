package diagnose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/diagnose/agentlog"
	"github.com/iiskerb/iiskerb/diagnose/w3clog"
)

// logChecks returns LOG001-LOG003: the knowledge article's "log
// interpretation" step over agent, IIS and Notification Server logs.
func logChecks() []*Check {
	return []*Check{
		{
			ID:   "LOG001",
			Name: "AgentAuthFailures",
			Doc: `Agent log: "request level authentication is not supported" / 0x80042D21

The Symantec Management Agent logs "Authentication failed, request level authentication is not
supported, check that IIS setting 'authPersistNonNTLM' is set to 'True' on the server" together with
"HTTP error occured (0x80042D21)" when IIS re-authenticates every Kerberos request on a kept-alive
connection (authPersistNonNTLM=False): agents then cannot register with a Task Server (Broadcom KB
173598). The check also reports "The logon attempt failed (0x8009030C)", HTTP 401s and Task Server
registration failures in agent logs: authentication did not complete, which is not expected.`,
			Severity: Error,
			Requires: []EvidenceKind{EvAgentLogs},
			Run:      runLOG001,
		},
		{
			ID:   "LOG002",
			Name: "IISLogAuthFailures",
			Doc: `IIS log: failing 401s beyond the normal Negotiate/NTLM handshake

In IIS W3C logs a normal Windows Authentication handshake logs 401 2 5 (the anonymous first request
answered with the challenge) and, for NTLM, 401 1 2148074254 (SEC_E_NO_CREDENTIALS, the challenge leg)
followed by a success from the same client. Those 401s are expected. Any other 401 means
authentication did not complete: 2148074252 SEC_E_LOGON_DENIED, 2148074248 SEC_E_INVALID_TOKEN (often
NTLM legs split across connections by a load balancer), 2148074274 SEC_E_WRONG_PRINCIPAL, 2148074276
SEC_E_TIME_SKEW, 2148074310 SEC_E_BAD_BINDINGS (extended protection behind TLS inspection), 401.3 ACLs.
Findings are grouped by URI and status with the clients, counts and first/last times.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvIISLogs},
			Run:      runLOG002,
		},
		{
			ID:   "LOG003",
			Name: "SPNRegistrationDenied",
			Doc: `SMP log: SPN registration failed with 8344

A Notification Server that cannot register its HTTP SPN logs error 8344 (ERROR_DS_INSUFF_ACCESS_RIGHTS):
the account it runs as may not write servicePrincipalName on its own Active Directory object. ITMS
does not create the HTTP SPNs by itself in general; without them clients cannot get a Kerberos
ticket for the server and fall back to NTLM (or fail where NTLM is disabled). Error 8647 means the
SPN is already registered on another account (a duplicate SPN).`,
			Severity: Warning,
			Requires: []EvidenceKind{EvSMPLogs},
			Run:      runLOG003,
		},
	}
}

// scanLogs scans every log of a kind with agentlog, once per run.
func scanLogs(ctx context.Context, p *Pass, key string, logs []LogFile) (*agentlog.Summary, error) {
	v, err := p.Shared("agentlog:"+key, func() (any, error) {
		total := &agentlog.Summary{}
		for _, lf := range logs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rc, err := lf.Open()
			if err != nil {
				p.Warn(EvidenceWarning{Source: lf.Name, Message: "cannot open log: " + err.Error()})
				continue
			}
			s, err := agentlog.Scan(ctx, lf.Name, rc)
			rc.Close()
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				p.Warn(EvidenceWarning{Source: lf.Name, Message: "log not read: " + err.Error()})
				continue
			}
			for _, w := range s.Warnings {
				p.Warn(EvidenceWarning{Source: w.File, Locator: strconv.Itoa(w.Line), Message: w.Message})
			}
			total.Merge(s)
		}
		return total, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*agentlog.Summary), nil
}

// splitLoc turns "file:line" into an EvidenceRef source and locator; a
// string without a ":line" suffix is all source.
func splitLoc(loc string) (string, string) {
	if i := strings.LastIndexByte(loc, ':'); i > 0 {
		if _, err := strconv.Atoi(loc[i+1:]); err == nil {
			return loc[:i], loc[i+1:]
		}
	}
	return loc, ""
}

func timeSpan(first, last time.Time) string {
	const layout = "2006-01-02 15:04:05 -07:00"
	switch {
	case first.IsZero() && last.IsZero():
		return ""
	case first.Format(layout) == last.Format(layout):
		return " at " + first.Format(layout)
	}
	return " between " + first.Format(layout) + " and " + last.Format(layout)
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

func matchRef(m *agentlog.Match) EvidenceRef {
	src, line := splitLoc(m.Locator)
	detail := m.Example
	if i := strings.IndexAny(detail, "\r\n"); i >= 0 {
		// Keep the lines that matter from multi-line agent messages.
		var keep []string
		for _, l := range strings.Split(strings.ReplaceAll(detail, "\r\n", "\n"), "\n") {
			ll := strings.ToLower(l)
			if strings.HasPrefix(ll, "path:") || strings.HasPrefix(ll, "host:") || strings.HasPrefix(ll, "error") ||
				strings.HasPrefix(ll, "operation") || strings.Contains(ll, "0x") {
				keep = append(keep, strings.TrimSpace(l))
			}
		}
		detail = strings.Join(keep, " | ")
	}
	return EvidenceRef{Source: src, Locator: line,
		Detail: fmt.Sprintf("%s (%s%s)", detail, times(m.Count), timeSpan(m.First, m.Last))}
}

var logPathRE = regexp.MustCompile(`(?im)^\s*Path:\s*(/\S+)|https?://[^/\s'"]+(/[^\s'"?]+)`)

// agentPath finds the URL path an agent message is about.
func agentPath(msg string) string {
	m := logPathRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	if m[1] != "" {
		return m[1]
	}
	return m[2]
}

// agentRefs cites each distinct log line of ms (nil entries are skipped)
// and returns the first URL path their messages name.
func agentRefs(ms ...*agentlog.Match) (refs []EvidenceRef, urlPath string) {
	for _, m := range ms {
		if m == nil {
			continue
		}
		if !slices.ContainsFunc(refs, func(r EvidenceRef) bool { return r.Source+":"+r.Locator == m.Locator }) {
			refs = append(refs, matchRef(m))
		}
		if urlPath == "" {
			urlPath = agentPath(m.Example)
		}
	}
	return refs, urlPath
}

func authPersistRemedies(urlPath string) []Remedy {
	rem := []Remedy{{
		Summary:  "Set authPersistNonNTLM to True at server level (IIS Manager > server > Configuration Editor > system.webServer/security/authentication/windowsAuthentication), on the Notification Server or Task Server the agents connect to",
		Commands: authPersistCommands(""),
		Tradeoff: "A proxy that shares one server connection between several users would let them share the authentication; do not enable it behind such a proxy.",
	}}
	if dir := path.Dir(urlPath); urlPath != "" && dir != "/" && dir != "." {
		loc := "Default Web Site" + dir
		rem = append(rem, Remedy{
			Summary:  fmt.Sprintf("If a <location> overrides it for %s (see IIS006), set it there too (ITMS installs under Default Web Site; adjust the site name if yours differs)", dir),
			Commands: authPersistCommands(loc),
		})
	}
	return rem
}

// serverName is the name to put in SPN commands: the FQDN when known.
func serverName(h Host) string {
	switch {
	case h.FQDN != "":
		return h.FQDN
	case h.Computer != "":
		return h.Computer
	}
	return "<server-fqdn>"
}

func spnCheckRemedy(h Host) Remedy {
	name := serverName(h)
	cmds := []string{"setspn -Q HTTP/" + name}
	if h.Computer != "" && !strings.EqualFold(h.Computer, name) {
		cmds = append(cmds, "setspn -Q HTTP/"+h.Computer)
	}
	cmds = append(cmds, "setspn -X")
	return Remedy{
		Summary:  "Check that HTTP/<host> and HTTP/<host.fqdn> are registered once, on the account that decrypts the tickets (the computer account, or the app pool account with useAppPoolCredentials=True)",
		Commands: cmds,
	}
}

func runLOG001(ctx context.Context, p *Pass) error {
	s, err := scanLogs(ctx, p, "agent", p.Evidence.AgentLogs)
	if err != nil {
		return err
	}
	rla := s.Match(agentlog.RequestLevelAuthNotSupported)
	code := s.Match(agentlog.HTTP0x80042D21)
	reg := s.Match(agentlog.TaskServerRegistration)
	denied := s.Match(agentlog.HTTP0x8009030C)
	h401 := s.Match(agentlog.HTTP401)
	failed := s.Match(agentlog.RegistrationFailed)
	if s.Messages == 0 {
		for _, lf := range p.Evidence.AgentLogs {
			p.Unusable(EvAgentLogs, lf.Name, "no Symantec Management Agent message could be read")
		}
		p.NotVerified("no agent log message could be read", "the agent's log files (C:\\ProgramData\\Symantec\\Symantec Agent\\Logs\\*.log), as written")
		return nil
	}

	if rla != nil || code != nil {
		var parts []string
		refs, urlPath := agentRefs(rla, code, reg, h401)
		if rla != nil {
			parts = append(parts, fmt.Sprintf("\"Authentication failed, request level authentication is not supported\" %s%s", times(rla.Count), timeSpan(rla.First, rla.Last)))
		}
		if code != nil {
			parts = append(parts, fmt.Sprintf("\"HTTP error occured (0x80042D21)\" %s", times(code.Count)))
		}
		if reg != nil {
			parts = append(parts, fmt.Sprintf("Task Server registration failures %s", times(reg.Count)))
		}
		if h401 != nil {
			parts = append(parts, fmt.Sprintf("HTTP 401 %s", times(h401.Count)))
		}
		p.Report(Finding{
			Subject: cmp.Or(urlPath, "agent logs"),
			Message: "Agents log " + strings.Join(parts, ", ") + ". IIS re-authenticates every Kerberos (non-NTLM) request on the same " +
				"connection because authPersistNonNTLM is False, which the agent does not support: agents cannot register with the Task " +
				"Server or keep persistent connections (Broadcom KB 173598). Setting authPersistNonNTLM=True lets IIS authenticate the " +
				"connection once; it is important here but not the only requirement for Kerberos (SPNs, provider order).",
			Evidence:    refs,
			Remediation: authPersistRemedies(urlPath),
			symptomOf:   persistKinds,
		})
	} else if failed != nil {
		refs, urlPath := agentRefs(failed, denied, h401)
		why := "authentication did not complete"
		if failed.LogonDenied() {
			why = "the logon was denied (SEC_E_LOGON_DENIED 0x8009030C): the server rejected the agent's credentials or could not decrypt its Kerberos ticket (an SPN registered on a different account than the one IIS decrypts with)"
		}
		codes := ""
		if len(failed.Codes) > 0 {
			codes = " (" + strings.Join(failed.Codes, ", ") + ")"
		}
		p.ReportAs(Error, Finding{
			Subject: cmp.Or(urlPath, "agent logs"),
			Message: fmt.Sprintf("Agents failed to register with the Task Server %s%s%s: %s. Registration failing is not expected; "+
				"after the January 2022 Windows updates Kerberos no longer falls back to NTLM in this case (Broadcom KB 232242).",
				times(failed.Count), timeSpan(failed.First, failed.Last), codes, why),
			Evidence: refs,
			Remediation: []Remedy{
				spnCheckRemedy(p.Evidence.Host),
				{Summary: "Upgrade the Symantec Management Agent to ITMS 8.6 RU2 or later, which falls back to NTLM when Kerberos fails because the SPNs are not configured (Broadcom KB 232242)"},
			},
			symptomOf: spnKinds,
		})
		if failed.LogonDenied() {
			denied = nil // said above
		}
	} else if reg != nil || h401 != nil {
		var parts []string
		refs, urlPath := agentRefs(reg, h401)
		if reg != nil {
			parts = append(parts, "Task Server registration failures "+times(reg.Count)+timeSpan(reg.First, reg.Last))
		}
		if h401 != nil {
			parts = append(parts, "HTTP 401 (the request requires user authentication) "+times(h401.Count)+timeSpan(h401.First, h401.Last))
		}
		p.ReportAs(Warning, Finding{
			Subject: cmp.Or(urlPath, "agent logs"),
			Message: "Agents log " + strings.Join(parts, ", ") + ": authentication did not complete, which is not expected. " +
				"Check Windows Authentication, provider order (Negotiate, then NTLM), authPersistNonNTLM and the HTTP SPNs of the server the agents connect to.",
			Evidence:    refs,
			Remediation: []Remedy{spnCheckRemedy(p.Evidence.Host)},
			symptomOf:   append(append([]string(nil), spnKinds...), "auth-persist-non-ntlm", "windows-auth-disabled", "no-negotiate"),
		})
	}
	if denied != nil {
		p.ReportAs(Warning, Finding{
			Subject: "agent logs",
			Message: fmt.Sprintf("Agents log \"The logon attempt failed (0x8009030C)\" (SEC_E_LOGON_DENIED) %s%s: the server rejected the agent's "+
				"credentials or could not decrypt its Kerberos ticket (an SPN registered on a different account than the one IIS uses). After "+
				"the January 2022 Windows updates Kerberos no longer falls back to NTLM in this case (Broadcom KB 232242).",
				times(denied.Count), timeSpan(denied.First, denied.Last)),
			Evidence: []EvidenceRef{matchRef(denied)},
			Remediation: []Remedy{
				spnCheckRemedy(p.Evidence.Host),
				{Summary: "Upgrade the Symantec Management Agent to ITMS 8.6 RU2 or later, which falls back to NTLM when Kerberos fails because the SPNs are not configured (Broadcom KB 232242)"},
			},
			symptomOf: spnKinds,
		})
	}
	return nil
}

func iisLogSummary(ctx context.Context, p *Pass) (*w3clog.Summary, error) {
	v, err := p.Shared("w3clog:summary", func() (any, error) {
		a := w3clog.NewAnalyzer(nil)
		for _, lf := range p.Evidence.IISLogs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rc, err := lf.Open()
			if err != nil {
				p.Warn(EvidenceWarning{Source: lf.Name, Message: "cannot open log: " + err.Error()})
				continue
			}
			// Files on disk (LoadBundle, FileLog) take the parallel path.
			if f, ok := rc.(interface {
				io.ReaderAt
				Stat() (fs.FileInfo, error)
			}); ok {
				if st, serr := f.Stat(); serr == nil && st.Mode().IsRegular() {
					err = a.AddReaderAt(ctx, lf.Name, f, st.Size())
				} else {
					err = a.Add(ctx, lf.Name, rc)
				}
			} else {
				err = a.Add(ctx, lf.Name, rc)
			}
			rc.Close()
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				var fe *w3clog.FormatError
				if errors.As(err, &fe) {
					p.Warn(EvidenceWarning{Source: lf.Name, Locator: strconv.FormatInt(fe.Line, 10), Message: "not a W3C log, skipped: " + fe.Reason})
				} else {
					p.Warn(EvidenceWarning{Source: lf.Name, Message: "log not read: " + err.Error()})
				}
			}
		}
		s := a.Result()
		for _, w := range s.Warnings {
			p.Warn(EvidenceWarning{Source: w.File, Locator: strconv.FormatInt(w.Line, 10), Message: w.Message})
		}
		if n := s.WarningCount - int64(len(s.Warnings)); n > 0 {
			p.Warn(EvidenceWarning{Source: "IIS logs", Message: fmt.Sprintf("%d more warnings not listed (%d lines could not be read in all)", n, s.Unread)})
		}
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*w3clog.Summary), nil
}

// failureKey groups w3clog groups into one finding: URI and status.
type failureKey struct {
	uri        string
	sub        int
	win32      uint32
	win32Name  string
	unanswered bool
}

func runLOG002(ctx context.Context, p *Pass) error {
	s, err := iisLogSummary(ctx, p)
	if err != nil {
		return err
	}
	if s.Requests == 0 {
		// Not one request could be read: "no failing 401s" would be a
		// conclusion from nothing.
		for _, lf := range p.Evidence.IISLogs {
			p.Unusable(EvIISLogs, lf.Name, "no W3C request line could be read")
		}
		p.NotVerified("no request could be read from the IIS logs",
			"the site's W3C log files as IIS writes them (u_ex*.log with their #Fields header, from the site's log folder)")
		return nil
	}
	// What the conclusions rest on: lines that could not be read may hold
	// failures, and a layout assumed for lines without #Fields is a guess.
	var caveat string
	if s.Assumed > 0 {
		caveat += fmt.Sprintf(" (%d requests were read from lines without a #Fields header, assuming the layout %s)", s.Assumed, strings.Join(s.AssumedLayouts, "; "))
	}
	if s.Unread > 0 {
		caveat += fmt.Sprintf(" (%d log lines could not be read: the conclusion rests on a partial read)", s.Unread)
		// A line cut at the end of a file IIS was still writing is normal;
		// more than that (over 1% of the requests, plus one) leaves the
		// absence of failures unproven.
		if s.Unread > s.Requests/100+1 {
			p.NotVerified(fmt.Sprintf("%d IIS log lines could not be read", s.Unread),
				"the complete u_ex*.log files as IIS writes them (with their #Fields header)")
		}
	}
	// The groups w3clog did not keep individually (over s.MaxGroups) are
	// aggregated apart from any real URI "*".
	type aggKey struct {
		failureKey
		folded bool
	}
	byKey := map[aggKey][]w3clog.Group{}
	var order []aggKey
	for _, g := range s.Failures() {
		k := aggKey{failureKey{g.URI, g.SubStatus, g.Win32, g.Win32Name, g.Unanswered}, g.Folded}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], g)
	}
	type agg struct {
		k           aggKey
		groups      []w3clog.Group
		count       int
		first, last time.Time
		clients     []string
	}
	var aggs []agg
	for _, k := range order {
		a := agg{k: k, groups: byKey[k]}
		seen := map[string]bool{}
		for _, g := range a.groups {
			a.count += g.Count
			if !g.First.IsZero() && (a.first.IsZero() || g.First.Before(a.first)) {
				a.first = g.First
			}
			if g.Last.After(a.last) {
				a.last = g.Last
			}
			if g.ClientIP != "" && !seen[g.ClientIP] {
				seen[g.ClientIP] = true
				a.clients = append(a.clients, g.ClientIP)
			}
		}
		aggs = append(aggs, a)
	}
	slices.SortStableFunc(aggs, func(x, y agg) int { return y.count - x.count })
	const maxFindings = 20
	// Beyond s.MaxGroups distinct groups, w3clog keeps the most frequent
	// with exact counts and counts the others per status only.
	foldedReq, foldedListed := 0, 0
	for i, a := range aggs {
		if a.k.folded {
			foldedReq += a.count
			if i < maxFindings {
				foldedListed += a.count
			}
		}
	}
	notKept := ""
	if foldedReq > 0 {
		notKept = fmt.Sprintf(" The logs have more than %d distinct 401 groups (URI, client, user, status): the most frequent are kept with exact counts, the %d failing requests of the others are counted per status only, not by URI or client.", s.MaxGroups, foldedReq)
	}
	for i, a := range aggs {
		if i == maxFindings {
			rest := 0
			for _, b := range aggs[i:] {
				rest += b.count
			}
			msg := fmt.Sprintf("%d more failing 401 groups (%d requests) not listed.", len(aggs)-i, rest)
			if foldedReq > foldedListed {
				msg += fmt.Sprintf(" Of these, %d requests are in groups not kept individually.", foldedReq-foldedListed)
			}
			p.ReportAs(Info, Finding{Subject: "IIS logs", Message: msg + notKept})
			break
		}
		status := fmt.Sprintf("401.%d", a.k.sub)
		if a.k.sub < 0 {
			status = "401"
		}
		if a.k.win32Name != "" {
			status += fmt.Sprintf(" %s (%d)", a.k.win32Name, a.k.win32)
		}
		meaning := a.groups[0].Meaning
		if sm := w3clog.SubStatusMeaning(a.k.sub); sm != "" && a.k.sub >= 0 {
			meaning = sm
			if wm := w3clog.Win32Meaning(a.k.win32); wm != "" && a.k.win32Name != "" {
				meaning += "; " + wm
			}
		}
		clients := ""
		switch len(a.clients) {
		case 0:
		case 1:
			clients = " from " + a.clients[0]
		default:
			clients = fmt.Sprintf(" from %d clients", len(a.clients))
		}
		where := a.k.uri + clients
		if a.k.folded {
			where = "URIs and clients not kept individually"
		}
		msg := fmt.Sprintf("%s %s on %s%s: %s. ", status, times(a.count), where, timeSpan(a.first, a.last), meaning)
		if a.k.unanswered {
			msg = fmt.Sprintf("NTLM challenge (401.1 SEC_E_NO_CREDENTIALS) not followed by a success from the same client %s on %s%s. ", times(a.count), where, timeSpan(a.first, a.last))
		}
		msg += "This is beyond the normal Negotiate/NTLM handshake (401 2 5, then 401 1 2148074254 for NTLM): repeated authentication errors are not expected; investigate." + caveat
		if a.k.folded {
			msg += notKept
		}
		var refs []EvidenceRef
		for j, g := range a.groups {
			if j == 10 {
				refs = append(refs, EvidenceRef{Source: "IIS logs", Detail: fmt.Sprintf("%d more client/user groups", len(a.groups)-j)})
				break
			}
			src, line := splitLoc(g.Locator)
			who := g.ClientIP
			if who == "" {
				who = "unknown client"
			}
			if g.User != "" {
				who += " (" + g.User + ")"
			}
			if g.Folded {
				who = "groups not kept individually, first at this line,"
			}
			refs = append(refs, EvidenceRef{Source: src, Locator: line, Detail: fmt.Sprintf("%s %s%s", who, times(g.Count), timeSpan(g.First, g.Last))})
		}
		sev := Warning
		if a.count < 3 {
			sev = Info // an isolated failure, not "repeated"
		}
		subject := a.k.uri
		if a.k.folded {
			subject = "IIS logs"
		}
		f := Finding{Subject: subject, Message: msg, Evidence: refs, Remediation: iisFailureRemedies(a.k.failureKey, p.Evidence.Host)}
		switch a.k.win32 {
		case w3clog.SecELogonDenied, w3clog.SecEWrongPrincipal:
			f.symptomOf = spnKinds
		}
		p.ReportAs(sev, f)
	}
	return nil
}

func iisFailureRemedies(k failureKey, h Host) []Remedy {
	lbAffinity := Remedy{
		Summary: "Keep each client's NTLM handshake on one TCP connection: enable connection persistence (client affinity) on the load balancer or proxy in front of IIS, or let Kerberos work (it needs no multi-leg connection) by registering the HTTP SPNs",
	}
	switch {
	case k.unanswered, k.win32 == w3clog.SecEInvalidToken:
		return []Remedy{lbAffinity, spnCheckRemedy(h)}
	case k.win32 == w3clog.SecELogonDenied, k.win32 == w3clog.SecEWrongPrincipal:
		return []Remedy{spnCheckRemedy(h), {
			Summary: "If the SPN is on another account than the one IIS decrypts with, move it (setspn -D from the wrong account, setspn -S to the right one; see SPN002) or align useAppPoolCredentials with the app pool identity (IIS007)",
		}}
	case k.win32 == w3clog.SecETimeSkew:
		return []Remedy{{Summary: "Synchronise the clocks of clients, server and domain controllers (Kerberos allows 5 minutes by default)",
			Commands: []string{"w32tm /query /status", "w32tm /resync"}}}
	case k.win32 == w3clog.SecEKDCUnknownEtype:
		computer := h.Computer
		if computer == "" {
			computer = "<computer>"
		}
		return []Remedy{{Summary: "Give the account that owns the HTTP SPN AES keys: enable AES in msDS-SupportedEncryptionTypes (the computer account, or the service account with useAppPoolCredentials=True) and reset the service account's password so AES keys exist (see SPN006)",
			Commands: []string{"Set-ADComputer " + computer + " -KerberosEncryptionType AES128,AES256", "Set-ADUser <service account> -KerberosEncryptionType AES128,AES256"}}}
	case k.win32 == w3clog.SecEBadBindings:
		return []Remedy{{
			Summary:  "Exempt the site from TLS inspection, or stop requiring channel binding where TLS is terminated upstream (see IIS009)",
			Commands: []string{appcmdSet("<site/path>", "windowsAuthentication", "extendedProtection.tokenChecking", "None")},
			Tradeoff: "Turning extended protection off removes protection against credential relay.",
		}}
	case k.win32 == w3clog.SecESecPkgNotFound:
		return []Remedy{{Summary: "The client offered an authentication package the server's providers lack: list the Windows Authentication providers and keep Negotiate first, NTLM second",
			Commands: []string{appcmdExe + ` list config "<site/path>" -section:` + winAuthSection}}}
	case k.sub == 3:
		return []Remedy{{Summary: "Grant the authenticated users read access to the content (NTFS ACL); this is authorization, not Kerberos",
			Commands: []string{`icacls "<physical path of the URI>"`}}}
	}
	return []Remedy{spnCheckRemedy(h)}
}

var (
	spnInMsgRE     = regexp.MustCompile(`(?i)\b(HTTP/[A-Za-z0-9.\-]+(?::[0-9]+)?)`)
	accountInMsgRE = regexp.MustCompile(`\b([A-Za-z0-9][A-Za-z0-9.\-]*\\[A-Za-z0-9][A-Za-z0-9.\-_$]*)`)
)

func runLOG003(ctx context.Context, p *Pass) error {
	s, err := scanLogs(ctx, p, "smp", p.Evidence.SMPLogs)
	if err != nil {
		return err
	}
	if s.Messages == 0 {
		for _, lf := range p.Evidence.SMPLogs {
			p.Unusable(EvSMPLogs, lf.Name, "no Notification Server log message could be read")
		}
		p.NotVerified("no Notification Server log message could be read", "the Notification Server's log files (a.log, ...) as written")
		return nil
	}
	h := p.Evidence.Host
	if m := s.Match(agentlog.SPNRegistration8344); m != nil {
		spn := "HTTP/" + serverName(h)
		if x := spnInMsgRE.FindString(m.Example); x != "" {
			spn = x
		}
		account := ""
		if x := accountInMsgRE.FindString(m.Example); x != "" {
			account = x
		}
		acct := account
		if acct == "" {
			acct = "<DOMAIN\\account the Notification Server runs as>"
			if h.Domain != "" && h.Computer != "" {
				acct = h.Domain + `\` + h.Computer + "$"
			}
		}
		dn := "<distinguished name of " + acct + ">"
		if p.Evidence.Directory != nil && account != "" {
			if ans, err := p.Evidence.Directory.Account(ctx, account); err == nil && len(ans.Accounts) == 1 && ans.Accounts[0].DN != "" {
				dn = ans.Accounts[0].DN
			}
		}
		p.Report(Finding{
			Subject: spn,
			Message: fmt.Sprintf("The Notification Server could not register %s: error 8344 (ERROR_DS_INSUFF_ACCESS_RIGHTS) %s%s. "+
				"The account it runs as may not write servicePrincipalName on its own Active Directory object, and ITMS does not otherwise "+
				"create the HTTP SPNs: without them clients get no Kerberos ticket for the server and fall back to NTLM, or fail where NTLM is disabled.",
				spn, times(m.Count), timeSpan(m.First, m.Last)),
			Evidence: []EvidenceRef{matchRef(m)},
			Remediation: []Remedy{
				{
					Summary:  fmt.Sprintf("As a domain admin, register the SPN on the account that decrypts the tickets (%s)", acct),
					Commands: []string{fmt.Sprintf("setspn -S %s %s", spn, acct)},
				},
				{
					Summary:  fmt.Sprintf("Let the account register its own SPNs: grant SELF \"Validated write to service principal name\" on %s (Active Directory Users and Computers > Security > Advanced); the command grants read/write of servicePrincipalName", acct),
					Commands: []string{fmt.Sprintf(`dsacls "%s" /G SELF:RPWP;servicePrincipalName`, dn)},
					Tradeoff: "Write access to servicePrincipalName lets the account register any SPN value, which is broader than the validated write (limited to its own host names).",
				},
			},
		})
	}
	if m := s.Match(agentlog.SPNRegistration8647); m != nil {
		spn := "HTTP/" + serverName(h)
		if x := spnInMsgRE.FindString(m.Example); x != "" {
			spn = x
		}
		p.Report(Finding{
			Subject: spn,
			Message: fmt.Sprintf("The Notification Server could not register %s: error 8647 (the SPN is not unique forest-wide) %s%s. "+
				"Another account already holds it; Kerberos tickets for it are encrypted for that account and IIS cannot decrypt them.",
				spn, times(m.Count), timeSpan(m.First, m.Last)),
			Evidence: []EvidenceRef{matchRef(m)},
			Remediation: []Remedy{{
				Summary:  "Find the account that holds the SPN and remove it there if it is not the one IIS decrypts with (see SPN002/SPN003)",
				Commands: []string{"setspn -Q " + spn, "setspn -X"},
			}},
			symptomOf: []string{"spn-duplicate", "spn-owner"},
		})
	}
	return nil
}
