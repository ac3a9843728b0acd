package diagnose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/diagnose/winevent"
)

// evtChecks returns EVT001-EVT006: what Windows recorded about the
// authentications (Security, System, NTLM Operational and KDC events from the
// IIS server and the domain controllers), read with diagnose/winevent.
func evtChecks() []*Check {
	return []*Check{
		{
			ID:   "EVT001",
			Name: "NTLMLogons",
			Doc: `Network logons on the server that used NTLM

Security event 4624 with logon type 3 and package NTLM (or NtLmSsp), 4776 credential validations and the
NTLM Operational events 8001-8004 show which clients authenticated with NTLM and as whom. Where the
configuration offers Negotiate first, every such logon is a client that did not get Kerberos: a missing
or misplaced SPN, a name without an SPN, a non-domain client. The check counts them per client and
account with the first and last time; it is a warning where Kerberos is expected and information
otherwise, and it is attached to the root cause that makes Kerberos fail when one is found.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvEvents},
			Run:      runEVT001,
		},
		{
			ID:   "EVT002",
			Name: "NTLMv1Logons",
			Doc: `NTLMv1 logons (LmPackageName "NTLM V1")

A 4624 logon whose LmPackageName is "NTLM V1" (or LM) used the NTLMv1 response, which can be cracked
offline and relayed; Windows deprecates it. The client's LAN Manager authentication level must send
NTLMv2 only (LmCompatibilityLevel 3 or higher; 5 on domain controllers refuses LM and NTLMv1).`,
			Severity: Error,
			Requires: []EvidenceKind{EvEvents},
			Run:      runEVT002,
		},
		{
			ID:   "EVT003",
			Name: "RC4InEvents",
			Doc: `RC4 tickets or RC4-only keys; KDCSVC 201-209

Domain controllers log the encryption type of every ticket they issue (4768/4769
TicketEncryptionType; 0x17 is RC4) and, since the January 2025 updates, the keys each account has
(AccountAvailableKeys, ServiceAvailableKeys). Since the January 2026 updates (CVE-2026-20833,
KB5073381) the KDCSVC events 201-209 in the System log report RC4 use that the AES-only default will
break or blocks. The check reports RC4 tickets by service and account, accounts whose available keys
are RC4 only, and the KDCSVC events (blocking events are errors).`,
			Severity: Warning,
			Requires: []EvidenceKind{EvEvents},
			Run:      runEVT003,
		},
		{
			ID:   "EVT004",
			Name: "KerberosFailureEvents",
			Doc: `Kerberos failures: 4768/4769 status, 4771, System Kerberos 3/4, KDC 11

Ticket requests the KDC refused (4768/4769 with a status: 0x7 no such SPN, 0xe encryption type not
supported, 0x25 clock skew, 0x1b user-to-user required ...), pre-authentication failures (4771 0x18
wrong password: a burst is a lockout risk), client-side Kerberos errors in the System log (event 3;
event 4 KRB_AP_ERR_MODIFIED names the SPN whose ticket the server could not decrypt: the SPN is on an
account other than the one decrypting) and duplicate names seen by the KDC (event 11). Each group is
reported with its meaning and tied to the SPN checks' root cause when they agree.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvEvents},
			Run:      runEVT004,
		},
		{
			ID:   "EVT005",
			Name: "FailedLogonEvents",
			Doc: `Failed logons on the server (4625) with status and substatus decoded

Event 4625 records each failed logon with an NTSTATUS pair: 0xc000006d with substatus 0xc000006a
(wrong password), 0xc0000064 (no such user), 0xc0000234 (locked out), 0xc0000072 (disabled),
0xc000015b (logon type not granted) ... The check groups them by status, substatus and account so
repeated failures (an agent with a stale password, a lockout) stand out.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvEvents},
			Run:      runEVT005,
		},
		{
			ID:   "EVT006",
			Name: "FirewallIdentity",
			Doc: `Firewall identity: service or computer accounts authenticating from client addresses

Identity-aware firewalls (Palo Alto User-ID reads 4624/4768/4769/4770, Fortinet FSSO
4768/4769/4776/4624 from the domain controllers) map each client IP to the last account they see
authenticating from it. When a service or computer account authenticates from a user's workstation
(an ITMS agent's service account, a scheduled task, the machine itself), the IP can be mapped to that
account; Palo Alto documents that with several users on one IP it "can't predict which username the
agent will map". This is a visibility issue, not wrong ITMS credentials: put the service accounts on
the firewall's ignore-user list (Palo Alto: User-ID Ignore User List). Switching ITMS to NTLM does not fix it.`,
			Severity: Info,
			Requires: []EvidenceKind{EvEvents},
			Run:      runEVT006,
		},
	}
}

// evtGroupCap bounds the groups each aggregation keeps; the rest are counted.
const evtGroupCap = 10000

// evtGroup is a set of events with the same key.
type evtGroup struct {
	key         []string // the grouping values, for messages
	count       int
	first, last time.Time
	example     string // "file:line" of the first event
	ips         map[string]bool
	status      winevent.Status
	subStatus   winevent.Status
	id          int
	extra       string
}

func (g *evtGroup) add(e *winevent.Event, where string) {
	g.count++
	if !e.Time.IsZero() {
		if g.first.IsZero() || e.Time.Before(g.first) {
			g.first = e.Time
		}
		if e.Time.After(g.last) {
			g.last = e.Time
		}
	}
	if g.example == "" {
		g.example = where
	}
	if e.IP.IsValid() {
		if g.ips == nil {
			g.ips = map[string]bool{}
		}
		if len(g.ips) < 64 {
			g.ips[e.IP.String()] = true
		}
	}
}

// evtGroups is a bounded map of groups.
type evtGroups struct {
	m       map[string]*evtGroup
	order   []string
	dropped int // events whose group did not fit
}

func (gs *evtGroups) get(key ...string) *evtGroup {
	if gs.m == nil {
		gs.m = map[string]*evtGroup{}
	}
	k := strings.ToLower(strings.Join(key, "\x00"))
	g := gs.m[k]
	if g == nil {
		if len(gs.m) >= evtGroupCap {
			gs.dropped++
			return nil
		}
		g = &evtGroup{key: key}
		gs.m[k] = g
		gs.order = append(gs.order, k)
	}
	return g
}

// sorted returns the groups, most events first.
func (gs *evtGroups) sorted() []*evtGroup {
	out := make([]*evtGroup, 0, len(gs.order))
	for _, k := range gs.order {
		out = append(out, gs.m[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].count > out[j].count })
	return out
}

// evtData is the one pass over the event files every EVT check reads.
type evtData struct {
	events, files int
	readable      bool // at least one event was read
	ntlm          evtGroups
	ntlmv1        evtGroups
	rc4Tickets    evtGroups
	rc4Keys       evtGroups
	kdcsvc        evtGroups
	krbFail       evtGroups
	logonFail     evtGroups
	summary       *winevent.Summary
}

func (p *Pass) evtData(ctx context.Context) (*evtData, error) {
	v, err := p.Shared("winevent:data", func() (any, error) {
		d := &evtData{}
		sum := winevent.NewSummarizer(0)
		for _, lf := range p.Evidence.Events {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rc, err := lf.Open()
			if err != nil {
				p.Warn(EvidenceWarning{Source: lf.Name, Message: "cannot open: " + err.Error()})
				p.Unusable(EvEvents, lf.Name, "cannot open: "+err.Error())
				continue
			}
			n := 0
			st, err := winevent.Scan(ctx, rc, &winevent.Options{Name: lf.Name}, func(e *winevent.Event) error {
				n++
				d.add(e, lf.Name+":"+strconv.Itoa(e.Line))
				sum.Add(e)
				return nil
			})
			rc.Close()
			d.files++
			for _, w := range st.Warnings {
				p.Warn(EvidenceWarning{Source: lf.Name, Message: w.String()})
			}
			if st.Skipped > 0 {
				p.Warn(EvidenceWarning{Source: lf.Name, Message: fmt.Sprintf("%d events skipped (too large or invalid): the read is not complete", st.Skipped)})
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				msg := err.Error()
				var ee *winevent.EVTXError
				if errors.As(err, &ee) {
					msg = "a binary .evtx file is not read; convert it with: " + ee.Command()
				}
				p.Warn(EvidenceWarning{Source: lf.Name, Message: msg})
				if n == 0 {
					p.Unusable(EvEvents, lf.Name, msg)
				}
				continue
			}
			if n == 0 {
				p.Unusable(EvEvents, lf.Name, "no event could be read")
			}
		}
		d.readable = d.events > 0
		d.summary = sum.Summary()
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*evtData), nil
}

func (d *evtData) add(e *winevent.Event, where string) {
	d.events++
	acct := e.Account()
	ip := ""
	if e.IP.IsValid() {
		ip = e.IP.String()
	}
	client := cmp.Or(ip, strings.TrimSpace(e.Workstation), "unknown client")
	switch {
	case e.IsSecurity() && e.ID == 4624 && e.IsNetworkLogon() && e.Protocol() == winevent.ProtocolNTLM,
		e.IsSecurity() && e.ID == 4776 && !e.Failed(),
		e.IsNTLMOperational():
		if g := d.ntlm.get(client, acct); g != nil {
			g.add(e, where)
		}
	}
	if e.IsSecurity() && (e.ID == 4624 || e.ID == 4625) && e.NTLMVersion() == 1 {
		if g := d.ntlmv1.get(client, acct); g != nil {
			g.add(e, where)
		}
	}
	if e.IsSecurity() && (e.ID == 4768 || e.ID == 4769 || e.ID == 4770) && e.TicketEncryption.IsRC4() && !e.Failed() {
		if g := d.rc4Tickets.get(strings.TrimSpace(e.ServiceName), acct); g != nil {
			g.add(e, where)
		}
	}
	if e.IsSecurity() && (e.ID == 4768 || e.ID == 4769) {
		if e.ServiceAvailableKeys.OnlyRC4() {
			if g := d.rc4Keys.get(strings.TrimSpace(e.ServiceName), "service"); g != nil {
				g.add(e, where)
			}
		}
		if e.AccountAvailableKeys.OnlyRC4() {
			if g := d.rc4Keys.get(acct, "account"); g != nil {
				g.add(e, where)
			}
		}
	}
	if e.IsKDCRC4Audit() {
		if g := d.kdcsvc.get(strconv.Itoa(e.ID)); g != nil {
			g.id = e.ID
			if g.extra == "" {
				g.extra = firstSentence(e.Message)
			}
			g.add(e, where)
		}
	}
	switch {
	case e.IsSecurity() && (e.ID == 4768 || e.ID == 4769 || e.ID == 4771) && e.Failed(),
		e.IsKerberosClient() && (e.ID == 3 || e.ID == 4),
		e.IsKDC() && e.ID == 11:
		target := cmp.Or(e.SPN(), strings.TrimSpace(e.ServiceName), strings.TrimSpace(e.TargetName))
		if g := d.krbFail.get(strconv.Itoa(e.ID), e.Status.String(), target); g != nil {
			g.id, g.status = e.ID, e.Status
			g.add(e, where)
		}
	}
	if e.IsSecurity() && e.ID == 4625 {
		if g := d.logonFail.get(e.Status.String(), e.SubStatus.String(), acct); g != nil {
			g.status, g.subStatus = e.Status, e.SubStatus
			g.add(e, where)
		}
	}
}

// evtRef cites a group of events.
func evtRef(g *evtGroup, detail string) EvidenceRef {
	src, line := splitLoc(g.example)
	return EvidenceRef{Source: src, Locator: line, Detail: detail + " (" + times(g.count) + timeSpan(g.first, g.last) + ")"}
}

// evtRequireReadable reports whether any event was read, and records the
// checks as not verified otherwise.
func evtRequireReadable(p *Pass, d *evtData) bool {
	if d.readable {
		return true
	}
	p.NotVerified("no event could be read from the event files", "wevtutil qe Security /q:\"*[System[(EventID=4624 or EventID=4625 or EventID=4776)]]\" /f:xml > security.xml (and the System log), or an Event Viewer XML export")
	return false
}

// kerberosExpected reports whether the configuration offers Negotiate first
// on some path in scope: NTLM logons there are clients that did not get
// Kerberos.
func kerberosExpected(p *Pass) bool {
	for _, t := range windowsTargets(p) {
		prov := t.Settings.WindowsAuth.Providers
		if len(prov) > 0 && isNegotiate(prov[0]) {
			return true
		}
	}
	return false
}

// topGroups lists up to n groups as evidence, with a count of the rest.
func topGroups(gs []*evtGroup, n int, detail func(*evtGroup) string) []EvidenceRef {
	var refs []EvidenceRef
	for i, g := range gs {
		if i == n {
			rest := 0
			for _, x := range gs[i:] {
				rest += x.count
			}
			refs = append(refs, EvidenceRef{Source: "events", Detail: fmt.Sprintf("%d more groups (%d events)", len(gs)-i, rest)})
			break
		}
		refs = append(refs, evtRef(g, detail(g)))
	}
	return refs
}

func sumCounts(gs []*evtGroup) int {
	n := 0
	for _, g := range gs {
		n += g.count
	}
	return n
}

func runEVT001(ctx context.Context, p *Pass) error {
	d, err := p.evtData(ctx)
	if err != nil || !evtRequireReadable(p, d) {
		return err
	}
	gs := d.ntlm.sorted()
	if len(gs) == 0 {
		return nil
	}
	clients, accounts := map[string]bool{}, map[string]bool{}
	for _, g := range gs {
		clients[strings.ToLower(g.key[0])] = true
		accounts[strings.ToLower(g.key[1])] = true
	}
	msg := fmt.Sprintf("%s authenticated with NTLM: %s from %s.", plural(sumCounts(gs), "network logon", "network logons"),
		plural(len(accounts), "account", "accounts"), plural(len(clients), "client", "clients"))
	sev := Info
	if p.Evidence.Config != nil && kerberosExpected(p) || p.Evidence.Scenario.NTLMDisabled {
		sev = Warning
		msg += " The configuration offers Negotiate first, so each is a client that did not get a Kerberos ticket for the name it used (missing or misplaced SPN, a name without an SPN, or a non-domain client)."
	} else {
		msg += " Without a configuration that offers Negotiate first this is not necessarily a problem."
	}
	if d.ntlm.dropped > 0 {
		msg += fmt.Sprintf(" %d further events fell outside the %d groups kept.", d.ntlm.dropped, evtGroupCap)
	}
	p.ReportAs(sev, Finding{
		Subject:  "NTLM logons",
		Message:  msg,
		Evidence: topGroups(gs, 8, func(g *evtGroup) string { return g.key[1] + " from " + g.key[0] }),
		Remediation: []Remedy{{
			Summary:  "From one of those clients, request a ticket for the name it uses and see the KDC's answer",
			Commands: []string{"klist purge", "klist get HTTP/" + cmp.Or(serverName(p.Evidence.Host), "<server FQDN>")},
		}},
		symptomOf: spnKinds,
	})
	return nil
}

func runEVT002(ctx context.Context, p *Pass) error {
	d, err := p.evtData(ctx)
	if err != nil || !evtRequireReadable(p, d) {
		return err
	}
	gs := d.ntlmv1.sorted()
	if len(gs) == 0 {
		return nil
	}
	var who []string
	for i, g := range gs {
		if i == maxListed {
			break
		}
		who = append(who, g.key[1]+" from "+g.key[0])
	}
	p.Report(Finding{
		Subject: "NTLMv1 logons",
		Message: fmt.Sprintf("%s used NTLMv1 (LmPackageName \"NTLM V1\"): %s. NTLMv1 responses can be cracked offline and relayed.",
			plural(sumCounts(gs), "logon", "logons"), strings.Join(who, ", ")),
		Evidence: topGroups(gs, 8, func(g *evtGroup) string { return "NTLM V1: " + g.key[1] + " from " + g.key[0] }),
		Remediation: []Remedy{{
			Summary: "Make the clients send NTLMv2 only: Group Policy \"Network security: LAN Manager authentication level\" = Send NTLMv2 response only (LmCompatibilityLevel 3 or higher; 5 on domain controllers refuses LM and NTLMv1)",
			Actions: []Action{{Kind: ActManual, Where: WhereClient, Text: "set LmCompatibilityLevel to 5 (Send NTLMv2 response only; refuse LM & NTLM) on the listed clients",
				Commands: []string{`reg add HKLM\SYSTEM\CurrentControlSet\Control\Lsa /v LmCompatibilityLevel /t REG_DWORD /d 5 /f`}}},
			Commands: []string{`reg add HKLM\SYSTEM\CurrentControlSet\Control\Lsa /v LmCompatibilityLevel /t REG_DWORD /d 5 /f`},
			Tradeoff: "Very old systems that only speak NTLMv1 can no longer authenticate.",
			Choice:   "ntlmv2-only",
		}},
		Cause: "ntlmv1",
	})
	return nil
}

func runEVT003(ctx context.Context, p *Pass) error {
	d, err := p.evtData(ctx)
	if err != nil || !evtRequireReadable(p, d) {
		return err
	}
	for _, g := range d.rc4Tickets.sorted() {
		service := cmp.Or(g.key[0], "(unknown service)")
		if strings.EqualFold(service, "krbtgt") || strings.HasPrefix(strings.ToLower(service), "krbtgt/") {
			// A TGT: the client's account (or the client's request) decided
			// the encryption type, not a service account.
			p.Report(Finding{
				Subject: cmp.Or(g.key[1], "krbtgt"),
				Message: fmt.Sprintf("The domain controller issued %s encrypted with RC4 (0x17) to %s%s: the client asked for RC4 (an old client, or a tool requesting RC4 on purpose) or the account has no AES keys.",
					plural(g.count, "ticket-granting ticket", "ticket-granting tickets"), cmp.Or(g.key[1], "a client"), timeSpan(g.first, g.last)),
				Evidence:    []EvidenceRef{evtRef(g, "4768 TicketEncryptionType 0x17")},
				Remediation: []Remedy{aesForAccount(g.key[1])},
				Cause:       "rc4-owner",
			})
			continue
		}
		p.Report(Finding{
			Subject: service,
			Message: fmt.Sprintf("The domain controller issued %s encrypted with RC4 (0x17) for %s to %s%s: the service account has no AES keys or allows only RC4; once the AES-only default applies (CVE-2026-20833, KB5073381) these requests fail.",
				plural(g.count, "ticket", "tickets"), service, cmp.Or(g.key[1], "clients"), timeSpan(g.first, g.last)),
			Evidence:    []EvidenceRef{evtRef(g, "TicketEncryptionType 0x17 for "+service)},
			Remediation: []Remedy{aesForAccount(service)},
			Cause:       "rc4-owner",
		})
	}
	for _, g := range d.rc4Keys.sorted() {
		p.Report(Finding{
			Subject:     g.key[0],
			Message:     fmt.Sprintf("%s has only RC4 keys (%sAvailableKeys in %s): it cannot get or serve AES tickets until its password is reset after AES is allowed.", cmp.Or(g.key[0], "An account"), strings.ToUpper(g.key[1][:1])+g.key[1][1:], plural(g.count, "event", "events")),
			Evidence:    []EvidenceRef{evtRef(g, "available keys: RC4 only")},
			Remediation: []Remedy{aesForAccount(g.key[0])},
			Cause:       "rc4-owner",
		})
	}
	for _, g := range d.kdcsvc.sorted() {
		sev := Warning
		what := "RC4 use that the AES-only default will break"
		text := strings.ToLower(g.extra)
		if g.id == 203 || strings.Contains(text, "blocked") {
			sev, what = Error, "RC4 use the KDC blocked"
		}
		msg := fmt.Sprintf("KDCSVC event %d %s: %s (KB5073381, CVE-2026-20833).", g.id, times(g.count), what)
		if g.extra != "" {
			msg += " " + g.extra
		}
		p.ReportAs(sev, Finding{
			Subject:  "KDCSVC " + strconv.Itoa(g.id),
			Message:  msg,
			Evidence: []EvidenceRef{evtRef(g, "KDCSVC "+strconv.Itoa(g.id))},
			Remediation: []Remedy{{
				Summary: "Give the accounts the events name AES (msDS-SupportedEncryptionTypes, password reset), or set their RC4 use explicitly where it cannot be avoided, as KB5073381 describes",
			}},
			Cause: "rc4-kdcsvc",
		})
	}
	return nil
}

// aesForAccount allows AES for the account a ticket or key event names.
func aesForAccount(account string) Remedy {
	if account == "" || strings.Contains(account, "/") {
		return Remedy{Summary: "Find the account that owns the service and allow AES for it (then reset its password so AES keys exist)", Choice: "allow-aes"}
	}
	return remedyFrom("Allow AES for "+account+" and reset its password so AES keys exist",
		"Accounts whose password predates AES support need a password reset before AES tickets can be issued.",
		Action{Kind: ActSetEncTypes, Account: account, AccountKind: accountKindName(0, account)})
}

func runEVT004(ctx context.Context, p *Pass) error {
	d, err := p.evtData(ctx)
	if err != nil || !evtRequireReadable(p, d) {
		return err
	}
	for _, g := range d.krbFail.sorted() {
		target := g.key[2]
		name, meaning := g.status.Name(), g.status.Meaning()
		sev := Warning
		var symptom []string
		advice := ""
		switch {
		case g.id == 11:
			name, meaning = "duplicate name", "the KDC found the name on more than one account (duplicate SPN or UPN)"
			sev, symptom = Error, []string{"spn-duplicate", "spn-owner"}
			advice = "Find the accounts holding it (setspn -Q) and keep it on one."
		case g.id == 4 || g.status.Code == 0x29:
			name = cmp.Or(name, "KRB_AP_ERR_MODIFIED")
			meaning = "the server could not decrypt the ticket: the SPN is registered on an account other than the one that decrypts, or that account's key changed"
			sev, symptom = Error, []string{"spn-owner", "spn-duplicate"}
			advice = "Move the SPN to the account that decrypts the tickets, or make IIS decrypt with the SPN's account (useAppPoolCredentials)."
		case g.status.Code == 0x7:
			symptom = []string{"spn-missing", "spn-cname"}
			advice = "Register the SPN on the account that decrypts the site's tickets."
		case g.status.Code == 0xe:
			symptom = []string{"rc4-owner"}
			advice = "Give the service account keys of an encryption type the client allows (allow AES and reset its password)."
		case g.status.Code == 0x25:
			advice = "Synchronise the clocks of clients, servers and domain controllers (Kerberos allows 5 minutes): w32tm /resync."
		case g.id == 4771 && g.status.Code == 0x18:
			advice = "A wrong or stale password; many in a short time lock the account out. Find the client that keeps the old password (a service, a mapped drive, a scheduled task)."
			if g.count >= 10 {
				advice += fmt.Sprintf(" %d failures: a lockout risk.", g.count)
			}
		}
		code := g.status.String()
		if g.status.Raw == "" && code == "" {
			code = "event " + strconv.Itoa(g.id)
		}
		msg := fmt.Sprintf("Event %d: Kerberos %s %s%s for %s: %s.", g.id, cmp.Or(name, code), times(g.count), timeSpan(g.first, g.last), cmp.Or(target, "(no target recorded)"), cmp.Or(meaning, "see the event"))
		if advice != "" {
			msg += " " + advice
		}
		rems := []Remedy(nil)
		if g.status.Code == 0x7 || g.id == 4 || g.id == 11 {
			if target != "" && strings.Contains(target, "/") {
				rems = []Remedy{{Summary: "See who holds " + target, Commands: []string{"setspn -F -Q " + target}}}
			}
		}
		p.ReportAs(sev, Finding{
			Subject:     cmp.Or(target, "Kerberos events"),
			Message:     msg,
			Evidence:    []EvidenceRef{evtRef(g, fmt.Sprintf("event %d status %s", g.id, cmp.Or(code, "-")))},
			Remediation: rems,
			symptomOf:   symptom,
		})
	}
	return nil
}

func runEVT005(ctx context.Context, p *Pass) error {
	d, err := p.evtData(ctx)
	if err != nil || !evtRequireReadable(p, d) {
		return err
	}
	for i, g := range d.logonFail.sorted() {
		if i == 20 {
			p.ReportAs(Info, Finding{Subject: "failed logons", Message: fmt.Sprintf("%d more groups of failed logons not listed.", len(d.logonFail.order)-i)})
			break
		}
		what := cmp.Or(g.status.Name(), g.status.String())
		meaning := g.status.Meaning()
		if g.subStatus.Set && g.subStatus.Code != 0 {
			what += " / " + cmp.Or(g.subStatus.Name(), g.subStatus.String())
			if m := g.subStatus.Meaning(); m != "" {
				meaning = m
			}
		}
		sev := Warning
		if g.count < 3 {
			sev = Info
		}
		p.ReportAs(sev, Finding{
			Subject:  cmp.Or(g.key[2], "failed logons"),
			Message:  fmt.Sprintf("%s failed to log on %s%s: %s (%s).", cmp.Or(g.key[2], "An unknown account"), times(g.count), timeSpan(g.first, g.last), what, cmp.Or(meaning, "see the event")),
			Evidence: []EvidenceRef{evtRef(g, "4625 "+what)},
		})
	}
	return nil
}

// serviceLike reports whether an account looks like a computer or service
// account rather than a person: a name ending in $, a pool identity of the
// configuration, an account holding SPNs, or a conventional service prefix.
func serviceLike(ctx context.Context, p *Pass, account string) (bool, string) {
	_, sam, ok := strings.Cut(account, `\`)
	if !ok {
		sam, _, _ = strings.Cut(account, "@")
	}
	low := strings.ToLower(sam)
	switch {
	case strings.HasSuffix(low, "$"):
		return true, "computer account"
	case strings.HasPrefix(low, "svc") || strings.HasPrefix(low, "sa-") || strings.HasPrefix(low, "service") || strings.Contains(low, "altiris"):
		return true, "service account (by name)"
	}
	if cfg := p.Evidence.Config; cfg != nil {
		for _, pool := range cfg.AppPoolList() {
			if pool.UserName != "" && accountKey(pool.UserName) == accountKey(account) {
				return true, "application pool identity"
			}
		}
	}
	if p.Evidence.Directory != nil {
		if ans, err := p.Evidence.Directory.Account(ctx, sam); err == nil && len(ans.Accounts) == 1 && len(ans.Accounts[0].SPNs) > 0 {
			return true, "holds SPNs"
		}
	}
	return false, ""
}

func runEVT006(ctx context.Context, p *Pass) error {
	d, err := p.evtData(ctx)
	if err != nil || !evtRequireReadable(p, d) {
		return err
	}
	declared := p.Evidence.Scenario.FirewallShowsServiceAccount
	var services []string
	seenSvc := map[string]bool{}
	var refs []EvidenceRef
	ips := 0
	for _, c := range d.summary.Clients {
		var svc, users []string
		for _, u := range c.Accounts {
			if u.Account == "" {
				continue
			}
			if ok, why := serviceLike(ctx, p, u.Account); ok {
				svc = append(svc, fmt.Sprintf("%s (%s, %s)", u.Account, why, times(u.Count)))
				if !seenSvc[strings.ToLower(u.Account)] {
					seenSvc[strings.ToLower(u.Account)] = true
					services = append(services, u.Account)
				}
			} else {
				users = append(users, u.Account)
			}
		}
		if len(svc) == 0 {
			continue
		}
		ips++
		if len(refs) < 10 {
			detail := c.IP.String() + ": " + strings.Join(svc, ", ")
			if len(users) > 0 {
				detail += "; users: " + listSubjects(users, 3)
			}
			refs = append(refs, EvidenceRef{Source: "events", Detail: detail + timeSpan(c.First, c.Last)})
		}
	}
	if ips == 0 {
		return nil
	}
	sev := Info
	them := "those accounts"
	if len(services) == 1 {
		them = "that account"
	}
	msg := fmt.Sprintf("Service or computer accounts authenticated from %s (%s): an identity-aware firewall that maps addresses to users from these events can map them to %s instead of the person working there.",
		plural(ips, "client address", "client addresses"), listSubjects(services, 5), them)
	if declared {
		sev = Warning
		msg += " This explains the firewall showing a service account: a visibility issue, not wrong ITMS credentials, and NTLM is not the fix."
	}
	if d.summary.Truncated {
		msg += " (The event summary hit its size cap: more addresses may be affected.)"
	}
	p.ReportAs(sev, Finding{
		Subject:  "firewall identity",
		Message:  msg,
		Evidence: refs,
		Remediation: []Remedy{{
			Summary: "Add " + listSubjects(services, 5) + " to the firewall's ignore-user list (Palo Alto: Device > User Identification > User Mapping > Ignore User List; Fortinet FSSO: ignore list), so their logons never replace the user's mapping",
			Actions: []Action{{Kind: ActManual, Where: WhereNetwork, Text: "add " + listSubjects(services, 5) + " to the firewall's User-ID ignore-user list"}},
			Choice:  "firewall-ignore-list",
		}},
		Cause: "firewall-identity",
	})
	return nil
}
