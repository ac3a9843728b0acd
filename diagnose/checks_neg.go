package diagnose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/iiskerb/iiskerb/negotiate"
)

// krbNegChecks returns the Kerberos ticket and Negotiate wire checks
// (KRB001-KRB002, NEG001-NEG004).
func krbNegChecks() []*Check {
	return []*Check{
		{
			ID:   "KRB001",
			Name: "NoServiceTicket",
			Doc: `No HTTP service ticket for the server, or the ticket request failed

A client uses Kerberos with IIS only if it obtains a service ticket for the SPN it builds from the
URL's host name (HTTP/<host>, the canonical name after CNAME resolution, no port by default). klist
output from a client that has just used the site should list such a ticket; when it does not, the
client fell back to NTLM (or did not reach the site). A ticket request that fails carries the KDC's
reason: KDC_ERR_S_PRINCIPAL_UNKNOWN means no account holds the SPN, KDC_ERR_PRINCIPAL_NOT_UNIQUE
means two accounts hold it, KDC_ERR_ETYPE_NOSUPP means no common encryption type.`,
			Severity: Error,
			Requires: []EvidenceKind{EvTickets},
			Run:      runKRB001,
		},
		{
			ID:   "KRB002",
			Name: "RC4Ticket",
			Doc: `Service ticket encrypted with RC4

A ticket whose encryption type is RC4-HMAC (Windows klist: "RSADSI RC4-HMAC(NT)") means the account
that owns the SPN has no AES keys or allows only RC4 (msDS-SupportedEncryptionTypes). Windows
Server's Kerberos default moved from RC4 to AES in 2026 (CVE-2026-20833): such tickets stop being
issued once RC4 is disabled in the domain, and Kerberos to the site then fails (with NTLM fallback,
or not at all where NTLM is disabled).`,
			Severity: Warning,
			Requires: []EvidenceKind{EvTickets},
			Run:      runKRB002,
		},
		{
			ID:   "NEG001",
			Name: "NoNegotiateOffered",
			Doc: `Server offers no Negotiate

The 401 challenge lists the authentication schemes IIS offers, in the order of the Windows
Authentication providers. Without "Negotiate" the client never tries Kerberos: every request uses
NTLM (or Basic), whatever the SPNs. Identity-aware firewalls then see user names (NTLM sends them in
clear text), which is often why Negotiate was removed; the cost is weaker authentication.`,
			Severity:    Warning,
			RequiresAny: []EvidenceKind{EvProbe, EvTokens},
			Run:         runNEG001,
		},
		{
			ID:   "NEG002",
			Name: "KerberosFellBackToNTLM",
			Doc: `Kerberos failed and NTLM succeeded

With Negotiate first and NTLM enabled, Windows attempts Kerberos and falls back to NTLM when Kerberos
cannot complete (no ticket for the SPN, the server cannot decrypt the ticket, clock skew). This is
expected fallback behaviour, not an ITMS defect; the finding says why Kerberos failed when the
evidence shows it. It matters where NTLM is disabled or must not be relied on, and it explains why
a firewall sees the user for some connections (NTLM carries the user name in clear text) and only a
service identity for others (Kerberos carries only the realm and the SPN). Two traced conditions that
stop NTLM itself are warnings: a 401 carrying the NTLM challenge with "Connection: close" (NTLM is
bound to the connection, so the handshake cannot complete), and Negotiate/NTLM sent over HTTP/2, which
IIS does not support for Windows authentication (it falls back to HTTP/1.1).`,
			Severity:    Info,
			RequiresAny: []EvidenceKind{EvProbe, EvTokens},
			Run:         runNEG002,
		},
		{
			ID:   "NEG003",
			Name: "ReauthPerRequest",
			Doc: `Re-authentication on every request of a kept-alive connection

After a successful Kerberos authentication, IIS keeps the connection authenticated only when
authPersistNonNTLM is true; otherwise every request on the same connection is challenged again with
401 Negotiate. Browsers cope at the cost of extra round trips; the Symantec Management Agent fails
with "request level authentication is not supported, check that IIS setting 'authPersistNonNTLM' is
set to 'True'" (Broadcom KB 173598).`,
			Severity:    Warning,
			RequiresAny: []EvidenceKind{EvProbe, EvTokens},
			Run:         runNEG003,
		},
		{
			ID:   "NEG004",
			Name: "NTLMv1",
			Doc: `NTLMv1 in use

An NTLM AUTHENTICATE message whose NT response is exactly 24 bytes is NTLMv1 (MS-NLMP 3.3.1). NTLMv1
responses can be cracked to the account's NT hash and relayed; Microsoft removed NTLMv1 from
Windows 11 24H2 and Server 2025. The client's LAN Manager authentication level
(LmCompatibilityLevel) is too low.`,
			Severity: Error,
			Requires: []EvidenceKind{EvTokens},
			Run:      runNEG004,
		},
	}
}

// expectedHTTPSPNs returns the HTTP SPNs clients ask for, from the host
// names (CNAMEs replaced by their canonical names), lower-case keyed.
func expectedHTTPSPNs(h Host) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range h.Names() {
		if c, ok := h.CNAMEs[n]; ok && c != "" {
			n = strings.TrimSuffix(c, ".")
		}
		s := "HTTP/" + n
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	return out
}

func klistSource(ev *Evidence, i int) string {
	if i < len(ev.KlistSources) && ev.KlistSources[i] != "" {
		return ev.KlistSources[i]
	}
	if k := ev.Klists[i]; k != nil && k.Name != "" {
		return k.Name
	}
	return fmt.Sprintf("klist #%d", i+1)
}

func runKRB001(ctx context.Context, p *Pass) error {
	ev := p.Evidence
	want := expectedHTTPSPNs(ev.Host)
	for i, k := range ev.Klists {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k == nil {
			continue
		}
		src := klistSource(ev, i)
		for _, f := range k.Failures {
			reportKlistFailure(p, src, f)
		}
		if len(k.Failures) > 0 && len(k.Tickets) == 0 {
			// The failure is the answer: the client tried and could not get
			// a ticket; "no HTTP ticket" would say less.
			continue
		}
		var httpTickets []negotiate.Ticket
		for _, t := range k.Tickets {
			if strings.HasPrefix(strings.ToLower(t.Server), "http/") {
				httpTickets = append(httpTickets, t)
			}
		}
		if len(want) == 0 {
			// Host unknown: any HTTP ticket shows Kerberos to some web server.
			if len(httpTickets) == 0 {
				p.Report(Finding{
					Subject:  src,
					Severity: Warning,
					Message: fmt.Sprintf("klist lists %d tickets and no HTTP service ticket: this client has not used Kerberos with any web site since its tickets were issued; "+
						"if it has just opened the site, it authenticated with NTLM (Kerberos-then-NTLM fallback) or not at all.", len(k.Tickets)),
					Evidence:    []EvidenceRef{{Source: src, Detail: klistSummary(k)}},
					Remediation: krb001KlistRemedies(""),
					symptomOf:   spnKinds,
				})
			}
			continue
		}
		found := false
		for _, s := range want {
			if len(k.Find(s)) > 0 {
				found = true
				break
			}
		}
		if found {
			continue
		}
		p.Report(Finding{
			Subject:  strings.Join(want, ", "),
			Severity: Warning,
			Message: fmt.Sprintf("klist holds no service ticket for %s: the client did not obtain Kerberos for this server, so it fell back to NTLM "+
				"(expected fallback while NTLM is enabled) or never reached it. Usual causes: the SPN is missing or on another account, "+
				"the URL uses a name without an SPN (a CNAME or alias), or the site is not in the browser's Local intranet zone.", strings.Join(want, " or ")),
			Evidence:    []EvidenceRef{{Source: src, Detail: klistSummary(k)}},
			Remediation: krb001KlistRemedies(want[0]),
			symptomOf:   spnKinds,
		})
	}
	for _, tr := range ev.TicketRequests {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tr.Err == nil {
			continue
		}
		var ke *negotiate.KDCError
		if !errors.As(tr.Err, &ke) {
			p.Report(Finding{
				Subject:  tr.SPN,
				Severity: Warning,
				Message:  fmt.Sprintf("The service ticket request for %s failed without a Kerberos error code: %v", tr.SPN, tr.Err),
				Evidence: []EvidenceRef{{Source: "ticket request", Locator: tr.SPN, Detail: tr.Err.Error()}},
			})
			continue
		}
		p.Report(Finding{
			Subject: tr.SPN,
			Message: fmt.Sprintf("Requesting a service ticket for %s failed with %s (%d): %s. Clients cannot use Kerberos with this name and fall back to NTLM where it is enabled.",
				tr.SPN, ke.Name, ke.Code, ke.Meaning),
			Evidence:    []EvidenceRef{{Source: "ticket request", Locator: tr.SPN, Detail: ke.Error()}},
			Remediation: kdcErrorRemedies(tr.SPN, ke.Code, ev.Host),
			symptomOf:   kdcSymptomOf(ke.Code),
		})
	}
	return nil
}

// reportKlistFailure reports a failed klist/kvno/kinit command with its
// status codes and their meaning, never as "no ticket".
func reportKlistFailure(p *Pass, src string, f negotiate.KlistFailure) {
	ev := p.Evidence
	target := f.Target
	subject := cmp.Or(target, src)
	var codes []string
	for _, c := range f.Codes() {
		codes = append(codes, c.String())
	}
	what := cmp.Or(f.Name, "an error iiskerb does not know")
	if len(codes) > 0 {
		what += " (" + strings.Join(codes, ", ") + ")"
	}
	meaning := cmp.Or(f.Meaning, f.Text)
	cmd := cmp.Or(f.Command, "klist")
	if target != "" {
		cmd += " " + target
	}
	msg := fmt.Sprintf("%s failed with %s: %s.", cmd, what, strings.TrimSuffix(meaning, "."))
	var rems []Remedy
	var symptom []string
	switch {
	case f.KerberosCode != 0:
		msg += fmt.Sprintf(" The KDC refused the ticket (%s, Kerberos error %d); clients fall back to NTLM where it is enabled.", f.KerberosCode, int32(f.KerberosCode))
		rems = kdcErrorRemedies(cmp.Or(target, "HTTP/"+serverName(ev.Host)), int32(f.KerberosCode), ev.Host)
		symptom = kdcSymptomOf(int32(f.KerberosCode))
	case f.Name == "SEC_E_NO_CREDENTIALS" || f.Name == "KRB5_FCC_NOFILE":
		msg += " The client has no Kerberos ticket-granting ticket, so it cannot ask for service tickets: it is not logged on with a domain account, or its logon did not reach a domain controller."
		rems = []Remedy{{Summary: "Log on to the client with a domain account (or run kinit on a non-Windows client), then retry",
			Commands: []string{"klist tgt", "whoami /upn"}}}
	case f.Name == "ERROR_NO_LOGON_SERVERS" || f.Name == "SEC_E_NO_AUTHENTICATING_AUTHORITY" || f.Name == "KRB5_KDC_UNREACH":
		msg += " The client cannot reach a domain controller (KDC): Kerberos cannot work from it until it can."
		rems = []Remedy{{Summary: "Check that the client finds and reaches a domain controller (DNS SRV records, TCP/UDP 88)",
			Commands: []string{"nltest /dsgetdc:" + cmp.Or(ev.Host.Realm, ev.Host.Domain, "<domain>"), "nslookup -type=SRV _kerberos._tcp." + cmp.Or(strings.ToLower(ev.Host.Realm), "<dns domain>")}}}
	}
	p.ReportAs(Warning, Finding{
		Subject:     subject,
		Message:     msg,
		Evidence:    []EvidenceRef{{Source: src, Locator: lineLocator(f.Line), Detail: clip(f.String(), 300)}},
		Remediation: rems,
		symptomOf:   symptom,
	})
}

// lineLocator returns the line number as a locator, or "" for 0.
func lineLocator(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func klistSummary(k *negotiate.Klist) string {
	var names []string
	for _, t := range k.Tickets {
		names = append(names, t.Server)
	}
	if len(names) == 0 {
		return fmt.Sprintf("%s klist, no tickets", k.Format)
	}
	return fmt.Sprintf("%s klist, tickets: %s", k.Format, strings.Join(names, ", "))
}

func krb001KlistRemedies(spn string) []Remedy {
	target := spn
	if target == "" {
		target = "HTTP/<server FQDN>"
	}
	return []Remedy{
		{
			Summary: "Request the ticket explicitly on the client to see the KDC's answer",
			Commands: []string{
				"klist purge",
				"klist get " + target,
			},
		},
		{
			Summary:  "Check who owns the SPN and register it on the account that decrypts tickets for the site",
			Commands: []string{"setspn -Q " + target},
		},
	}
}

// kdcSymptomOf returns the cause kinds a KDC error code corroborates.
func kdcSymptomOf(code int32) []string {
	switch code {
	case 7:
		return []string{"spn-missing", "spn-cname"}
	case 8:
		return []string{"spn-duplicate", "spn-owner"}
	case 14:
		return []string{"rc4-owner"}
	case 31, 41, 44:
		return []string{"spn-owner"}
	}
	return nil
}

// kdcErrorRemedies gives the fix for the KDC errors an IIS administrator meets.
func kdcErrorRemedies(spnName string, code int32, h Host) []Remedy {
	account := "<DOMAIN\\account running the site>"
	if h.Domain != "" && h.Computer != "" {
		account = h.Domain + `\` + h.Computer + "$"
	}
	switch code {
	case 7: // KDC_ERR_S_PRINCIPAL_UNKNOWN
		return []Remedy{{
			Summary:  "Register the SPN on the account that decrypts the site's tickets (the computer account, or the app pool's domain account with useAppPoolCredentials)",
			Commands: []string{"setspn -S " + spnName + " " + account},
		}}
	case 8: // KDC_ERR_PRINCIPAL_NOT_UNIQUE
		return []Remedy{{
			Summary:  "Find the accounts that hold the SPN and remove it from all but the decrypting account",
			Commands: []string{"setspn -X", "setspn -Q " + spnName, "setspn -D " + spnName + " <DOMAIN\\wrong account>"},
		}}
	case 14: // KDC_ERR_ETYPE_NOSUPP
		return []Remedy{{
			Summary:  "Give the SPN owner AES keys (enable AES and reset its password so the keys exist)",
			Commands: []string{"Set-ADComputer <name> -KerberosEncryptionType AES128,AES256   # or Set-ADUser for a service account"},
			Tradeoff: "Re-enabling RC4 instead works around the failure but keeps a weak cipher that Windows is retiring (CVE-2026-20833).",
		}}
	case 37: // KRB_AP_ERR_SKEW
		return []Remedy{{
			Summary:  "Synchronise the clocks of client, server and domain controllers (Kerberos allows 5 minutes)",
			Commands: []string{"w32tm /resync", "w32tm /stripchart /computer:<DC> /samples:3"},
		}}
	case 31, 41, 44: // integrity / modified / bad kvno: the server has another key
		return []Remedy{{
			Summary:  "Make the SPN owner the account that decrypts tickets: move the SPN, or set useAppPoolCredentials to match the app pool identity",
			Commands: []string{"setspn -Q " + spnName},
		}}
	case 68: // KDC_ERR_WRONG_REALM
		return []Remedy{{Summary: "Ask the KDC of the server's realm (check the client's domain trust and krb5 realm mapping)"}}
	}
	return nil
}

// rc4TicketRemedy allows AES on the accounts the directory shows holding
// the ticket's SPN; without directory evidence the owner is looked up first.
func rc4TicketRemedy(ctx context.Context, p *Pass, t *negotiate.Ticket) Remedy {
	const tradeoff = "Accounts whose password predates AES support (domain functional level 2008) need a password reset before AES tickets can be issued."
	var acts []Action
	if !t.IsTGT() {
		for _, h := range holdersOf(ctx, p, t.Server) {
			acts = append(acts, Action{Kind: ActSetEncTypes, Account: h, AccountKind: accountKindFor(ctx, p, h), SPN: t.Server})
		}
	}
	if len(acts) == 0 {
		return Remedy{Summary: "Find the account that owns " + t.Server + ", allow AES for it and reset its password (so AES keys exist), then get a fresh ticket",
			Commands: []string{"setspn -Q " + t.Server, "klist purge"}, Tradeoff: tradeoff, Choice: "allow-aes"}
	}
	r := remedyFrom("Allow AES for the owner of "+t.Server+" and reset its password (so AES keys exist), then get a fresh ticket", tradeoff, acts...)
	r.Choice = "allow-aes"
	return r
}

func runKRB002(ctx context.Context, p *Pass) error {
	ev := p.Evidence
	seen := map[string]bool{}
	report := func(t *negotiate.Ticket, src, loc string) {
		key := strings.ToLower(t.Server + "@" + t.Realm + "|" + src)
		if seen[key] {
			return
		}
		seen[key] = true
		what := "service ticket for " + t.Server
		if t.IsTGT() {
			what = "ticket-granting ticket " + t.Server
		}
		p.Report(Finding{
			Subject: t.Server,
			Message: fmt.Sprintf("The %s is encrypted with %s (RC4): its owner has no AES keys or allows only RC4. "+
				"Windows moved the Kerberos default from RC4 to AES in 2026 (CVE-2026-20833); once RC4 is refused, Kerberos to this service fails.", what, t.EncType),
			Evidence:    []EvidenceRef{{Source: src, Locator: loc, Detail: fmt.Sprintf("%s %s@%s enctype %s (%d)", what, t.Server, t.Realm, t.EncType, t.EncTypeID)}},
			Remediation: []Remedy{rc4TicketRemedy(ctx, p, t)},
			Cause:       "rc4-ticket:" + strings.ToLower(t.Server),
			symptomOf:   []string{"rc4-owner"},
		})
	}
	for i, k := range ev.Klists {
		if k == nil {
			continue
		}
		for j := range k.Tickets {
			if err := ctx.Err(); err != nil {
				return err
			}
			t := &k.Tickets[j]
			if negotiate.IsRC4(t.EncTypeID) {
				loc := ""
				if t.Line > 0 {
					loc = strconv.Itoa(t.Line)
				}
				report(t, klistSource(ev, i), loc)
			}
		}
	}
	for _, tr := range ev.TicketRequests {
		if tr.Ticket != nil && negotiate.IsRC4(tr.Ticket.EncTypeID) {
			report(tr.Ticket, "ticket request", tr.SPN)
		}
	}
	return nil
}

func runNEG001(ctx context.Context, p *Pass) error {
	for _, h := range handshakesOf(p) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if h.NegotiateOffered || len(h.Offered) == 0 {
			continue
		}
		reportNoNegotiate(p, h.subject(), h.Source, lineLoc(h.responseLine(h.OfferedRound)), h.Offered)
	}
	return nil
}

// lineLoc is a line number as a locator ("" for 0).
func lineLoc(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func reportNoNegotiate(p *Pass, subject, source, loc string, offered []string) {
	p.Report(Finding{
		Subject: subject,
		Message: fmt.Sprintf("The server challenges with %s and not Negotiate, so clients never attempt Kerberos: every connection uses %s. "+
			"An identity-aware firewall sees user names with NTLM (they travel in clear text), which is often why Negotiate was removed; "+
			"that trades Kerberos' stronger, mutual authentication for visibility.", strings.Join(offered, ", "), strings.Join(offered, "/")),
		Evidence: []EvidenceRef{{Source: source, Locator: loc, Detail: "WWW-Authenticate: " + strings.Join(offered, ", ")}},
		Remediation: []Remedy{{
			Summary: "Put Negotiate first in the Windows Authentication providers, keeping NTLM as fallback",
			Commands: []string{
				appcmdExe + ` set config "<site/path>" -section:` + winAuthSection + ` /-"providers.[value='Negotiate']" /commit:apphost`,
				appcmdExe + ` set config "<site/path>" -section:` + winAuthSection + ` /+"providers.[@start,value='Negotiate']" /commit:apphost`,
			},
			Tradeoff: "Kerberos then needs correct HTTP SPNs; where it cannot complete, clients fall back to NTLM as before. Firewalls lose the user name for Kerberos connections.",
		}},
		symptomOf: []string{"no-negotiate", "ntlm-first", "windows-auth-disabled"},
	})
}

func runNEG002(ctx context.Context, p *Pass) error {
	ntlmDisabled := p.Evidence.Scenario.NTLMDisabled
	sev := Info
	if ntlmDisabled {
		sev = Warning
	}
	const fallback = "This is expected Kerberos-then-NTLM fallback while both providers are enabled, not an ITMS defect. " +
		"It also explains mixed firewall identities: NTLM shows the user, domain and workstation in clear text; a Kerberos AP-REQ shows only the realm and the SPN."
	hs := handshakesOf(p)
	for i := range hs {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &hs[i]
		reportHandshakeTransport(p, h)
		if !h.FellBackToNTLM {
			continue
		}
		k := &h.Kerberos
		if h.Kind == HandshakeProbe {
			why := k.FailureDetail
			if why == "" && !k.Attempted {
				why = "Kerberos was not attempted"
			}
			detail := why
			if k.Error != nil && k.Error.Text != "" {
				detail = k.Error.Text
			}
			f := Finding{
				Subject:   h.URL,
				Message:   fmt.Sprintf("Kerberos did not authenticate to %s (%s) and NTLM succeeded. %s", h.URL, why, fallback),
				Evidence:  []EvidenceRef{{Source: h.Source, Locator: h.SPN, Detail: detail}},
				symptomOf: spnKinds,
			}
			if k.Error != nil {
				f.Remediation = kdcErrorRemedies(h.SPN, k.Error.Code, p.Evidence.Host)
			}
			p.ReportAs(sev, f)
			continue
		}
		var why string
		var line int
		var rem []Remedy
		switch k.Failure {
		case KerberosKRBError, KerberosKDCError:
			why = fmt.Sprintf("the server rejected the Kerberos ticket with %s (%d): %s", k.Error.Name, k.Error.Code, k.Error.Meaning)
			line = h.responseLine(k.ErrorRound)
			rem = kdcErrorRemedies(k.Error.SPN, k.Error.Code, p.Evidence.Host)
		case KerberosRejected:
			why = "the server answered the Kerberos AP-REQ with 401 (it could not decrypt or accept the ticket: SPN on another account or stale key)"
			line = h.responseLine(k.RejectedRound)
		case KerberosNoTicket:
			why = "the client sent NTLM inside Negotiate without trying Kerberos: it could not get a service ticket for the URL's host name (missing SPN, not domain-joined, or the name is not in the Local intranet zone)"
			line = h.requestLine(h.NTLM.InNegotiateRound)
		case KerberosNotAttempted:
			why = "the client used NTLM although Negotiate was offered: it did not attempt Kerberos"
			line = h.requestLine(h.NTLM.AuthenticateRound)
		default:
			why = "Kerberos was attempted but did not complete"
			line = h.requestLine(k.AttemptRound)
		}
		user := ""
		if h.NTLM.User != "" {
			user = " as " + h.NTLM.User
		}
		p.ReportAs(sev, Finding{
			Subject: h.Source,
			Message: fmt.Sprintf("Kerberos did not authenticate (%s); NTLM then succeeded%s. %s", why, user, fallback),
			Evidence: []EvidenceRef{{Source: h.Source, Locator: strconv.Itoa(line), Detail: why},
				{Source: h.Source, Locator: strconv.Itoa(h.responseLine(h.NTLM.AuthenticatedRound)), Detail: "2xx after NTLM AUTHENTICATE"}},
			Remediation: rem,
			symptomOf:   spnKinds,
		})
	}
	return nil
}

// reportHandshakeTransport reports what a handshake shows about the
// connection that makes Windows authentication impossible: an NTLM
// CHALLENGE on a closing connection, or credentials sent over HTTP/2.
func reportHandshakeTransport(p *Pass, h *Handshake) {
	tp := h.transport()
	if tp.closeRound != 0 {
		resp := h.round(tp.closeRound).Response
		what := "its NTLM CHALLENGE"
		if tp.closeRedacted {
			what = "its NTLM CHALLENGE (redacted in the trace)"
		}
		p.ReportAs(Warning, Finding{
			Subject: h.subject(),
			Message: fmt.Sprintf("The server answered with %s in a 401 and closed the connection (%s), so the NTLM handshake cannot complete: "+
				"NTLM authenticates the connection, and the client's AUTHENTICATE message must follow on the same connection as the CHALLENGE it answers; "+
				"on a new connection the server no longer knows the challenge and answers 401 again. "+
				"IIS needs HTTP keep-alive for Windows authentication (Microsoft, \"Enabling HTTP Keep-Alives\"); the usual causes are keep-alive disabled for the site (allowKeepAlive=false) "+
				"or a proxy or load balancer that does not keep the client on one server connection.", what, resp.ConnectionClose),
			Evidence: []EvidenceRef{{Source: h.Source, Locator: roundLoc(h, tp.closeRound, resp.ConnectionCloseLine), Detail: "401 with an NTLM challenge and " + resp.ConnectionClose}},
			Remediation: []Remedy{
				{
					Summary: "Enable HTTP keep-alive for the site (the IIS default, allowKeepAlive=true)",
					Commands: []string{
						appcmdExe + ` set config "<site>" -section:system.webServer/httpProtocol /allowKeepAlive:"True" /commit:apphost`,
						`Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location '<site>' -Filter 'system.webServer/httpProtocol' -Name allowKeepAlive -Value $true`,
					},
				},
				{
					Summary:  "Where a proxy or load balancer is in between, keep each client connection on one server connection (connection affinity, keep-alive to the server)",
					Tradeoff: "Kerberos does not depend on the connection: with working SPNs, clients that use Kerberos are not affected.",
				},
			},
			Cause: "ntlm-connection-close:" + strings.ToLower(h.subject()),
		})
	}
	if tp.http2Round != 0 {
		r := h.round(tp.http2Round)
		sent := describeSent(r.Request.Auth)
		msg := fmt.Sprintf("The client sent %s over %s. IIS does not support Windows authentication (Negotiate, NTLM, Kerberos) over HTTP/2: "+
			"it falls back to HTTP/1.1 and asks the client to retry over an HTTP/1.1 connection (Microsoft, \"HTTP/2 on IIS\"); a client that does not retry cannot authenticate.",
			sent, r.Request.Proto)
		if r.Response == nil {
			msg += " The trace ends before the server's response"
			if h.Truncated {
				msg += " (it is cut off)"
			}
			msg += ", so it does not show whether this client retried over HTTP/1.1."
		}
		p.ReportAs(Warning, Finding{
			Subject:  h.subject(),
			Message:  msg,
			Evidence: []EvidenceRef{{Source: h.Source, Locator: roundLoc(h, tp.http2Round, r.Request.Auth.Line), Detail: sent + " over " + r.Request.Proto}},
			Remediation: []Remedy{{
				Summary:  "Use HTTP/1.1 for this site from the client (curl --http1.1); capture the handshake again to see its outcome",
				Commands: []string{"curl -v --http1.1 --negotiate -u : https://<server>/<path>"},
			}},
			Cause: "windows-auth-http2:" + strings.ToLower(h.subject()),
		})
	}
}

// roundLoc locates evidence in a handshake: the line in a trace, else the
// round ("round 3").
func roundLoc(h *Handshake, round, line int) string {
	if line != 0 {
		return strconv.Itoa(line)
	}
	if h.Kind == HandshakeTrace {
		return "0"
	}
	return "round " + strconv.Itoa(round)
}

func runNEG003(ctx context.Context, p *Pass) error {
	rem := []Remedy{{
		Summary:  "Set authPersistNonNTLM to True for the site (IIS then authenticates a Kerberos connection once instead of every request)",
		Commands: authPersistCommands("<site/path>"),
		Tradeoff: "A proxy that shares one server connection between several users would let them share the authentication; do not enable it behind such a proxy.",
	}}
	hs := handshakesOf(p)
	for i := range hs {
		if err := ctx.Err(); err != nil {
			return err
		}
		h := &hs[i]
		switch {
		case h.ReauthOnSameConnection != nil && *h.ReauthOnSameConnection:
			p.Report(Finding{
				Subject: h.subject(),
				Message: fmt.Sprintf("After authenticating with %s, a second request on the same kept-alive connection to %s was challenged again: "+
					"the server re-authenticates every request (authPersistNonNTLM=false). Symantec Management Agents then fail with "+
					"\"request level authentication is not supported\".", mechanismName(h.Mechanism), h.subject()),
				Evidence:    []EvidenceRef{{Source: h.Source, Detail: "reuse-check round answered 401"}},
				Remediation: rem,
				symptomOf:   persistKinds,
			})
		case h.Kind == HandshakeProbe:
		case h.ReauthRound != 0:
			p.Report(Finding{
				Subject: h.Source,
				Message: "After a successful Kerberos authentication, a later request without credentials was challenged with 401 Negotiate again: " +
					"the server re-authenticates requests instead of keeping the connection authenticated (authPersistNonNTLM=false, if the requests shared a connection).",
				Evidence:    []EvidenceRef{{Source: h.Source, Locator: strconv.Itoa(h.responseLine(h.ReauthRound)), Detail: "401 Negotiate after Kerberos success"}},
				Remediation: rem,
				symptomOf:   persistKinds,
			})
		case h.PersistentAuthFalseRound != 0:
			p.Report(Finding{
				Subject:     h.Source,
				Message:     "The Kerberos-authenticated response carries \"Persistent-Auth: false\": IIS will authenticate the next request on this connection again (authPersistNonNTLM=false).",
				Evidence:    []EvidenceRef{{Source: h.Source, Locator: strconv.Itoa(h.responseLine(h.PersistentAuthFalseRound)), Detail: "Persistent-Auth: false"}},
				Remediation: rem,
				symptomOf:   persistKinds,
			})
		}
	}
	return nil
}

// persistKinds are the causes of re-authentication on every request.
var persistKinds = []string{"auth-persist-non-ntlm", "per-request-auth"}

// spnKinds are the causes of a Kerberos failure that an SPN explains.
var spnKinds = []string{"spn-owner", "spn-missing", "spn-duplicate", "spn-cname"}

// mechanismName is a mechanism as messages name it ("Kerberos", "NTLM").
func mechanismName(m Mechanism) string {
	switch m {
	case MechKerberos:
		return "Kerberos"
	case MechNTLM:
		return "NTLM"
	case MechAnonymous:
		return "anonymous"
	case MechNone, "":
		return "an unknown mechanism"
	}
	return string(m)
}

func runNEG004(ctx context.Context, p *Pass) error {
	type hit struct {
		who, src, loc string
		lm, nt        int
	}
	var hits []hit
	for _, h := range handshakesOf(p) {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range h.Rounds {
			for _, a := range roundTokens(&r) {
				if a.NTLMVersion != NTLMVersionV1 {
					continue
				}
				src, loc := h.Source, ""
				switch h.Kind {
				case HandshakeProbe:
					loc = r.Step
				case HandshakeTokens:
					src, loc = splitLoc(r.Source)
				default:
					loc = lineLoc(a.Line)
				}
				hits = append(hits, hit{who: a.Who(), src: src, loc: loc, lm: a.LMResponseBytes, nt: a.NTResponseBytes})
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].src < hits[j].src })
	for _, h := range hits {
		p.Report(Finding{
			Subject: h.who,
			Message: fmt.Sprintf("The client %s authenticated with NTLMv1 (NT response of exactly 24 bytes). NTLMv1 responses can be cracked to the account's password hash and relayed; "+
				"the client's LAN Manager authentication level allows it.", h.who),
			Evidence: []EvidenceRef{{Source: h.src, Locator: h.loc, Detail: fmt.Sprintf("NTLM AUTHENTICATE: LM response %d bytes, NT response %d bytes", h.lm, h.nt)}},
			Remediation: []Remedy{{
				Summary: "Send NTLMv2 only and refuse LM and NTLMv1 (Group Policy \"Network security: LAN Manager authentication level\" = \"Send NTLMv2 response only. Refuse LM & NTLM\")",
				Commands: []string{
					`reg add HKLM\SYSTEM\CurrentControlSet\Control\Lsa /v LmCompatibilityLevel /t REG_DWORD /d 5 /f`,
				},
				Tradeoff: "Very old clients or devices that only speak NTLMv1 can no longer authenticate; find them first with NTLM auditing (Network security: Restrict NTLM: Audit).",
			}},
		})
	}
	return nil
}

// roundTokens are the tokens of a round in header order: Authorization,
// Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate.
func roundTokens(r *Round) []*AuthToken {
	var out []*AuthToken
	if q := r.Request; q != nil {
		if q.Auth != nil {
			out = append(out, q.Auth)
		}
		if q.ProxyAuth != nil {
			out = append(out, q.ProxyAuth)
		}
	}
	if resp := r.Response; resp != nil {
		for i := range resp.Challenges {
			out = append(out, &resp.Challenges[i])
		}
		for i := range resp.ProxyChallenges {
			out = append(out, &resp.ProxyChallenges[i])
		}
	}
	return out
}
