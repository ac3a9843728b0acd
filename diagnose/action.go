package diagnose

import (
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/spn"
)

// ActionKind names one kind of change a remediation makes.
type ActionKind string

// Action kinds. Each renders to exact commands and, where the SDK has a
// model of the thing it changes, applies to an in-memory copy of the
// evidence so the plan can be verified (see Report.AfterPlan).
const (
	// ActSetConfig sets Attribute=Value of the authentication Section at
	// config Path ("" = server level), as appcmd /commit:apphost does.
	ActSetConfig ActionKind = "set_config"
	// ActSetProviders replaces the windowsAuthentication providers at Path
	// (From is the current list, Providers the wanted one).
	ActSetProviders ActionKind = "set_providers"
	// ActSetPoolIdentity sets the identity type of application pool Pool.
	ActSetPoolIdentity ActionKind = "set_app_pool_identity"
	// ActSetApplicationPool assigns application pool Pool to the
	// application at Path.
	ActSetApplicationPool ActionKind = "set_application_pool"
	// ActAddSPN registers SPN on Account.
	ActAddSPN ActionKind = "add_spn"
	// ActRemoveSPN removes SPN from Account.
	ActRemoveSPN ActionKind = "remove_spn"
	// ActSetEncTypes allows AES for Account (msDS-SupportedEncryptionTypes).
	ActSetEncTypes ActionKind = "set_enctypes"
	// ActPurgeTickets discards the cached Kerberos tickets on the clients.
	ActPurgeTickets ActionKind = "purge_tickets"
	// ActVerify re-tests from a client (klist get, a request).
	ActVerify ActionKind = "verify"
	// ActManual is a change the SDK cannot model (network, DNS, upgrade):
	// Text says what to do; Commands, when given, are exact.
	ActManual ActionKind = "manual"
)

// Action is one structured change. Commands are derived from it; the
// simulation applies it to a copy of the evidence.
type Action struct {
	// Kind says what the action does.
	Kind ActionKind `json:"kind"`
	// Path is the configuration path ("Default Web Site/Altiris"; "" is
	// server level) of ActSetConfig and ActSetProviders.
	Path string `json:"path,omitempty"`
	// Section is the authentication section ("windowsAuthentication").
	Section string `json:"section,omitempty"`
	// Attribute is the attribute to set ("authPersistNonNTLM",
	// "extendedProtection.tokenChecking").
	Attribute string `json:"attribute,omitempty"`
	// Value is the value as appcmd writes it ("True", "None").
	Value string `json:"value,omitempty"`
	// From and Providers are the current and the wanted providers.
	From      []string `json:"from,omitempty"`
	Providers []string `json:"providers,omitempty"`
	// Pool and Identity name the application pool and its new identity
	// type (ActSetPoolIdentity).
	Pool     string `json:"pool,omitempty"`
	Identity string `json:"identity,omitempty"`
	// SPN is the service principal name added or removed.
	SPN string `json:"spn,omitempty"`
	// Account names the directory account as the evidence names it
	// ("EXAMPLE\NS01$", "svc-web", or a distinguished name).
	Account string `json:"account,omitempty"`
	// AccountKind is "computer", "user", "managed-service-account" or
	// "unknown".
	AccountKind string `json:"account_kind,omitempty"`
	// Targets are the SPNs to re-test (ActVerify).
	Targets []string `json:"targets,omitempty"`
	// Where is where a manual action runs.
	Where string `json:"where,omitempty"`
	// Text describes a manual action.
	Text string `json:"text,omitempty"`
	// Commands are the exact commands of a manual action, when known.
	Commands []string `json:"commands,omitempty"`
}

// ActionWhere returns where the action runs: "iis-server",
// "active-directory", "client", "dns" or "network".
func (a Action) ActionWhere() string {
	switch a.Kind {
	case ActSetConfig, ActSetProviders, ActSetPoolIdentity, ActSetApplicationPool:
		return WhereIISServer
	case ActAddSPN, ActRemoveSPN, ActSetEncTypes:
		return WhereActiveDirectory
	case ActPurgeTickets, ActVerify:
		return WhereClient
	}
	if a.Where != "" {
		return a.Where
	}
	return WhereIISServer
}

// isDN reports whether s looks like a distinguished name.
func isDN(s string) bool {
	return strings.Contains(s, "=") && strings.Contains(s, ",")
}

// Shell returns the shell the action's commands are written for: cmd for
// appcmd, setspn and klist; PowerShell for the ActiveDirectory module.
func (a Action) Shell() string {
	switch a.Kind {
	case ActSetEncTypes:
		return ShellPowerShell
	case ActAddSPN, ActRemoveSPN:
		if isDN(a.Account) {
			return ShellPowerShell
		}
		return ShellCmd
	case ActManual:
		if len(a.Commands) == 0 {
			return ""
		}
		if strings.Contains(a.Commands[0], "-") && (strings.HasPrefix(a.Commands[0], "Set-") || strings.HasPrefix(a.Commands[0], "Get-")) {
			return ShellPowerShell
		}
	}
	return ShellCmd
}

// samOf strips a "DOMAIN\" prefix: the ActiveDirectory cmdlets take the
// sAMAccountName as -Identity.
func samOf(account string) string {
	if _, sam, ok := strings.Cut(account, `\`); ok {
		return sam
	}
	return account
}

// Commands returns the exact commands for the action's Shell.
func (a Action) CommandLines() []string {
	switch a.Kind {
	case ActSetConfig:
		return []string{appcmdSet(a.Path, a.Section, a.Attribute, a.Value)}
	case ActSetProviders:
		cmds := providerCommands(a.Path, a.From, a.Providers)
		var out []string
		for _, c := range cmds {
			if strings.HasPrefix(c, appcmdExe) {
				out = append(out, c)
			}
		}
		return out
	case ActSetPoolIdentity:
		return []string{fmt.Sprintf(`%s set apppool "%s" /processModel.identityType:"%s"`, appcmdExe, a.Pool, a.Identity)}
	case ActSetApplicationPool:
		return []string{fmt.Sprintf(`%s set app "%s" /applicationPool:"%s"`, appcmdExe, a.Path, a.Pool)}
	case ActAddSPN:
		if isDN(a.Account) {
			return []string{fmt.Sprintf(`Set-ADObject -Identity '%s' -Add @{servicePrincipalName='%s'}`, psQuote(a.Account), psQuote(a.SPN))}
		}
		return []string{spn.SetspnAdd(a.SPN, a.Account)}
	case ActRemoveSPN:
		if isDN(a.Account) {
			return []string{fmt.Sprintf(`Set-ADObject -Identity '%s' -Remove @{servicePrincipalName='%s'}`, psQuote(a.Account), psQuote(a.SPN))}
		}
		return []string{spn.SetspnDelete(a.SPN, a.Account)}
	case ActSetEncTypes:
		switch {
		case isDN(a.Account):
			return []string{fmt.Sprintf(`Set-ADObject -Identity '%s' -Replace @{'msDS-SupportedEncryptionTypes'=24}`, psQuote(a.Account))}
		case a.AccountKind == "computer" || strings.HasSuffix(a.Account, "$") && a.AccountKind != "managed-service-account":
			return []string{fmt.Sprintf(`Set-ADComputer -Identity '%s' -KerberosEncryptionType AES128,AES256`, psQuote(samOf(a.Account)))}
		case a.AccountKind == "managed-service-account":
			return []string{fmt.Sprintf(`Set-ADServiceAccount -Identity '%s' -KerberosEncryptionType AES128,AES256`, psQuote(samOf(a.Account)))}
		default:
			return []string{fmt.Sprintf(`Set-ADUser -Identity '%s' -KerberosEncryptionType AES128,AES256`, psQuote(samOf(a.Account)))}
		}
	case ActPurgeTickets:
		return []string{"klist purge"}
	case ActVerify:
		var out []string
		for _, t := range a.Targets {
			out = append(out, "klist get "+t)
		}
		return out
	}
	return append([]string(nil), a.Commands...)
}

// Describe says what the action does in a few words.
func (a Action) Describe() string {
	at := a.Path
	if at == "" {
		at = "server level"
	}
	switch a.Kind {
	case ActSetConfig:
		return fmt.Sprintf("set %s %s=%s at %s", a.Section, a.Attribute, a.Value, at)
	case ActSetProviders:
		return fmt.Sprintf("set providers %s at %s", strings.Join(a.Providers, ", "), at)
	case ActSetPoolIdentity:
		return fmt.Sprintf("run pool %q as %s", a.Pool, a.Identity)
	case ActSetApplicationPool:
		return fmt.Sprintf("run application %s in pool %q", a.Path, a.Pool)
	case ActAddSPN:
		return fmt.Sprintf("register %s on %s", a.SPN, a.Account)
	case ActRemoveSPN:
		return fmt.Sprintf("remove %s from %s", a.SPN, a.Account)
	case ActSetEncTypes:
		return "allow AES for " + a.Account
	case ActPurgeTickets:
		return "purge cached Kerberos tickets on the clients"
	case ActVerify:
		return "request fresh tickets for " + strings.Join(a.Targets, ", ")
	}
	return a.Text
}

// key identifies an action for de-duplication.
func (a Action) key() string {
	return strings.ToLower(strings.Join([]string{string(a.Kind), a.Path, a.Section, a.Attribute, a.Value,
		strings.Join(a.Providers, ","), a.Pool, a.Identity, a.SPN, accountKey(a.Account), strings.Join(a.Targets, ","), a.Text}, "\x00"))
}

// simulated reports whether the simulation models the action.
func (a Action) simulated() bool {
	switch a.Kind {
	case ActSetConfig, ActSetProviders, ActSetPoolIdentity, ActSetApplicationPool, ActAddSPN, ActRemoveSPN, ActSetEncTypes:
		return true
	}
	return false
}

// edit returns the iisconfig edit of a configuration action.
func (a Action) edit() (iisconfig.Edit, bool) {
	switch a.Kind {
	case ActSetConfig:
		return iisconfig.Edit{Kind: iisconfig.SetAttribute, Path: a.Path, Section: a.Section, Attribute: a.Attribute, Value: a.Value}, true
	case ActSetProviders:
		return iisconfig.Edit{Kind: iisconfig.SetProviders, Path: a.Path, Providers: a.Providers}, true
	case ActSetPoolIdentity:
		id := iisconfig.ApplicationPoolIdentity
		switch strings.ToLower(a.Identity) {
		case "networkservice":
			id = iisconfig.NetworkService
		case "localsystem":
			id = iisconfig.LocalSystem
		}
		return iisconfig.Edit{Kind: iisconfig.SetAppPoolIdentity, AppPool: a.Pool, IdentityType: id}, true
	case ActSetApplicationPool:
		return iisconfig.Edit{Kind: iisconfig.SetApplicationPool, Path: a.Path, AppPool: a.Pool}, true
	}
	return iisconfig.Edit{}, false
}

// Constructors the checks use.

func setConfigAction(path, section, attr string, v bool) Action {
	return Action{Kind: ActSetConfig, Path: path, Section: section, Attribute: attr, Value: appcmdBool(v)}
}

func setConfigValueAction(path, section, attr, value string) Action {
	return Action{Kind: ActSetConfig, Path: path, Section: section, Attribute: attr, Value: value}
}

func providersAction(path string, from, to []string) Action {
	return Action{Kind: ActSetProviders, Path: path, From: append([]string(nil), from...), Providers: append([]string(nil), to...)}
}

func addSPNAction(s, account string, kind spn.AccountKind) Action {
	return Action{Kind: ActAddSPN, SPN: s, Account: account, AccountKind: accountKindName(kind, account)}
}

func removeSPNAction(s, account string) Action {
	return Action{Kind: ActRemoveSPN, SPN: s, Account: account, AccountKind: accountKindName(spn.Unknown, account)}
}

func accountKindName(k spn.AccountKind, account string) string {
	switch k {
	case spn.Computer:
		return "computer"
	case spn.User:
		return "user"
	case spn.ManagedServiceAccount:
		return "managed-service-account"
	}
	if strings.HasSuffix(account, "$") {
		return "computer"
	}
	return "unknown"
}

// remedyFrom returns a Remedy whose Commands are derived from its actions:
// the commands of each action in order (cmd and PowerShell ones each as
// written for their shell).
func remedyFrom(summary, tradeoff string, actions ...Action) Remedy {
	r := Remedy{Summary: summary, Tradeoff: tradeoff, Actions: actions}
	for _, a := range actions {
		r.Commands = append(r.Commands, a.CommandLines()...)
	}
	return r
}
