package diagnose

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/spn"
)

// iisChecks returns IIS001-IIS010: the effective authentication settings of
// every path in scope (iisconfig resolves schema defaults, the server level
// and <location> tags) against what Kerberos and the profile need.
func iisChecks() []*Check {
	return []*Check{
		{
			ID:   "IIS001",
			Name: "WindowsAuthDisabled",
			Doc: `Windows Authentication disabled where the profile requires it

A profile path that carries authenticated traffic (for ITMS the agent, Task Server, package and console
paths under Default Web Site/Altiris) needs windowsAuthentication enabled="true" in effect. The schema
default is false, so a path that no <location> tag enables is disabled even when a parent folder looks
right in the IIS Manager. Agents then get 401.2 or fall back to anonymous access and cannot be
identified. Paths of the generic profile are in scope only because Windows Authentication is enabled,
so this check concerns profile paths.`,
			Severity: Error,
			Requires: []EvidenceKind{EvConfig},
			Run:      runWindowsAuthDisabled,
		},
		{
			ID:   "IIS002",
			Name: "AnonymousBesideWindowsAuth",
			Doc: `Anonymous enabled beside Windows auth on a path that must be authenticated

When anonymousAuthentication is enabled next to Windows Authentication, IIS serves every request the
anonymous user (IUSR or the pool identity) may read without asking for credentials, so the request
is never tied to the agent's or user's identity. Profile paths marked "authenticated" (ITMS agent,
Task Server and console paths) must have anonymous access off. The anonymousAuthentication schema
default is enabled="true", so it must be disabled explicitly.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvConfig},
			Run:      runAnonymousBesideWindows,
		},
		{
			ID:   "IIS003",
			Name: "NTLMBeforeNegotiate",
			Doc: `Provider order: NTLM before Negotiate (workaround in effect)

Clients take the first scheme in the WWW-Authenticate list they support, so with NTLM listed before
Negotiate every Windows client authenticates with NTLM and Kerberos is never attempted. Admins set
this order as a "fix" when Kerberos failed; it is a workaround with a security cost, not a root-cause
fix: NTLM has no mutual authentication, can be relayed, and shows user, domain and workstation to any
observer. Where NTLM is disabled in the domain it fails outright. Put Negotiate first and fix Kerberos
(SPN and KRB checks). Task Servers may revert the order after a reboot (Broadcom KB 261039).`,
			Severity: Warning,
			Requires: []EvidenceKind{EvConfig},
			Run:      runNTLMBeforeNegotiate,
		},
		{
			ID:   "IIS004",
			Name: "NoNegotiateProvider",
			Doc: `No Negotiate provider (Kerberos never used)

Kerberos over HTTP is carried only by the Negotiate provider (Negotiate or Negotiate:Kerberos). With
Windows Authentication enabled and only NTLM (or no provider at all - the providers collection has no
schema default and is empty when the Windows Authentication role did not write it) Kerberos is never
used; with NTLM disabled in the domain nobody can authenticate.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvConfig},
			Run:      runNoNegotiate,
		},
		{
			ID:   "IIS005",
			Name: "NoNTLMFallback",
			Doc: `No NTLM fallback (Negotiate-only or Negotiate:Kerberos)

Negotiate:Kerberos alone allows Kerberos only: every client must obtain a service ticket for the
right SPN, and non-domain clients (CEM/Internet-based agents, workgroup machines) cannot
authenticate at all. Plain Negotiate without a separate NTLM provider still lets SPNEGO fall back to
NTLM inside Negotiate, but clients that offer only NTLM get no challenge they accept. This is a valid
hardening choice when Kerberos is fully validated; the check says what it implies.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvConfig},
			Run:      runNoNTLMFallback,
		},
		{
			ID:   "IIS006",
			Name: "AuthPersistNonNTLMFalse",
			Doc: `authPersistNonNTLM false (effective) on agent paths

With authPersistNonNTLM="false" - the schema default - IIS makes a Kerberos client re-authenticate on
every request of a kept-alive connection. The Symantec Management Agent does not support that and
logs "Authentication failed, request level authentication is not supported, check that IIS setting
'authPersistNonNTLM' is set to 'True' on the server" and HTTP error 0x80042D21 (Broadcom KB 173598);
Task Server registration fails. Profile paths marked auth_persist_non_ntlm need it set to true.`,
			Severity: Error,
			Requires: []EvidenceKind{EvConfig},
			Run:      runAuthPersistNonNTLM,
		},
		{
			ID:   "IIS007",
			Name: "AppPoolCredentialsMismatch",
			Doc: `useAppPoolCredentials inconsistent with identity and kernel mode

In kernel mode (the default) http.sys decrypts Kerberos tickets with the computer account unless
useAppPoolCredentials="true", which makes it use the pool identity - meaningful only for a
SpecificUser domain account. A SpecificUser pool without useAppPoolCredentials whose account holds
the HTTP SPNs gets tickets it cannot decrypt (KRB_AP_ERR_MODIFIED, console 401.1, Broadcom KB 155783);
useAppPoolCredentials="true" with a pool account that holds no HTTP SPN breaks the computer account's
HOST mapping; with a built-in identity the setting does nothing. Directory evidence, when present,
shows which account holds the SPNs.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvConfig},
			Run:      runAppPoolCredentials,
		},
		{
			ID:   "IIS008",
			Name: "UnusableAppPoolIdentity",
			Doc: `App pool identity unusable for Kerberos (LocalService) or unknown pool referenced

The decrypting account follows from the pool identity. LocalService presents anonymous credentials
on the network and sources conflict on whether it can accept Kerberos at all: treat it as
unsupported. A local account (.\user) cannot own domain SPNs, a SpecificUser pool without a user
name does not start, and an application pointing at a pool that does not exist fails with 503 - in
each case no account can be named as the SPN owner.`,
			Severity: Error,
			Requires: []EvidenceKind{EvConfig},
			Run:      runUnusableIdentity,
		},
		{
			ID:   "IIS009",
			Name: "ExtendedProtectionBehindTLSInspection",
			Doc: `Extended protection Require/Allow where TLS is inspected or terminated upstream

Extended Protection for Authentication binds the Windows authentication to the TLS channel the client
sees (channel binding token). A device that terminates or inspects TLS presents its own certificate,
so the client's binding never matches the server's channel: with tokenChecking="Require" every
authentication fails (SEC_E_BAD_BINDINGS, 401), with "Allow" the clients that send a binding fail.
Exempt the host from inspection, or set tokenChecking to None (or configure the Proxy flags and SPN
list for a terminating reverse proxy).`,
			Severity: Error,
			Requires: []EvidenceKind{EvConfig, EvScenario},
			Run:      runExtendedProtection,
		},
		{
			ID:   "IIS010",
			Name: "WeakOrPerRequestAuth",
			Doc: `Basic/Digest enabled beside Windows auth, or authPersistSingleRequest=true

Basic authentication sends the password base64-encoded (clear text without TLS) and makes browsers
prompt; Digest needs reversible password storage. Beside Windows Authentication either lets clients
pick a weaker scheme. authPersistSingleRequest="true" makes IIS discard the authentication after
every request, NTLM included, so every request pays a full handshake and the ITMS agent fails as
with authPersistNonNTLM=false.`,
			Severity: Warning,
			Requires: []EvidenceKind{EvConfig},
			Run:      runWeakOrPerRequest,
		},
		{
			ID:   "IIS011",
			Name: "LockedSectionInWebConfig",
			Doc: `web.config sets an authentication section that applicationHost.config locks (HTTP 500.19)

The authentication sections are declared overrideModeDefault="Deny": a web.config may set them only
where applicationHost.config unlocks the path (<location path="..." overrideMode="Allow">). A web.config
that sets a locked section makes IIS answer every request under its path with HTTP 500.19 ("This
configuration section cannot be used at this path"), so nobody authenticates there, whatever the
settings say. Move the setting into applicationHost.config (appcmd ... /commit:apphost), or unlock the
section for that path.`,
			Severity: Error,
			Requires: []EvidenceKind{EvConfig},
			Run:      runLockedSectionInWebConfig,
		},
	}
}

func runLockedSectionInWebConfig(_ context.Context, p *Pass) error {
	ev := p.Evidence
	seen := map[string]bool{}
	for _, s := range p.Applications() {
		if s == nil {
			continue
		}
		for _, w := range s.WebConfigErrors {
			where := ev.Config.Position(w.Locator)
			if seen[where+w.Message] {
				continue
			}
			seen[where+w.Message] = true
			p.Report(Finding{
				Subject:  s.Path,
				Message:  w.Message,
				Evidence: []EvidenceRef{{Source: where, Detail: "web.config sets a section applicationHost.config locks"}},
				Remediation: []Remedy{{
					Summary: "Remove the section from the web.config and set it in applicationHost.config for " + s.Path + " (appcmd ... /commit:apphost)",
					Choice:  "move-to-apphost",
				}},
				Cause: "locked-section:" + strings.ToLower(s.Path),
			})
		}
	}
	return nil
}

// appcmdExe is the path of appcmd.exe as administrators type it.
const appcmdExe = `%windir%\system32\inetsrv\appcmd.exe`

// authSectionPath is the configuration section path of the authentication sections.
const authSectionPath = "system.webServer/security/authentication/"

// winAuthSection is the configuration section path of Windows Authentication.
const winAuthSection = authSectionPath + "windowsAuthentication"

// appcmdSet returns the appcmd command that sets attr of an authentication
// section at path in applicationHost.config, or at server level when path
// is "".
func appcmdSet(path, section, attr, value string) string {
	if path != "" {
		path = `"` + path + `" `
	}
	// /commit:apphost comes before the section so that a command split over
	// two lines keeps the attribute on the second (appcmd takes its
	// parameters in any order).
	return fmt.Sprintf(`%s set config %s/commit:apphost -section:%s%s /%s:"%s"`, appcmdExe, path, authSectionPath, section, attr, value)
}

// psSet returns the PowerShell (WebAdministration) equivalent of appcmdSet.
// value is a PowerShell expression ($true, 'None').
func psSet(path, filter, name, value string) string {
	return fmt.Sprintf(`Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location '%s' -Filter '%s%s' -Name '%s' -Value %s`,
		psQuote(path), authSectionPath, filter, name, value)
}

// psQuote escapes a value for a single-quoted PowerShell string.
func psQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }

func psBool(b bool) string {
	if b {
		return "$true"
	}
	return "$false"
}

// authPersistCommands returns the appcmd and PowerShell commands that set
// authPersistNonNTLM to True at location (a site/path, or a placeholder),
// or at server level when location is "".
func authPersistCommands(location string) []string {
	ps := `Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST'`
	if location != "" {
		ps += ` -Location '` + psQuote(location) + `'`
	}
	ps += ` -Filter '` + winAuthSection + `' -Name authPersistNonNTLM -Value $true`
	return []string{appcmdSet(location, "windowsAuthentication", "authPersistNonNTLM", "True"), ps}
}

// poolIdentityCommands returns the appcmd and PowerShell commands that make
// pool run as ApplicationPoolIdentity.
func poolIdentityCommands(pool string) []string {
	return []string{
		fmt.Sprintf(`%s set apppool "%s" /processModel.identityType:"ApplicationPoolIdentity"`, appcmdExe, pool),
		fmt.Sprintf(`Set-ItemProperty 'IIS:\AppPools\%s' -Name processModel.identityType -Value 'ApplicationPoolIdentity'`, psQuote(pool)),
	}
}

func appcmdBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// setBoolRemedy is the remedy setting a boolean attribute of an
// authentication section at path.
func setBoolRemedy(summary, path, section, attr string, v bool) Remedy {
	return Remedy{Summary: summary, Commands: []string{
		appcmdSet(path, section, attr, appcmdBool(v)),
		psSet(path, section, attr, psBool(v)),
	}, Actions: []Action{setConfigAction(path, section, attr, v)}, Choice: section + "." + attr + "=" + appcmdBool(v)}
}

// providersRemedy is the remedy turning the providers current into desired at path.
func providersRemedy(summary, choice, path string, current, desired []string) Remedy {
	return Remedy{Summary: summary, Commands: providerCommands(path, current, desired),
		Actions: []Action{providersAction(path, current, desired)}, Choice: choice}
}

// providerCommands returns appcmd and PowerShell commands that turn the
// effective providers list current into desired at path: the providers
// that break the order are removed, then the rest of desired is added in
// order (collection adds append).
func providerCommands(path string, current, desired []string) []string {
	k := len(desired)
	for ; k > 0; k-- {
		var kept []string
		for _, c := range current {
			if containsFold(desired[:k], c) {
				kept = append(kept, c)
			}
		}
		if equalFoldSlices(kept, desired[:k]) {
			break
		}
	}
	var appcmd, ps []string
	psBase := fmt.Sprintf(`-PSPath 'MACHINE/WEBROOT/APPHOST' -Location '%s' -Filter '%s/providers' -Name '.'`, psQuote(path), winAuthSection)
	for _, c := range current {
		if containsFold(desired[:k], c) {
			continue
		}
		appcmd = append(appcmd, fmt.Sprintf(`%s set config "%s" /commit:apphost -section:%s /-"providers.[value='%s']"`, appcmdExe, path, winAuthSection, c))
		ps = append(ps, fmt.Sprintf(`Remove-WebConfigurationProperty %s -AtElement @{value='%s'}`, psBase, psQuote(c)))
	}
	for _, d := range desired[k:] {
		appcmd = append(appcmd, fmt.Sprintf(`%s set config "%s" /commit:apphost -section:%s /+"providers.[value='%s']"`, appcmdExe, path, winAuthSection, d))
		ps = append(ps, fmt.Sprintf(`Add-WebConfigurationProperty %s -Value @{value='%s'}`, psBase, psQuote(d)))
	}
	return append(appcmd, ps...)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func equalFoldSlices(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// isNegotiate reports whether a provider is Negotiate or a Negotiate
// variant ("Negotiate:Kerberos", "Negotiate:PKU2U").
func isNegotiate(p string) bool {
	return strings.EqualFold(p, "Negotiate") || len(p) > 10 && strings.EqualFold(p[:10], "Negotiate:")
}

// negotiateFirst returns providers with the Negotiate variants moved before
// NTLM, keeping relative order otherwise.
func negotiateFirst(providers []string) []string {
	var neg, rest []string
	for _, p := range providers {
		if isNegotiate(p) {
			neg = append(neg, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(neg, rest...)
}

// originRef cites where an effective value came from:
// "applicationHost.config:412 (location "Default Web Site/Altiris")" or
// "schema default".
func originRef(ev *Evidence, s *iisconfig.Settings, section, attr, detail string) EvidenceRef {
	o := s.Origin(section, attr)
	// Describe says "schema default" when no level of the file sets it.
	return EvidenceRef{Source: configSource(ev), Locator: ev.Config.Describe(o), Detail: detail}
}

// poolRef cites the application pool of a path.
func poolRef(ev *Evidence, s *iisconfig.Settings) EvidenceRef {
	ref := EvidenceRef{Source: configSource(ev)}
	if s.AppPool != nil {
		ref.Locator = ev.Config.Position(s.AppPool.Locator)
		ref.Detail = fmt.Sprintf("application pool %q: identityType=%s", s.AppPool.Name, s.AppPool.IdentityType)
		if s.AppPool.IdentityType == iisconfig.SpecificUser {
			ref.Detail += ` userName="` + s.AppPool.UserName + `"`
		}
		if s.AppPool.IdentityFromDefaults {
			ref.Detail += " (identity from applicationPoolDefaults or the schema)"
		}
		return ref
	}
	if s.Application != nil {
		ref.Locator = ev.Config.Position(s.Application.Locator)
	}
	ref.Detail = fmt.Sprintf("application pool %q is not defined", s.AppPoolName)
	return ref
}

// windowsTargets returns the targets in scope with Windows Authentication enabled.
func windowsTargets(p *Pass) []Target {
	var out []Target
	for _, t := range p.Scope() {
		if t.Settings != nil && t.Settings.WindowsAuth.Enabled {
			out = append(out, t)
		}
	}
	return out
}

func providersText(ps []string) string {
	if len(ps) == 0 {
		return "(none)"
	}
	return strings.Join(ps, ", ")
}

func runWindowsAuthDisabled(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range p.Scope() {
		s := t.Settings
		if s == nil || t.Rule == nil || !t.Rule.WindowsAuth || s.WindowsAuth.Enabled {
			continue
		}
		p.Report(Finding{
			Subject:     t.Path,
			Message:     fmt.Sprintf("Windows Authentication is disabled on %s, which carries %s traffic and needs it: clients cannot authenticate with Kerberos or NTLM here.", t.Path, t.Role()),
			Evidence:    []EvidenceRef{originRef(ev, s, "windowsAuthentication", "enabled", "windowsAuthentication enabled=false")},
			Remediation: []Remedy{setBoolRemedy("Enable Windows Authentication on "+t.Path, t.Path, "windowsAuthentication", "enabled", true)},
			Cause:       "windows-auth-disabled",
		})
	}
	return nil
}

func runAnonymousBesideWindows(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		if t.Rule == nil || !t.Rule.Authenticated || !s.Anonymous.Enabled {
			continue
		}
		user := s.Anonymous.UserName
		if user == "" {
			user = "the application pool identity"
		}
		p.Report(Finding{
			Subject: t.Path,
			Message: fmt.Sprintf("Anonymous authentication is enabled beside Windows Authentication on %s: requests the anonymous user (%s) may read are served without credentials, so agents and users are not identified.", t.Path, user),
			Evidence: []EvidenceRef{
				originRef(ev, s, "anonymousAuthentication", "enabled", "anonymousAuthentication enabled=true"),
				originRef(ev, s, "windowsAuthentication", "enabled", "windowsAuthentication enabled=true"),
			},
			Remediation: []Remedy{setBoolRemedy("Disable anonymous authentication on "+t.Path, t.Path, "anonymousAuthentication", "enabled", false)},
			Cause:       "anonymous-enabled",
		})
	}
	return nil
}

func runNTLMBeforeNegotiate(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		prov := s.WindowsAuth.Providers
		ntlm, neg := -1, -1
		for i, pr := range prov {
			if strings.EqualFold(pr, "NTLM") && ntlm < 0 {
				ntlm = i
			}
			if isNegotiate(pr) && neg < 0 {
				neg = i
			}
		}
		if ntlm < 0 || neg < 0 || ntlm > neg {
			continue
		}
		sev := Warning
		msg := fmt.Sprintf("NTLM is listed before Negotiate on %s (providers %s): Windows clients pick NTLM and never try Kerberos. This is the NTLM-first workaround; its cost is NTLM's weaker security - no mutual authentication, relayable, user/domain/workstation visible on the wire.", t.Path, providersText(prov))
		if ev.Scenario.NTLMDisabled {
			sev = Error
			msg += " NTLM is disabled in the domain, so clients that pick NTLM fail."
		}
		rem := providersRemedy("Put Negotiate before NTLM on "+t.Path+" and fix Kerberos (see the SPN and KRB checks)", "negotiate-first", t.Path, prov, negotiateFirst(prov))
		if t.Role() == RoleTaskServer {
			rem.Tradeoff = "Task Servers may revert the provider order after a reboot (Broadcom KB 261039): re-check after restarts."
		}
		p.ReportAs(sev, Finding{
			Subject:     t.Path,
			Message:     msg,
			Evidence:    []EvidenceRef{originRef(ev, s, "windowsAuthentication", "providers", "providers: "+providersText(prov))},
			Remediation: []Remedy{rem},
			Cause:       "ntlm-first",
		})
	}
	return nil
}

func runNoNegotiate(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		prov := s.WindowsAuth.Providers
		if hasNegotiateProvider(prov) {
			continue
		}
		desired := append([]string{"Negotiate"}, prov...)
		if !containsFold(desired, "NTLM") {
			desired = append(desired, "NTLM")
		}
		sev := Warning
		msg := fmt.Sprintf("Windows Authentication on %s has no Negotiate provider (providers %s): Kerberos is never used.", t.Path, providersText(prov))
		if len(prov) == 0 {
			sev = Error
			msg = fmt.Sprintf("Windows Authentication is enabled on %s but no provider is configured: IIS offers no scheme, so nobody can authenticate (the Windows Authentication role normally writes Negotiate and NTLM at server level).", t.Path)
		} else if ev.Scenario.NTLMDisabled {
			sev = Error
			msg += " NTLM is disabled in the domain, so nobody can authenticate."
		}
		p.ReportAs(sev, Finding{
			Subject:     t.Path,
			Message:     msg,
			Evidence:    []EvidenceRef{originRef(ev, s, "windowsAuthentication", "providers", "providers: "+providersText(prov))},
			Remediation: []Remedy{providersRemedy("Offer Negotiate first, then NTLM, on "+t.Path, "add-negotiate", t.Path, prov, desired)},
			Cause:       "no-negotiate",
		})
	}
	return nil
}

func runNoNTLMFallback(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		prov := s.WindowsAuth.Providers
		var plainNeg, kerbOnly bool
		for _, pr := range prov {
			switch {
			case strings.EqualFold(pr, "Negotiate"):
				plainNeg = true
			case strings.EqualFold(pr, "Negotiate:Kerberos"):
				kerbOnly = true
			}
		}
		if !containsFold(prov, "NTLM") && (plainNeg || kerbOnly) {
			sev, msg := Info, ""
			if !plainNeg {
				sev = Warning
				msg = fmt.Sprintf("%s offers only Negotiate:Kerberos (providers %s): there is no NTLM fallback, so every client must obtain a Kerberos ticket for the right SPN; non-domain clients (CEM, workgroup) cannot authenticate.", t.Path, providersText(prov))
				if ev.Scenario.NonDomainClients {
					sev = Error
					msg += " The scenario says non-domain clients exist: they will fail."
				}
			} else {
				msg = fmt.Sprintf("%s offers Negotiate without a separate NTLM provider (providers %s): Kerberos must work for clients that cannot negotiate NTLM inside SPNEGO.", t.Path, providersText(prov))
				if ev.Scenario.NonDomainClients {
					sev = Warning
					msg += " The scenario says non-domain clients exist: clients that offer only NTLM get no challenge they accept."
				}
			}
			addNTLM := providersRemedy("Add NTLM after Negotiate on "+t.Path+" as a fallback", "add-ntlm", t.Path, prov, append(append([]string{}, prov...), "NTLM"))
			addNTLM.Tradeoff = "NTLM becomes possible for every client: weaker than Kerberos (no mutual authentication, relayable, user names visible on the wire); Negotiate stays first, so Kerberos is still preferred."
			rems := []Remedy{{
				Summary: "Keep Kerberos-only and validate Kerberos end to end for every client (SPN, KRB and NEG checks)",
				Choice:  "keep-kerberos-only",
			}, addNTLM}
			if ev.Scenario.NonDomainClients {
				rems[0], rems[1] = rems[1], rems[0]
			}
			if ev.Scenario.NTLMDisabled {
				rems = []Remedy{rems[0]}
				if rems[0].Choice != "keep-kerberos-only" {
					rems[0] = rems[1]
				}
			}
			p.ReportAs(sev, Finding{
				Subject:     t.Path,
				Message:     msg,
				Evidence:    []EvidenceRef{originRef(ev, s, "windowsAuthentication", "providers", "providers: "+providersText(prov))},
				Remediation: rems,
				Cause:       "no-ntlm-fallback",
			})
		}
	}
	return nil
}

func runAuthPersistNonNTLM(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		if t.Rule == nil || !t.Rule.AuthPersistNonNTLM || s.WindowsAuth.AuthPersistNonNTLM {
			continue
		}
		prov := s.WindowsAuth.Providers
		workaround := negotiateFirst(prov)
		// The NTLM-first order: NTLM moved before every other provider.
		var ntlmFirst []string
		for _, pr := range workaround {
			if strings.EqualFold(pr, "NTLM") {
				ntlmFirst = append([]string{pr}, ntlmFirst...)
			} else {
				ntlmFirst = append(ntlmFirst, pr)
			}
		}
		if !containsFold(ntlmFirst, "NTLM") {
			ntlmFirst = append([]string{"NTLM"}, ntlmFirst...)
		}
		rems := []Remedy{setBoolRemedy("Set authPersistNonNTLM to True on "+t.Path, t.Path, "windowsAuthentication", "authPersistNonNTLM", true)}
		rems[0].Tradeoff = "Kerberos authentication is then kept for the whole connection; only a proxy that shares one upstream connection among several users would need per-request authentication."
		if !ev.Scenario.NTLMDisabled {
			wa := providersRemedy("Workaround only: list NTLM before Negotiate on "+t.Path, "ntlm-first", t.Path, prov, ntlmFirst)
			wa.Tradeoff = "Not a fix: agents then always use NTLM and never Kerberos - no mutual authentication, NTLM relay exposure, user names visible on the wire - and it breaks where NTLM is disabled. Prefer authPersistNonNTLM=True."
			wa.Workaround = true
			rems = append(rems, wa)
		}
		p.Report(Finding{
			Subject:     t.Path,
			Message:     fmt.Sprintf("authPersistNonNTLM is false on %s: IIS makes Kerberos clients re-authenticate on every request, which the Symantec Management Agent reports as \"request level authentication is not supported\" (0x80042D21, Broadcom KB 173598).", t.Path),
			Evidence:    []EvidenceRef{originRef(ev, s, "windowsAuthentication", "authPersistNonNTLM", "windowsAuthentication authPersistNonNTLM=false")},
			Remediation: rems,
			Cause:       "auth-persist-non-ntlm",
		})
	}
	return nil
}

// httpSPNsOf returns the HTTP SPNs the directory shows on account, and
// whether the directory answered. The answer is looked up once per run and
// account, however many paths the account's pool serves.
func httpSPNsOf(ctx context.Context, p *Pass, account string) ([]string, bool) {
	dir := p.Evidence.Directory
	if dir == nil || account == "" {
		return nil, false
	}
	type answer struct {
		spns  []string
		known bool
	}
	v, _ := p.Shared("iis:httpspns:"+account, func() (any, error) {
		name := account
		if user, _, ok := strings.Cut(account, "@"); ok && !strings.Contains(account, `\`) {
			name = user // a UPN: look the account up by its sAMAccountName (usually the same)
		}
		ans, err := dir.Account(ctx, name)
		if err != nil || len(ans.Accounts) == 0 {
			return answer{}, nil
		}
		a := answer{known: true}
		for _, acc := range ans.Accounts {
			for _, v := range acc.SPNs {
				if len(v) > 5 && strings.EqualFold(v[:5], "HTTP/") {
					a.spns = append(a.spns, v)
				}
			}
		}
		return a, nil
	})
	a, _ := v.(answer)
	return a.spns, a.known
}

func runAppPoolCredentials(ctx context.Context, p *Pass) error {
	ev := p.Evidence
	// Informational notes are grouped per pool and situation, so a pool
	// serving many paths yields one note.
	type note struct {
		first *iisconfig.Settings
		paths []string
		msg   func(paths string) string
		refs  []EvidenceRef
	}
	var notes []*note
	noteIdx := map[string]*note{}
	addNote := func(key string, s *iisconfig.Settings, msg func(string) string, refs ...EvidenceRef) {
		n := noteIdx[key]
		if n == nil {
			n = &note{first: s, msg: msg, refs: refs}
			noteIdx[key] = n
			notes = append(notes, n)
		}
		n.paths = append(n.paths, s.Path)
	}
	for _, t := range windowsTargets(p) {
		s := t.Settings
		w := s.WindowsAuth
		if s.AppPool == nil || !hasNegotiateProvider(w.Providers) {
			continue // IIS008 / IIS004
		}
		pool := s.AppPool
		user := pool.IdentityType == iisconfig.SpecificUser && pool.UserName != "" && !strings.HasPrefix(pool.UserName, `.\`)
		credRef := originRef(ev, s, "windowsAuthentication", "useAppPoolCredentials", fmt.Sprintf("useAppPoolCredentials=%t", w.UseAppPoolCredentials))
		kernRef := originRef(ev, s, "windowsAuthentication", "useKernelMode", fmt.Sprintf("useKernelMode=%t", w.UseKernelMode))
		switch {
		case w.UseKernelMode && !w.UseAppPoolCredentials && user:
			spns, known := httpSPNsOf(ctx, p, pool.UserName)
			if !known || len(spns) == 0 {
				addNote("computer|"+pool.Name, s, func(paths string) string {
					return fmt.Sprintf("%s run in pool %q as %s, but kernel-mode authentication without useAppPoolCredentials decrypts tickets with the computer account: HTTP SPNs must be on the computer account, not on %s.", paths, pool.Name, pool.UserName, pool.UserName)
				}, credRef, kernRef, poolRef(ev, s))
				continue
			}
			p.ReportAs(Error, Finding{
				Subject: t.Path,
				Message: fmt.Sprintf("%s: the pool account %s holds %s, so clients get tickets encrypted for it, but kernel-mode authentication without useAppPoolCredentials decrypts with the computer account: the tickets fail with KRB_AP_ERR_MODIFIED and clients fall back to NTLM (console 401.1, Broadcom KB 155783).", t.Path, pool.UserName, strings.Join(spns, ", ")),
				Evidence: []EvidenceRef{credRef, kernRef, poolRef(ev, s),
					{Source: ev.Directory.Describe(), Detail: pool.UserName + " holds " + strings.Join(spns, ", ")}},
				Remediation: spnOwnerRemedies(ctx, p, t, pool.UserName, spns),
				Cause:       "spn-owner",
			})
		case w.UseKernelMode && w.UseAppPoolCredentials && user:
			spns, known := httpSPNsOf(ctx, p, pool.UserName)
			if !known || len(spns) > 0 {
				continue // consistent, or unverifiable (SPN001 covers the SPNs themselves)
			}
			p.Report(Finding{
				Subject:  t.Path,
				Message:  fmt.Sprintf("useAppPoolCredentials is true on %s, so %s must decrypt tickets, but the directory shows no HTTP SPN on it: clients get tickets for the computer account (HOST mapping) and fail with KRB_AP_ERR_MODIFIED.", t.Path, pool.UserName),
				Evidence: []EvidenceRef{credRef, poolRef(ev, s), {Source: ev.Directory.Describe(), Detail: pool.UserName + " holds no HTTP SPN"}},
				Remediation: []Remedy{
					{Summary: "Register the site's HTTP SPNs on " + pool.UserName + " (see SPN001 for the exact setspn -S commands)", Choice: "register-spn"},
					setBoolRemedy("Decrypt with the computer account instead: set useAppPoolCredentials to False on "+t.Path, t.Path, "windowsAuthentication", "useAppPoolCredentials", false),
				},
				Cause: "spn-missing",
			})
		case w.UseAppPoolCredentials && (!w.UseKernelMode || pool.IdentityType != iisconfig.SpecificUser):
			why := "useKernelMode is false, so the pool identity decrypts tickets anyway"
			if w.UseKernelMode {
				why = fmt.Sprintf("the pool runs as %s, a built-in identity whose tickets the computer account decrypts", pool.IdentityType)
			}
			addNote("noeffect|"+pool.Name+"|"+why, s, func(paths string) string {
				return fmt.Sprintf("useAppPoolCredentials=true has no effect on %s: %s.", paths, why)
			}, credRef, poolRef(ev, s))
		}
	}
	for _, n := range notes {
		paths := strings.Join(n.paths, ", ")
		p.ReportAs(Info, Finding{Subject: n.first.Path, Message: n.msg(paths), Evidence: n.refs})
	}
	return nil
}

// holdersOf returns the accounts the directory shows holding s, looked up
// once per run.
func holdersOf(ctx context.Context, p *Pass, s string) []string {
	dir := p.Evidence.Directory
	if dir == nil {
		return nil
	}
	v, _ := p.Shared("iis:holders:"+strings.ToLower(s), func() (any, error) {
		ans, err := dir.Owners(ctx, s)
		if err != nil && len(ans.Accounts) == 0 {
			return []string(nil), nil
		}
		var out []string
		for _, a := range ans.Accounts {
			out = append(out, cmp.Or(a.Name, a.SAMAccountName, a.DN))
		}
		return out, nil
	})
	out, _ := v.([]string)
	return out
}

// spnOwnerRemedies are the two ways to fix HTTP SPNs held by a pool account
// while the computer account decrypts: make IIS decrypt with the pool
// account (useAppPoolCredentials=true; other holders of those SPNs lose
// them), or move the SPNs to the computer account. The first is listed
// first when every Windows-authenticated path of the site runs as that
// account (an IIS-only change, Broadcom KB 155783); otherwise moving the
// SPNs is, because one SPN can name only one account.
func spnOwnerRemedies(ctx context.Context, p *Pass, t Target, poolUser string, spns []string) []Remedy {
	ev := p.Evidence
	pool := setBoolRemedy("Decrypt with the pool account: set useAppPoolCredentials to True on "+t.Path+" (KB 155783)", t.Path, "windowsAuthentication", "useAppPoolCredentials", true)
	pool.Choice = "decrypt-with-pool-account"
	move := Remedy{Summary: "Move the HTTP SPNs from " + poolUser + " to the computer account", Choice: "move-spns"}
	computer, haveComputer := ownerOf(ev, iisconfig.DecryptingAccount{Kind: iisconfig.ComputerAccount})
	for _, sp := range spns {
		for _, h := range holdersOf(ctx, p, sp) {
			if accountKey(h) != accountKey(poolUser) {
				pool.Actions = append(pool.Actions, removeSPNAction(sp, h))
				move.Actions = append(move.Actions, removeSPNAction(sp, h))
			}
		}
		move.Actions = append(move.Actions, removeSPNAction(sp, poolUser))
		if haveComputer {
			move.Actions = append(move.Actions, addSPNAction(sp, computer.Account, spn.Computer))
		}
	}
	for _, a := range pool.Actions[1:] {
		pool.Commands = append(pool.Commands, a.CommandLines()...)
	}
	for _, a := range move.Actions {
		move.Commands = append(move.Commands, a.CommandLines()...)
	}
	if !haveComputer {
		move.Summary += " (its name is unknown: give the host's computer name)"
	}
	samePool := true
	for _, o := range windowsTargets(p) {
		if o.Settings.Site != t.Settings.Site || !hasNegotiateProvider(o.Settings.WindowsAuth.Providers) {
			continue
		}
		if o.Settings.AppPool == nil || !strings.EqualFold(o.Settings.AppPool.UserName, poolUser) {
			samePool = false
		}
	}
	if samePool {
		return []Remedy{pool, move}
	}
	return []Remedy{move, pool}
}

// hasNegotiateProvider reports whether a providers list includes a Negotiate variant.
func hasNegotiateProvider(providers []string) bool {
	for _, p := range providers {
		if isNegotiate(p) {
			return true
		}
	}
	return false
}

func runUnusableIdentity(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		d := s.Decrypting
		var msg string
		var rems []Remedy
		switch {
		case s.AppPool == nil && s.AppPoolName != "":
			msg = fmt.Sprintf("%s uses application pool %q, which is not defined: the application cannot start (503) and no account can be named as the ticket decrypter.", t.Path, s.AppPoolName)
			if ev.Config.AppPool("DefaultAppPool") != nil {
				rems = []Remedy{{Summary: fmt.Sprintf("Assign an existing pool (DefaultAppPool) to the application %s", appPathOf(s)), Commands: []string{
					fmt.Sprintf(`%s set app "%s" /applicationPool:"DefaultAppPool"`, appcmdExe, appPathOf(s)),
					fmt.Sprintf(`Set-ItemProperty 'IIS:\Sites\%s' -Name applicationPool -Value 'DefaultAppPool'`, psQuote(strings.ReplaceAll(appPathOf(s), "/", `\`))),
				}, Actions: []Action{{Kind: ActSetApplicationPool, Path: appPathOf(s), Pool: "DefaultAppPool"}}, Choice: "assign-pool"}}
			} else {
				var names []string
				for _, ap := range ev.Config.AppPoolList() {
					names = append(names, ap.Name)
				}
				rems = []Remedy{{Summary: fmt.Sprintf("Assign an existing pool to the application %s (defined: %s)", appPathOf(s), listSubjects(names, 5)), Choice: "assign-pool"}}
			}
		case s.AppPool == nil:
			msg = fmt.Sprintf("%s has no application pool (no applicationPool attribute and no <applicationDefaults>): no account can be named as the ticket decrypter.", t.Path)
		case s.AppPool.IdentityType == iisconfig.SpecificUser && strings.TrimSpace(s.AppPool.UserName) == "":
			msg = fmt.Sprintf("%s: the pool %q is SpecificUser with no userName: WAS cannot start it (503), and no account can be named for useAppPoolCredentials or user-mode authentication.", t.Path, s.AppPool.Name)
			rems = []Remedy{{
				Summary:  fmt.Sprintf("Set the identity of pool %q (a domain account, or ApplicationPoolIdentity)", s.AppPool.Name),
				Commands: poolIdentityCommands(s.AppPool.Name),
				Actions:  []Action{{Kind: ActSetPoolIdentity, Pool: s.AppPool.Name, Identity: "ApplicationPoolIdentity"}},
				Choice:   "pool-identity:" + strings.ToLower(s.AppPool.Name),
			}}
		case d.Kind == iisconfig.Unsupported || d.Kind == iisconfig.Undetermined:
			msg = fmt.Sprintf("%s: the pool %q cannot take part in Kerberos: %s.", t.Path, s.AppPool.Name, d.Reason)
			rems = []Remedy{{
				Summary:  fmt.Sprintf("Run pool %q as ApplicationPoolIdentity (tickets then decrypted by the computer account)", s.AppPool.Name),
				Commands: poolIdentityCommands(s.AppPool.Name),
				Tradeoff: "the application then accesses network resources as the computer account; grant it what the old identity had",
				Actions:  []Action{{Kind: ActSetPoolIdentity, Pool: s.AppPool.Name, Identity: "ApplicationPoolIdentity"}},
				Choice:   "pool-identity:" + strings.ToLower(s.AppPool.Name),
			}, {
				Summary: fmt.Sprintf("Run pool %q as a domain account (SpecificUser) instead, with the HTTP SPNs registered on it and useAppPoolCredentials=true", s.AppPool.Name),
			}}
		default:
			continue
		}
		cause := "pool-identity:" + strings.ToLower(s.AppPoolName)
		if s.AppPool == nil {
			cause = "pool-missing:" + strings.ToLower(appPathOf(s))
		}
		p.Report(Finding{Subject: t.Path, Message: msg, Evidence: []EvidenceRef{poolRef(ev, s)}, Remediation: rems, Cause: cause})
	}
	return nil
}

// appPathOf returns the application path of s in appcmd form ("Default Web
// Site/Altiris/NS", "Default Web Site/").
func appPathOf(s *iisconfig.Settings) string {
	if s.Application == nil {
		return s.Site + "/"
	}
	return s.Application.Site + s.Application.Path
}

func runExtendedProtection(_ context.Context, p *Pass) error {
	ev := p.Evidence
	if !ev.Scenario.TLSInspection {
		return nil
	}
	for _, t := range windowsTargets(p) {
		s := t.Settings
		ep := s.WindowsAuth.ExtendedProtection
		if ep.TokenChecking != "Require" && ep.TokenChecking != "Allow" {
			continue
		}
		sev := Error
		effect := "every Windows authentication fails (401, SEC_E_BAD_BINDINGS 2148074310 in the IIS log)"
		if ep.TokenChecking == "Allow" {
			sev = Warning
			effect = "clients that send a channel binding (current Windows and browsers) fail (SEC_E_BAD_BINDINGS)"
		}
		p.ReportAs(sev, Finding{
			Subject: t.Path,
			Message: fmt.Sprintf("Extended protection tokenChecking=%s on %s while TLS is inspected or terminated upstream: the client's channel binding is for the inspecting device's certificate, so %s.", ep.TokenChecking, t.Path, effect),
			Evidence: []EvidenceRef{
				originRef(ev, s, "windowsAuthentication", "extendedProtection/tokenChecking", fmt.Sprintf("extendedProtection tokenChecking=%s flags=%s", ep.TokenChecking, ep.Flags)),
				{Source: "scenario", Detail: "TLS inspection or termination upstream"},
			},
			Cause: "extended-protection",
			Remediation: []Remedy{
				{Summary: "Exempt this host from TLS inspection on the intermediary (keeps extended protection)", Choice: "exempt-tls-inspection",
					Actions: []Action{{Kind: ActManual, Where: WhereNetwork, Text: "exempt this host from TLS inspection on the intermediary"}}},
				{
					Choice:  "token-checking-none",
					Actions: []Action{setConfigValueAction(t.Path, "windowsAuthentication", "extendedProtection.tokenChecking", "None")},
					Summary: "Turn token checking off on " + t.Path,
					Commands: []string{
						appcmdSet(t.Path, "windowsAuthentication", "extendedProtection.tokenChecking", "None"),
						psSet(t.Path, "windowsAuthentication/extendedProtection", "tokenChecking", "'None'"),
					},
					Tradeoff: "removes the protection against credential relay that channel binding gives",
				},
			},
		})
	}
	return nil
}

func runWeakOrPerRequest(_ context.Context, p *Pass) error {
	ev := p.Evidence
	for _, t := range windowsTargets(p) {
		s := t.Settings
		if s.Basic.Enabled {
			p.Report(Finding{
				Subject:     t.Path,
				Message:     fmt.Sprintf("Basic authentication is enabled beside Windows Authentication on %s: clients may send passwords base64-encoded (clear text without TLS), and browsers prompt for credentials.", t.Path),
				Evidence:    []EvidenceRef{originRef(ev, s, "basicAuthentication", "enabled", "basicAuthentication enabled=true")},
				Remediation: []Remedy{setBoolRemedy("Disable Basic authentication on "+t.Path, t.Path, "basicAuthentication", "enabled", false)},
				Cause:       "basic-enabled",
			})
		}
		if s.Digest.Enabled {
			p.Report(Finding{
				Subject:     t.Path,
				Message:     fmt.Sprintf("Digest authentication is enabled beside Windows Authentication on %s: it needs reversibly stored passwords and is weaker than Kerberos.", t.Path),
				Evidence:    []EvidenceRef{originRef(ev, s, "digestAuthentication", "enabled", "digestAuthentication enabled=true")},
				Remediation: []Remedy{setBoolRemedy("Disable Digest authentication on "+t.Path, t.Path, "digestAuthentication", "enabled", false)},
				Cause:       "digest-enabled",
			})
		}
		if s.WindowsAuth.AuthPersistSingleRequest {
			sev := Warning
			msg := fmt.Sprintf("authPersistSingleRequest is true on %s: IIS discards the authentication after every request (NTLM included), so each request needs a full handshake.", t.Path)
			if t.Rule != nil && t.Rule.AuthPersistNonNTLM {
				sev = Error
				msg += " The Symantec Management Agent then fails with \"request level authentication is not supported\" (Broadcom KB 173598)."
			}
			p.ReportAs(sev, Finding{
				Subject:     t.Path,
				Message:     msg,
				Evidence:    []EvidenceRef{originRef(ev, s, "windowsAuthentication", "authPersistSingleRequest", "windowsAuthentication authPersistSingleRequest=true")},
				Remediation: []Remedy{setBoolRemedy("Set authPersistSingleRequest to False on "+t.Path, t.Path, "windowsAuthentication", "authPersistSingleRequest", false)},
				Cause:       "per-request-auth",
			})
		}
	}
	return nil
}
