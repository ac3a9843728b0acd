package diagnose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/spn"
)

// spnChecks returns SPN001-SPN006: who must own the HTTP SPNs of each site
// (from the configuration's decrypting account and the host's names) against
// who does in the directory, plus directory-wide duplicates, malformed values
// and RC4-only owners.
func spnChecks() []*Check {
	return []*Check{
		{
			ID:   "SPN001",
			Name: "MissingSPN",
			Doc: `Expected HTTP SPN missing on the decrypting account

Browsers ask the KDC for a ticket to HTTP/<host name they connect to> (the canonical name when the
host is a CNAME). If no account holds that SPN - and, for a computer account, no HOST/<name> SPN
covers it through AD's sPNMappings - the KDC answers KDC_ERR_S_PRINCIPAL_UNKNOWN and the client
silently falls back to NTLM (or fails where NTLM is disabled). The account that must hold it is the
one that decrypts tickets: the computer account in kernel mode or with built-in pool identities, the
pool's domain account with useAppPoolCredentials=true or without kernel mode. ITMS never registers
HTTP SPNs itself. When the directory evidence is incomplete (setspn -L of one account, a truncated
scan) absence cannot be proven and the SPN is reported as not verified.`,
			Severity:    Error,
			Requires:    []EvidenceKind{EvDirectory},
			RequiresAny: []EvidenceKind{EvConfig, EvHost},
			Run:         runMissingSPN,
		},
		{
			ID:   "SPN002",
			Name: "SPNOnWrongAccount",
			Doc: `HTTP SPN registered on a different account than the decrypting one

The KDC encrypts the service ticket with the key of whichever account holds the SPN. If that is not
the account IIS decrypts with (for example HTTP/portal on a service account while kernel-mode
authentication decrypts with the computer account), the server rejects the ticket with
KRB_AP_ERR_MODIFIED and the client falls back to NTLM. An explicit HTTP/name on another account also
overrides the computer's HOST/name mapping. Fix it by moving the SPN, or by making IIS decrypt with
the SPN's account (useAppPoolCredentials=true with that account as the pool identity).`,
			Severity:    Error,
			Requires:    []EvidenceKind{EvDirectory},
			RequiresAny: []EvidenceKind{EvConfig, EvHost},
			Run:         runWrongAccountSPN,
		},
		{
			ID:   "SPN003",
			Name: "DuplicateSPN",
			Doc: `Duplicate SPN (same SPN on two or more accounts)

An SPN held by more than one account (compared case-insensitively, as AD and setspn -X on Windows 10
and later do) makes the KDC fail with KDC_ERR_PRINCIPAL_NOT_UNIQUE or log KDC event 11, and Kerberos
to that service breaks. The check scans every SPN holder the directory evidence shows (an LDAP
domain or Global Catalog scan, a setspn -X run, or a complete ldifde export); a scan that was cut
short is reported as incomplete, never as "no duplicates".`,
			Severity: Error,
			Requires: []EvidenceKind{EvDirectory},
			Run:      runDuplicateSPN,
		},
		{
			ID:   "SPN004",
			Name: "MalformedSPN",
			Doc: `Malformed SPN (scheme, path, whitespace, trailing dot, bad port)

Values such as HTTP/https://portal, HTTP/portal/app, HTTP/portal. or HTTP/portal:http are accepted by
setspn but never requested by a client, so the intended SPN is in fact missing. The check looks at
every SPN of the decrypting accounts and at the HTTP, HTTPS, WWW and HOST SPNs of every account the
directory evidence shows, and gives the setspn commands that replace each value with the one meant.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvDirectory},
			Run:      runMalformedSPN,
		},
		{
			ID:   "SPN005",
			Name: "CNAMEBindingHost",
			Doc: `Binding host is a CNAME: the SPN must be on the canonical name

Browsers resolve a CNAME before building the SPN and ask for HTTP/<canonical A-record name>, not
HTTP/<alias> (Chrome, Edge and Internet Explorer by default). An SPN registered for the alias is
never used; the canonical name's SPN must resolve to the decrypting account. When the canonical name
is another server's name, its HOST SPN sends the tickets to that computer unless an explicit HTTP
SPN exists. Prefer an A record for a dedicated service name.`,
			Severity:    Warning,
			Requires:    []EvidenceKind{EvDNS},
			RequiresAny: []EvidenceKind{EvConfig, EvHost},
			Run:         runCNAMEBindingHost,
		},
		{
			ID:   "SPN006",
			Name: "RC4OnlySPNOwner",
			Doc: `SPN owner supports only RC4 / no AES keys

An account whose msDS-SupportedEncryptionTypes allows RC4 but no AES - or, on a classic AD KDC, has no
value at all - gets RC4-encrypted service tickets. Windows Server's 2026 Kerberos hardening
(CVE-2026-20833) makes AES the default and RC4-only owners fail. The check covers the decrypting
accounts and every holder of HTTP SPNs the directory evidence shows. Enabling AES also needs AES keys:
reset the password of accounts whose password predates Windows Server 2008 domain controllers.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvDirectory},
			Run:      runRC4OnlyOwner,
		},
	}
}

// spnAuditOptions limit the directory-wide part of SPN004 to web and HOST
// SPNs (HOST covers HTTP through sPNMappings) and of SPN006 to holders of
// HTTP SPNs (every computer holds HOST SPNs).
func spnAuditOptions() spn.AuditOptions {
	return spn.AuditOptions{MalformedClasses: []string{"HTTP", "HTTPS", "WWW", "HOST"}, RC4Classes: []string{"HTTP", "HTTPS", "WWW"}}
}

// maxListed bounds the accounts named in one aggregated finding.
const maxListed = 10

// spnGroup is one decrypting account serving one site's host names.
type spnGroup struct {
	site     string
	catchAll bool // a binding without host header (or no config): computer names reach the site
	paths    []string
	owner    spn.Owner
	why      EvidenceRef // how the owner was derived
	hosts    spn.HostNames
	bindings map[string]EvidenceRef // lower-case host -> where it comes from
	exps     []spn.Expectation
	verdicts []spn.Verdict
}

// spnPlan is the shared expectation/evaluation of SPN001, 002, 004, 005, 006.
type spnPlan struct {
	groups  []*spnGroup
	skipped []Finding // paths in scope that cannot be checked, as info findings
	dir     string    // directory description; "" without a directory
}

func (p *Pass) spnPlan(ctx context.Context) (*spnPlan, error) {
	v, err := p.Shared("spn:plan", func() (any, error) { return buildSPNPlan(ctx, p) })
	if err != nil {
		return nil, err
	}
	return v.(*spnPlan), nil
}

// spnTargetPlan is the plan when the evidence names what is served (a
// configuration or host names), else nil: SPN003, SPN004 and SPN006 then
// check the directory alone.
func (p *Pass) spnTargetPlan(ctx context.Context) (*spnPlan, error) {
	if !p.Evidence.Has(EvConfig) && !p.Evidence.Has(EvHost) {
		return nil, nil
	}
	return p.spnPlan(ctx)
}

// verdicts yields the verdicts of the given kinds with their groups, in
// plan order; a nil plan yields nothing.
func (plan *spnPlan) verdicts(kinds ...spn.VerdictKind) iter.Seq2[*spnGroup, spn.Verdict] {
	return func(yield func(*spnGroup, spn.Verdict) bool) {
		if plan == nil {
			return
		}
		for _, g := range plan.groups {
			for _, v := range g.verdicts {
				if slices.Contains(kinds, v.Kind) && !yield(g, v) {
					return
				}
			}
		}
	}
}

// sharedAuditKey is the Shared key of the directory audit.
const sharedAuditKey = "spn:audit"

func (p *Pass) spnAudit(ctx context.Context) (*spn.Audit, error) {
	v, err := p.Shared(sharedAuditKey, func() (any, error) {
		if sc := p.run.sim; sc != nil && sc.audit != nil {
			// A simulation run: the real run's audit with the plan's
			// changes applied, instead of a second scan of the directory.
			return sc.dir.adjustAudit(ctx, sc.audit), nil
		}
		au, err := spn.AuditDirectory(ctx, p.Evidence.Directory, spnAuditOptions())
		if err != nil && !errors.Is(err, spn.ErrIncomplete) {
			return nil, fmt.Errorf("scanning %s: %w", p.Evidence.Directory.Describe(), err)
		}
		if err != nil {
			// The reason names the directory already; keep it once.
			msg := strings.TrimPrefix(au.Reason, p.Evidence.Directory.Describe()+" ")
			if msg == "" {
				msg = err.Error()
			}
			p.Warn(EvidenceWarning{Source: p.Evidence.Directory.Describe(), Message: "directory scan partial: " + msg})
		}
		return au, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*spn.Audit), nil
}

func buildSPNPlan(ctx context.Context, p *Pass) (*spnPlan, error) {
	ev := p.Evidence
	plan := &spnPlan{}
	byKey := map[string]*spnGroup{}
	groupFor := func(site string, owner spn.Owner, why EvidenceRef) *spnGroup {
		k := strings.ToLower(site + "\x00" + owner.Account)
		if g := byKey[k]; g != nil {
			return g
		}
		g := &spnGroup{site: site, owner: owner, why: why, bindings: map[string]EvidenceRef{}}
		g.hosts.NetBIOS, g.hosts.FQDN = ev.Host.Computer, ev.Host.FQDN
		byKey[k] = g
		plan.groups = append(plan.groups, g)
		return g
	}
	hostSource := "host.json"
	if ev.Config != nil {
		src := configSource(ev)
		for _, t := range p.Scope() {
			s := t.Settings
			if s == nil || !s.WindowsAuth.Enabled {
				continue
			}
			if !offersNegotiate(s.WindowsAuth.Providers) {
				plan.skipped = append(plan.skipped, Finding{Subject: s.Path,
					Message:  "Not checked: the path offers no Negotiate provider, so clients never use Kerberos (IIS004)",
					Evidence: []EvidenceRef{{Source: src, Detail: "providers: " + strings.Join(s.WindowsAuth.Providers, ", ")}}})
				continue
			}
			owner, ok := ownerOf(ev, s.Decrypting)
			if !ok {
				msg := "Not checked: the account that decrypts tickets is " + s.Decrypting.String() + ": " + s.Decrypting.Reason
				if s.Decrypting.Kind == iisconfig.ComputerAccount {
					msg = "Not checked: the computer account decrypts tickets but its name is unknown (give the host's computer name or FQDN)"
				}
				plan.skipped = append(plan.skipped, Finding{Subject: s.Path, Message: msg,
					Evidence: []EvidenceRef{{Source: src, Detail: "application pool " + s.AppPoolName}}})
				continue
			}
			why := EvidenceRef{Source: src, Detail: "decrypting account " + owner.Account + ": " + s.Decrypting.Reason}
			switch o := s.Origin("windowsAuthentication", "useAppPoolCredentials"); o.Kind {
			case iisconfig.Location, iisconfig.ServerLevel:
				why.Locator = ev.Config.Describe(o)
			default:
				why.Detail += " (useAppPoolCredentials: schema default)"
			}
			g := groupFor(s.Site, owner, why)
			g.paths = append(g.paths, s.Path)
			for _, b := range s.Bindings {
				if b.Protocol != "http" && b.Protocol != "https" {
					continue
				}
				if b.Host == "" {
					g.catchAll = true
					continue
				}
				k := strings.ToLower(b.Host)
				if _, ok := g.bindings[k]; !ok {
					g.hosts.Bindings = append(g.hosts.Bindings, b.Host)
					g.bindings[k] = EvidenceRef{Source: src, Locator: siteLine(ev.Config, s.Site),
						Detail: fmt.Sprintf("site %q binding %s", s.Site, b.String())}
				}
			}
		}
	} else if owner, ok := ownerOf(ev, iisconfig.DecryptingAccount{Kind: iisconfig.ComputerAccount}); ok {
		g := groupFor("", owner, EvidenceRef{Source: hostSource,
			Detail: "no applicationHost.config: assumed the computer account decrypts tickets (kernel-mode authentication with a built-in pool identity, the IIS default)"})
		g.catchAll = true
	}
	// Aliases from host.json apply to every group; CNAMEs from host.json and
	// the resolver replace aliases by canonical names.
	cnames := map[string]string{}
	for k, v := range ev.Host.CNAMEs {
		cnames[strings.ToLower(strings.TrimSuffix(k, "."))] = strings.TrimSuffix(v, ".")
	}
	for _, g := range plan.groups {
		// host.json aliases cannot reach a site that answers only its host
		// headers.
		g.hosts.OnlyBindings = !g.catchAll
		for _, a := range ev.Host.Aliases {
			k := strings.ToLower(a)
			if _, ok := g.bindings[k]; !ok && g.catchAll {
				g.hosts.Bindings = append(g.hosts.Bindings, a)
				g.bindings[k] = EvidenceRef{Source: hostSource, Detail: "host alias " + a}
			}
		}
		if ev.Resolver != nil {
			for _, h := range g.hosts.Bindings {
				k := strings.ToLower(strings.TrimSuffix(h, "."))
				if _, done := cnames[k]; done || h == "*" {
					continue
				}
				c, err := ev.Resolver.LookupCNAME(ctx, h)
				if err != nil {
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					p.Warn(EvidenceWarning{Source: "dns", Locator: h, Message: "CNAME lookup failed: " + err.Error()})
					continue
				}
				cnames[k] = strings.TrimSuffix(c, ".")
			}
		}
		g.hosts.CNAMEs = map[string]string{}
		for k, v := range cnames {
			if v != "" && !strings.EqualFold(k, v) {
				g.hosts.CNAMEs[k] = v
			}
		}
	}
	mappings := spn.DefaultSPNMappings()
	if ev.Directory != nil {
		plan.dir = ev.Directory.Describe()
		if ms, ok := ev.Directory.(spn.MappingSource); ok {
			m, err := ms.SPNMappings(ctx)
			switch {
			case err != nil:
				p.Warn(EvidenceWarning{Source: plan.dir, Message: "reading sPNMappings failed, using the default mapping: " + err.Error()})
			case len(m) > 0:
				mappings = m
			}
		}
	}
	for _, g := range plan.groups {
		g.exps = spn.Expected(g.hosts, g.owner, mappings)
		if ev.Directory == nil {
			continue
		}
		vs, err := spn.Evaluate(ctx, ev.Directory, g.exps)
		if err != nil && !errors.Is(err, spn.ErrIncomplete) {
			return nil, err
		}
		if err != nil {
			p.Warn(EvidenceWarning{Source: plan.dir, Message: err.Error()})
		}
		g.verdicts = vs
	}
	return plan, nil
}

// offersNegotiate reports whether the providers let Kerberos be used.
func offersNegotiate(providers []string) bool {
	for _, pr := range providers {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(pr)), "negotiate") {
			return true
		}
	}
	return false
}

// ownerOf turns iisconfig's decrypting account into an spn.Owner, using the
// host's names for the computer account.
func ownerOf(ev *Evidence, d iisconfig.DecryptingAccount) (spn.Owner, bool) {
	switch d.Kind {
	case iisconfig.ComputerAccount:
		name := ev.Host.Computer
		if name == "" {
			name, _, _ = strings.Cut(ev.Host.FQDN, ".")
		}
		if name == "" {
			return spn.Owner{}, false
		}
		return spn.ComputerOwner(ev.Host.Domain, strings.ToUpper(name)), true
	case iisconfig.DomainAccount:
		a := strings.TrimSpace(d.Account)
		if a == "" {
			return spn.Owner{}, false
		}
		if !strings.ContainsAny(a, `\@`) && ev.Host.Domain != "" {
			a = ev.Host.Domain + `\` + a
		}
		return spn.AccountOwner(a), true
	}
	return spn.Owner{}, false
}

func configSource(ev *Evidence) string {
	if ev.ConfigSource != "" {
		return ev.ConfigSource
	}
	return ev.Config.FileName()
}

// siteLine returns the line of the <site> element as a locator ("18").
func siteLine(cfg *iisconfig.Config, site string) string {
	for _, s := range cfg.Sites {
		if strings.EqualFold(s.Name, site) {
			if n := cfg.Line(s.Locator); n > 0 {
				return strconv.Itoa(n)
			}
		}
	}
	return ""
}

// where names the site, paths and decrypting account a verdict concerns.
func (g *spnGroup) where() string {
	if g.site == "" {
		return "decrypting account " + g.owner.Account
	}
	return fmt.Sprintf("site %q (%s), decrypting account %s", g.site, strings.Join(g.paths, ", "), g.owner.Account)
}

// refs returns the evidence behind a verdict of the group.
func (g *spnGroup) refs(v spn.Verdict, dir string) []EvidenceRef {
	var out []EvidenceRef
	host := v.Expectation.SPN.Host
	if v.Expectation.Alias != "" {
		host = v.Expectation.Alias
	}
	if r, ok := g.bindings[strings.ToLower(host)]; ok {
		out = append(out, r)
	} else if host != "" {
		out = append(out, EvidenceRef{Source: "host.json", Detail: v.Expectation.Reason})
	}
	out = append(out, g.why)
	d := EvidenceRef{Source: dir}
	switch {
	case len(v.Owners) > 0 && v.Via != "":
		d.Detail = fmt.Sprintf("%s not registered; %s held by %s", v.SPN, v.Via, strings.Join(v.Owners, ", "))
	case len(v.Owners) > 0:
		d.Detail = fmt.Sprintf("%s held by %s", v.SPN, strings.Join(v.Owners, ", "))
	default:
		d.Detail = "no holder of " + v.SPN + " seen"
	}
	if !v.Complete && v.Reason != "" {
		d.Detail += " (incomplete: " + v.Reason + ")"
	}
	return append(out, d)
}

func verdictFinding(g *spnGroup, v spn.Verdict, dir, summary string) Finding {
	msg := v.Detail
	if r := v.Expectation.Reason; r != "" {
		msg += ". Clients use this name as the " + r
	}
	f := Finding{
		Subject:  v.SPN,
		Message:  msg + " [" + g.where() + "]",
		Evidence: g.refs(v, dir),
	}
	kind := spn.Unknown
	if g.owner.Kind == spn.OwnerComputer {
		kind = spn.Computer
	}
	var actions []Action
	choice := ""
	switch v.Kind {
	case spn.Missing, spn.Unverified:
		f.Cause, choice = "spn-missing", "register-spn"
		actions = append(actions, addSPNAction(v.SPN, g.owner.Account, kind))
	case spn.WrongAccount, spn.Duplicated:
		f.Cause, choice = "spn-owner", "move-spns"
		held := false
		for _, o := range v.Owners {
			if accountKey(o) == accountKey(g.owner.Account) {
				held = true
				continue
			}
			actions = append(actions, removeSPNAction(v.SPN, o))
		}
		if !held {
			actions = append(actions, addSPNAction(v.SPN, g.owner.Account, kind))
		}
	}
	if len(v.Fix) > 0 {
		r := Remedy{Summary: summary, Commands: v.Fix, Tradeoff: v.Note, Choice: choice}
		if v.Via == "" {
			// The actions say the same as the commands; a fallback through
			// sPNMappings (Via) is left to the commands alone.
			r.Actions = actions
		}
		f.Remediation = append(f.Remediation, r)
	}
	return f
}

func runMissingSPN(ctx context.Context, p *Pass) error {
	plan, err := p.spnPlan(ctx)
	if err != nil {
		return err
	}
	for _, f := range plan.skipped {
		p.ReportAs(Info, f)
	}
	for g, v := range plan.verdicts(spn.Missing, spn.Unverified) {
		if v.Kind == spn.Missing {
			p.Report(verdictFinding(g, v, plan.dir, "Register the SPN on the decrypting account"))
			continue
		}
		f := verdictFinding(g, v, plan.dir, "Check who holds the SPN (forest-wide), then register it on "+g.owner.Account+" if nobody does")
		f.Message = "Not verified: " + f.Message
		f.Remediation = nil
		f.Cause = ""
		p.ReportAs(Info, f)
		p.NotVerified("who holds "+v.SPN, "setspn -L "+g.owner.Account+" (its full SPN list), setspn -F -Q "+v.SPN+", or a complete ldifde export")
	}
	return nil
}

func runWrongAccountSPN(ctx context.Context, p *Pass) error {
	plan, err := p.spnPlan(ctx)
	if err != nil {
		return err
	}
	for g, v := range plan.verdicts(spn.WrongAccount) {
		p.Report(verdictFinding(g, v, plan.dir, "Move the SPN to the account that decrypts the tickets"))
	}
	return nil
}

func runDuplicateSPN(ctx context.Context, p *Pass) error {
	plan, err := p.spnTargetPlan(ctx)
	if err != nil {
		return err
	}
	reported := map[string]bool{}
	for g, v := range plan.verdicts(spn.Duplicated) {
		if reported[strings.ToLower(v.SPN)] {
			continue
		}
		reported[strings.ToLower(v.SPN)] = true
		if v.Via != "" {
			reported[strings.ToLower(v.Via)] = true
		}
		p.Report(verdictFinding(g, v, plan.dir, "Keep the SPN only on "+g.owner.Account))
	}
	au, err := p.spnAudit(ctx)
	if err != nil {
		return err
	}
	dir := p.Evidence.Directory.Describe()
	for _, d := range au.Duplicates {
		if reported[strings.ToLower(d.SPN)] {
			continue
		}
		reported[strings.ToLower(d.SPN)] = true
		f := Finding{
			Subject:  d.SPN,
			Message:  fmt.Sprintf("%s is registered on %d accounts (%s); the KDC cannot pick one (KDC_ERR_PRINCIPAL_NOT_UNIQUE, KDC event 11)", d.SPN, len(d.Owners), strings.Join(d.Owners, ", ")),
			Evidence: []EvidenceRef{{Source: dir, Detail: "holders: " + strings.Join(d.Owners, ", ")}},
		}
		for i, keep := range d.Owners {
			var acts []Action
			for j, o := range d.Owners {
				if j != i {
					acts = append(acts, removeSPNAction(d.SPN, actionAccount(ctx, p, o)))
				}
			}
			r := remedyFrom("If the service runs as "+keep+", remove the SPN from the other accounts", "", acts...)
			r.Choice = "keep-owner:" + strings.ToLower(keep)
			f.Remediation = append(f.Remediation, r)
		}
		f.Cause = "spn-duplicate:" + strings.ToLower(d.SPN)
		p.Report(f)
	}
	if c := au.DuplicatesCompleteness; !c.Complete {
		p.ReportAs(Warning, Finding{
			Subject:  dir,
			Message:  fmt.Sprintf("Duplicate scan incomplete: %s. %d duplicate SPN(s) found so far are reported; others cannot be ruled out", c.Reason, len(au.Duplicates)),
			Evidence: []EvidenceRef{{Source: dir, Detail: fmt.Sprintf("%d accounts, %d SPNs seen", au.Accounts, au.SPNs)}},
			Remediation: []Remedy{{
				Summary:  "Collect a complete duplicate list forest-wide and rerun",
				Commands: []string{"setspn -F -X > setspn-X.txt", `ldifde -f spns.ldf -r "(servicePrincipalName=*)" -l servicePrincipalName,sAMAccountName,userAccountControl,msDS-SupportedEncryptionTypes,objectClass`},
			}},
		})
	}
	return nil
}

// decryptingComplete reports whether the plan's account-level verdicts rest
// on complete answers (every decrypting account fully known; with encTypes,
// also its msDS-SupportedEncryptionTypes, which setspn output cannot show).
func decryptingComplete(ctx context.Context, p *Pass, plan *spnPlan, encTypes bool) bool {
	if len(plan.groups) == 0 {
		return false
	}
	for _, g := range plan.groups {
		ans, err := p.Evidence.Directory.Account(ctx, g.owner.Account)
		if err != nil || !ans.Complete || len(ans.Accounts) == 0 {
			return false
		}
		for _, a := range ans.Accounts {
			if encTypes && a.EncTypesUnknown && !a.EncTypesSet {
				return false
			}
		}
	}
	return true
}

// reportPartialAudit records how far SPN004/SPN006 could look: an Info note
// when the decrypting accounts were fully known, else a Warning.
func reportPartialAudit(ctx context.Context, p *Pass, au *spn.Audit, plan *spnPlan, what string, encTypes bool) {
	if au.Complete {
		return
	}
	dir := p.Evidence.Directory.Describe()
	f := Finding{
		Subject:  dir,
		Message:  fmt.Sprintf("%s checked only on the %d account(s) in the directory evidence: %s", what, au.Accounts, au.Reason),
		Evidence: []EvidenceRef{{Source: dir, Detail: au.Reason}},
	}
	if plan != nil && decryptingComplete(ctx, p, plan, encTypes) {
		f.Message += "; the decrypting accounts were fully checked"
		p.ReportAs(Info, f)
		return
	}
	f.Message = "Not verified: " + f.Message
	settle := ldifdeSettle
	if encTypes {
		f.Message += " (setspn output cannot show msDS-SupportedEncryptionTypes)"
	}
	p.ReportAs(Info, f)
	p.NotVerified(strings.TrimSuffix(what, " were")+" on accounts the evidence does not fully show", settle)
}

// accountKindFor returns the action account kind of name as the directory
// shows it ("computer", "user", ...), or what the name itself says.
func accountKindFor(ctx context.Context, p *Pass, name string) string {
	if dir := p.Evidence.Directory; dir != nil {
		if ans, err := dir.Account(ctx, name); err == nil && len(ans.Accounts) == 1 && ans.Accounts[0].Kind != spn.Unknown {
			return accountKindName(ans.Accounts[0].Kind, name)
		}
	}
	return accountKindName(spn.Unknown, name)
}

// actionAccount names an account for a command: the name the evidence
// gives, or its distinguished name when the evidence shows only that (a
// DN-only setspn listing: its CN need not be the sAMAccountName).
func actionAccount(ctx context.Context, p *Pass, name string) string {
	dir := p.Evidence.Directory
	if dir == nil || strings.Contains(name, `\`) {
		return name
	}
	ans, err := dir.Account(ctx, name)
	if err != nil || len(ans.Accounts) != 1 {
		return name
	}
	if a := ans.Accounts[0]; a.SAMAccountName == "" && a.DN != "" {
		return a.DN
	}
	return name
}

// ldifdeSettle names the evidence that settles directory-wide questions.
const ldifdeSettle = `an ldifde export (ldifde -f spns.ldf -r "(servicePrincipalName=*)" -l servicePrincipalName,sAMAccountName,userAccountControl,msDS-SupportedEncryptionTypes,objectClass) or an LDAP query`

// malformedRemedy removes a malformed value from its holders; registering
// the value meant (the rest of the verdict's commands) is left to the
// administrator, who knows which name was meant. When the directory shows
// that every holder already has the value meant, that step is left out:
// setspn -S would refuse it ("Duplicate SPN found") and change nothing.
func malformedRemedy(ctx context.Context, p *Pass, v spn.Verdict) Remedy {
	if len(v.Fix) == 0 {
		// An advisory problem (an underscore in a host name): clients may
		// really use the value, so nothing is removed.
		return Remedy{Summary: "Check that clients use this name; " + cmp.Or(v.Note, "no change is needed if they do"), Choice: "fix-malformed"}
	}
	r := Remedy{Summary: "Replace the value with the SPN clients request", Choice: "fix-malformed"}
	owners := v.Owners
	if len(owners) == 0 && v.Account != "" {
		owners = []string{v.Account}
	}
	for _, o := range owners {
		r.Actions = append(r.Actions, removeSPNAction(v.SPN, o))
	}
	var rest []string
	for _, c := range v.Fix {
		if !strings.HasPrefix(c, "setspn -D ") {
			rest = append(rest, c)
		}
	}
	if meant := intendedSPN(v.SPN); meant != "" && len(rest) > 0 && holdersHave(ctx, p, owners, meant) {
		r.Summary = "Remove the malformed value: " + strings.Join(owners, ", ") + " already hold " + meant + ", the SPN clients request"
		rest = nil
	}
	if len(rest) > 0 {
		r.Actions = append(r.Actions, Action{Kind: ActManual, Where: WhereActiveDirectory, Text: "register the value that was meant", Commands: rest})
	}
	for _, a := range r.Actions {
		r.Commands = append(r.Commands, a.CommandLines()...)
	}
	return r
}

// intendedSPN is the value a malformed SPN was probably meant to be
// ("HTTP/web01@CORP.COM" -> "HTTP/web01"), "" when it cannot be told.
func intendedSPN(value string) string {
	sp, err := spn.Parse(value)
	if err == nil {
		return ""
	}
	if r, ok := sp.Repaired(); ok {
		return r.String()
	}
	return ""
}

// holdersHave reports whether the directory shows that every account in
// owners holds s (a complete answer for each).
func holdersHave(ctx context.Context, p *Pass, owners []string, s string) bool {
	dir := p.Evidence.Directory
	if dir == nil || len(owners) == 0 {
		return false
	}
	for _, o := range owners {
		ans, err := dir.Account(ctx, o)
		if err != nil || len(ans.Accounts) != 1 || !slices.ContainsFunc(ans.Accounts[0].SPNs, func(x string) bool { return strings.EqualFold(x, s) }) {
			return false
		}
	}
	return true
}

func runMalformedSPN(ctx context.Context, p *Pass) error {
	plan, err := p.spnTargetPlan(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for g, v := range plan.verdicts(spn.Malformed) {
		k := strings.ToLower(v.SPN + "\x00" + strings.Join(v.Owners, ","))
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Report(Finding{Subject: v.SPN, Message: v.Detail + " [" + g.where() + "]",
			Evidence:    []EvidenceRef{{Source: plan.dir, Detail: "held by " + strings.Join(v.Owners, ", ")}, g.why},
			Remediation: []Remedy{malformedRemedy(ctx, p, v)}, Cause: "spn-malformed"})
	}
	au, err := p.spnAudit(ctx)
	if err != nil {
		return err
	}
	dir := p.Evidence.Directory.Describe()
	for _, v := range au.Malformed {
		k := strings.ToLower(v.SPN + "\x00" + strings.Join(v.Owners, ","))
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Report(Finding{Subject: v.SPN, Message: v.Detail,
			Evidence:    []EvidenceRef{{Source: dir, Detail: "held by " + strings.Join(v.Owners, ", ")}},
			Remediation: []Remedy{malformedRemedy(ctx, p, v)}, Cause: "spn-malformed"})
	}
	if n := au.MalformedCount - len(au.Malformed); n > 0 {
		p.ReportAs(Warning, Finding{Subject: dir,
			Message:  fmt.Sprintf("%d more malformed SPN values were counted but not listed (the audit keeps the first %d)", n, len(au.Malformed)),
			Evidence: []EvidenceRef{{Source: dir, Detail: fmt.Sprintf("%d malformed values in all", au.MalformedCount)}},
			Cause:    "spn-malformed"})
	}
	reportPartialAudit(ctx, p, au, plan, "Malformed SPNs were", false)
	return nil
}

func runCNAMEBindingHost(ctx context.Context, p *Pass) error {
	plan, err := p.spnPlan(ctx)
	if err != nil {
		return err
	}
	for _, g := range plan.groups {
		for _, e := range g.exps {
			if e.Alias == "" {
				continue
			}
			var verdict *spn.Verdict
			for i := range g.verdicts {
				if g.verdicts[i].Expectation.SPN.Equal(e.SPN) && g.verdicts[i].Kind != spn.Duplicated {
					verdict = &g.verdicts[i]
					break
				}
			}
			msg := fmt.Sprintf("%s is a CNAME for %s: browsers request %s, not HTTP/%s", e.Alias, e.SPN.Host, e.SPN, e.Alias)
			ref := g.bindings[strings.ToLower(e.Alias)]
			refs := []EvidenceRef{ref, {Source: "dns", Locator: e.Alias, Detail: "CNAME " + e.SPN.Host}, g.why}
			f := Finding{Subject: e.Alias, Evidence: refs}
			switch {
			case verdict != nil && verdict.Kind == spn.OK && verdict.Complete:
				f.Message = msg + "; it resolves to " + g.owner.Account + " as required"
				p.ReportAs(Info, f)
				continue
			case verdict != nil:
				f.Message = msg + "; " + verdict.Detail
				f.Evidence = append(f.Evidence, EvidenceRef{Source: plan.dir, Detail: verdict.Kind.String()})
			default:
				f.Message = msg + "; no directory evidence shows who holds it"
			}
			f.Message += " [" + g.where() + "]"
			f.Remediation = []Remedy{
				{Summary: "Register the SPN of the canonical name on the decrypting account",
					Commands: []string{"setspn -F -Q " + e.SPN.String(), spn.SetspnAdd(e.SPN.String(), g.owner.Account)},
					Tradeoff: "If the canonical name is another server's, its HOST SPN conflicts (KB5008382); then prefer the next option",
					Actions:  []Action{addSPNAction(e.SPN.String(), g.owner.Account, spn.Unknown)}, Choice: "register-canonical"},
				{Summary: "Replace the CNAME with an A record for " + e.Alias + " and register HTTP/" + e.Alias,
					Commands: []string{spn.SetspnAdd("HTTP/"+e.Alias, g.owner.Account)},
					Actions: []Action{{Kind: ActManual, Where: WhereDNS, Text: "replace the CNAME " + e.Alias + " with an A record"},
						addSPNAction("HTTP/"+e.Alias, g.owner.Account, spn.Unknown)}, Choice: "a-record"},
			}
			f.Cause = "spn-cname:" + strings.ToLower(e.Alias)
			p.Report(f)
		}
	}
	return nil
}

// aesRemedy allows AES for the account of an RC4-only verdict.
func aesRemedy(ctx context.Context, p *Pass, v spn.Verdict) Remedy {
	r := Remedy{Summary: "Allow AES for " + v.Account, Commands: v.Fix, Tradeoff: v.Note, Choice: "allow-aes",
		Actions: []Action{{Kind: ActSetEncTypes, Account: v.Account, AccountKind: accountKindFor(ctx, p, v.Account)}}}
	return r
}

func runRC4OnlyOwner(ctx context.Context, p *Pass) error {
	plan, err := p.spnTargetPlan(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for g, v := range plan.verdicts(spn.RC4Only) {
		if seen[strings.ToLower(v.Account)] {
			continue
		}
		seen[strings.ToLower(v.Account)] = true
		p.Report(Finding{Subject: v.Account, Message: v.Detail + " [" + g.where() + "]",
			Evidence:    []EvidenceRef{{Source: plan.dir, Detail: "msDS-SupportedEncryptionTypes of " + v.Account}, g.why},
			Remediation: []Remedy{aesRemedy(ctx, p, v)}, Cause: "rc4-owner"})
	}
	var unknown []string
	for _, v := range plan.verdicts(spn.EncTypesUnverified) {
		if !seen[strings.ToLower(v.Account)] {
			seen[strings.ToLower(v.Account)] = true
			unknown = append(unknown, v.Account)
		}
	}
	au, err := p.spnAudit(ctx)
	if err != nil {
		return err
	}
	dir := p.Evidence.Directory.Describe()
	for _, a := range au.EncTypesUnknown {
		if !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			unknown = append(unknown, a)
		}
	}
	if len(unknown) > 0 {
		// One statement for every account whose setting the evidence
		// does not show (setspn output, an export without the attribute).
		msg := fmt.Sprintf("Not verified: the encryption types (msDS-SupportedEncryptionTypes) of %s are not in the evidence: %s",
			plural(len(unknown), "account", "accounts"), listSubjects(unknown, maxListed))
		if !au.Complete {
			msg += "; other holders of HTTP SPNs are not in the evidence at all"
		}
		p.ReportAs(Info, Finding{Subject: dir, Message: msg,
			Evidence: []EvidenceRef{{Source: dir, Detail: "msDS-SupportedEncryptionTypes not in the evidence"}}})
		p.NotVerified("encryption types of "+plural(len(unknown), "SPN owner", "SPN owners"), ldifdeSettle)
	}
	rc4 := append([]spn.Verdict(nil), au.RC4Only...)
	sort.SliceStable(rc4, func(i, j int) bool { return strings.ToLower(rc4[i].Account) < strings.ToLower(rc4[j].Account) })
	var assumed []string
	for _, v := range rc4 {
		k := strings.ToLower(v.Account)
		if seen[k] {
			continue
		}
		seen[k] = true
		if v.Assumed {
			assumed = append(assumed, v.Account)
			continue
		}
		p.Report(Finding{Subject: v.Account, Message: v.Detail + " (it holds HTTP SPNs)",
			Evidence:    []EvidenceRef{{Source: dir, Detail: "msDS-SupportedEncryptionTypes of " + v.Account}},
			Remediation: []Remedy{aesRemedy(ctx, p, v)}, Cause: "rc4-owner"})
	}
	if len(assumed) > 0 {
		// Accounts other than the decrypting ones without the attribute:
		// one informational finding, not one per account. The audit keeps
		// a bounded list and counts them all.
		total := max(au.RC4OnlyAssumedCount, len(assumed))
		listed := assumed
		if len(listed) > maxListed {
			listed = listed[:maxListed]
		}
		more := ""
		if total > len(listed) {
			more = fmt.Sprintf(" and %d more", total-len(listed))
		}
		p.ReportAs(Info, Finding{
			Subject: dir,
			Message: fmt.Sprintf("%d other account(s) holding HTTP SPNs have no msDS-SupportedEncryptionTypes, so a classic AD KDC issues RC4 tickets for them (AES becomes the default with Windows Server's 2026 hardening, CVE-2026-20833): %s%s",
				total, strings.Join(listed, ", "), more),
			Evidence: []EvidenceRef{{Source: dir, Detail: "msDS-SupportedEncryptionTypes absent"}},
			Remediation: []Remedy{{Summary: "List them and allow AES where the service supports it",
				Commands: []string{`Get-ADObject -LDAPFilter "(&(servicePrincipalName=HTTP/*)(!(msDS-SupportedEncryptionTypes=*)))" -Properties servicePrincipalName`}}},
		})
	}
	if len(unknown) == 0 {
		reportPartialAudit(ctx, p, au, plan, "RC4-only owners were", true)
	}
	return nil
}
