package iisconfig

import (
	"encoding/json"
	"strconv"

	"github.com/beevik/etree"
)

// Config is a parsed applicationHost.config: the sites, application pools and
// <location> tags it declares, plus the warnings found while reading it. Use
// [Config.Effective] and [Config.Applications] for the effective
// authentication settings of a path. A Config is safe for concurrent use by
// multiple goroutines once returned; treat its fields as read-only.
type Config struct {
	// Name is the source name given to ParseFile or Options.Name ("" when the
	// caller gave none); Describe uses its base name when citing lines.
	Name string `json:"name,omitempty"`
	// Sites lists the <site> elements in document order.
	Sites []*Site `json:"sites"`
	// AppPools maps each application pool's name, as written, to the pool with
	// <applicationPoolDefaults> applied. Use [Config.AppPool] for the
	// case-insensitive lookup IIS performs.
	AppPools map[string]*AppPool `json:"app_pools"` // JSON: a list in document order
	// Locations lists every <location> tag in document order.
	Locations []*LocationTag `json:"locations"`
	// Warnings lists problems that do not stop parsing (unknown app pool
	// references, duplicate site ids, location paths naming no site, ...).
	Warnings []Warning `json:"warnings"`

	web        []*WebConfig        // attached by WithWebConfigs, in the order given
	webLayers  []*webApplied       // their layers, in IIS merge order
	pools      []*AppPool          // document order
	poolIndex  map[string]*AppPool // lower-cased name
	siteIndex  map[string]*Site    // lower-cased name
	appIndex   map[string]*Application
	locIndex   map[string]*locBucket // normalised location path -> its tags and layers
	server     []*layer              // server-level layers in document order
	schema     *Schema
	src        *source
	sectionDef map[string]string
}

// MarshalJSON encodes the configuration with snake_case keys: the
// application pools as a list in document order (pool names are data, not
// keys) and the warnings as {kind, message, locator}.
func (c Config) MarshalJSON() ([]byte, error) {
	pools := c.pools
	if pools == nil {
		pools = []*AppPool{}
	}
	return json.Marshal(struct {
		Name      string         `json:"name,omitempty"`
		Sites     []*Site        `json:"sites"`
		AppPools  []*AppPool     `json:"app_pools"`
		Locations []*LocationTag `json:"locations"`
		Warnings  []warningJSON  `json:"warnings"`
	}{c.Name, c.Sites, pools, c.Locations, warningsJSON(c.Warnings)})
}

// warningJSON is a Warning as the JSON of Config and Settings shows it.
type warningJSON struct {
	Kind    WarningKind `json:"kind"`
	Message string      `json:"message"`
	Locator Locator     `json:"locator"`
}

// warningsJSON converts ws for JSON: a list, never null.
func warningsJSON(ws []Warning) []warningJSON {
	out := make([]warningJSON, len(ws))
	for i, w := range ws {
		out[i] = warningJSON(w)
	}
	return out
}

// Site is one <site> element.
type Site struct {
	// Name is the site name as written.
	Name string `json:"name"`
	// ID is the site id attribute (0 when absent or invalid).
	ID int64 `json:"id"`
	// Bindings lists the site's <binding> elements in document order.
	Bindings []Binding `json:"bindings"`
	// Applications lists the site's <application> elements in document order.
	Applications []*Application `json:"applications"`
	// DefaultAppPool is the applicationPool of the site's (or, failing that,
	// the <sites> level) <applicationDefaults>, "" when neither sets one.
	DefaultAppPool string `json:"default_app_pool,omitempty"`
	// Locator identifies the <site> element; see [Config.Line].
	Locator Locator `json:"locator"`
}

// Binding is one <binding>. For http, https and ftp the bindingInformation
// "address:port:host" is split (from the right, so IPv6 addresses survive);
// other protocols (net.tcp "808:*", net.pipe "*", msmq "localhost") keep only
// Raw.
type Binding struct {
	// Protocol is the protocol attribute, lower-cased ("http", "https", "net.tcp").
	Protocol string `json:"protocol"`
	// Address is the IP address part ("*", "10.0.0.1", "::1" without brackets, or "").
	Address string `json:"address"`
	// Port is the TCP port, 0 when not applicable or not parseable.
	Port int `json:"port"`
	// Host is the host-header part ("" means any host).
	Host string `json:"host"`
	// Raw is the bindingInformation attribute exactly as written.
	Raw string `json:"raw"`
}

// String renders the binding as "protocol raw".
func (b Binding) String() string { return b.Protocol + " " + b.Raw }

// Application is one <application> element of a site.
type Application struct {
	// Site is the name of the site the application belongs to.
	Site string `json:"site"`
	// Path is the application's virtual path ("/" for the site root, "/Altiris/NS").
	Path string `json:"path"`
	// AppPoolName is the effective application pool name: the applicationPool
	// attribute, else the site's or the server's <applicationDefaults>.
	AppPoolName string `json:"app_pool_name"`
	// PhysicalPath is the physical path of the application's root virtual directory.
	PhysicalPath string `json:"physical_path"`
	// VirtualDirectories lists the application's <virtualDirectory> elements.
	VirtualDirectories []VirtualDirectory `json:"virtual_directories"`
	// Locator identifies the <application> element.
	Locator Locator `json:"locator"`

	key  string   // normalised full path
	full string   // FullPath, computed at parse time
	pool *AppPool // resolved pool, nil when unknown
}

// FullPath returns the configuration path of the application, for example
// "Default Web Site" for the root application or "Default Web Site/Altiris/NS".
func (a *Application) FullPath() string {
	if a.full != "" {
		return a.full
	}
	if a.Path == "/" || a.Path == "" {
		return a.Site
	}
	return a.Site + "/" + trimSlashes(a.Path)
}

// VirtualDirectory is one <virtualDirectory> element. Its password, if any, is
// never read.
type VirtualDirectory struct {
	// Path is the virtual directory path relative to its application ("/").
	Path string `json:"path"`
	// PhysicalPath is the physicalPath attribute as written.
	PhysicalPath string `json:"physical_path"`
	// UserName is the userName attribute used for UNC access ("" if none).
	UserName string `json:"user_name"`
}

// IdentityType is an application pool's processModel identityType.
type IdentityType int

// Identity types. The zero value means the type could not be determined.
// [IdentityType.SchemaValue] gives the schema's enum numbers.
const (
	IdentityUnknown IdentityType = iota
	LocalSystem
	LocalService
	NetworkService
	SpecificUser
	ApplicationPoolIdentity
)

var identityNames = [...]string{"Unknown", "LocalSystem", "LocalService", "NetworkService", "SpecificUser", "ApplicationPoolIdentity"}

// String returns the schema name ("ApplicationPoolIdentity", ...).
func (t IdentityType) String() string {
	if t >= 0 && int(t) < len(identityNames) {
		return identityNames[t]
	}
	return "IdentityType(" + strconv.Itoa(int(t)) + ")"
}

// SchemaValue returns the number the IIS schema uses for t (LocalSystem=0 ...
// ApplicationPoolIdentity=4), or -1 for IdentityUnknown.
func (t IdentityType) SchemaValue() int {
	if t < LocalSystem || t > ApplicationPoolIdentity {
		return -1
	}
	return int(t - 1)
}

// MarshalText renders the schema name, so JSON shows "SpecificUser".
func (t IdentityType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// AppPool is an application pool with <applicationPoolDefaults> and schema
// defaults applied. The processModel password is never read: no value of this
// package can reveal it.
type AppPool struct {
	// Name is the pool name as written.
	Name string `json:"name"`
	// IdentityType is the processModel identityType.
	IdentityType IdentityType `json:"identity_type"`
	// UserName is the processModel userName (meaningful for SpecificUser).
	UserName string `json:"user_name"`
	// ManagedRuntimeVersion is "v4.0", "v2.0" or "" (no managed code).
	ManagedRuntimeVersion string `json:"managed_runtime_version"`
	// ManagedPipelineMode is "Integrated" or "Classic".
	ManagedPipelineMode string `json:"managed_pipeline_mode"`
	// AutoStart reports the autoStart attribute (whether WAS starts the pool).
	AutoStart bool `json:"auto_start"`
	// IdentityFromDefaults is true when the identity came from
	// <applicationPoolDefaults> or the schema rather than the pool itself.
	IdentityFromDefaults bool `json:"identity_from_defaults"`
	// Locator identifies the pool's <add> element.
	Locator Locator `json:"locator"`
}

// LocationTag is one <location> element as written.
type LocationTag struct {
	// Path is the path attribute as written ("" or "." = server level).
	Path string `json:"path"`
	// OverrideMode is the overrideMode attribute (Allow, Deny, Inherit) or "".
	OverrideMode string `json:"override_mode"`
	// AllowOverride is the legacy allowOverride attribute (true, false) or "".
	AllowOverride string `json:"allow_override"`
	// InheritInChildApplications is false when the tag says
	// inheritInChildApplications="false".
	InheritInChildApplications bool `json:"inherit_in_child_applications"`
	// Locator identifies the <location> element.
	Locator Locator `json:"locator"`

	key      string // normalised path
	sections uint8  // bit i set: authSectionNames[i] present
}

// authSectionNames are the sections this package evaluates, in bit order.
var authSectionNames = [...]string{secWindows, secAnonymous, secBasic, secDigest}

// Sections lists the authentication sections the tag sets, in the order
// windowsAuthentication, anonymousAuthentication, basicAuthentication,
// digestAuthentication.
func (l *LocationTag) Sections() []string {
	var out []string
	for i, n := range authSectionNames {
		if l.sections&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// ServerLevel reports whether the tag applies at server level (path "" or ".").
func (l *LocationTag) ServerLevel() bool { return l.key == "" }

// Settings are the effective settings for one configuration path.
type Settings struct {
	// Path is the configuration path ("Default Web Site/Altiris/NS/Agent";
	// "" for server level).
	Path string `json:"path"`
	// Site is the site name as written in the config ("" when the path names no site).
	Site string `json:"site"`
	// Application is the application containing the path (nil when none).
	Application *Application `json:"application"`
	// AppPoolName is the effective pool name, set even when no such pool exists.
	AppPoolName string `json:"app_pool_name"`
	// AppPool is the pool, nil when AppPoolName names no pool.
	AppPool *AppPool `json:"app_pool"`
	// Bindings are the site's bindings (shared with the Site: do not modify).
	Bindings []Binding `json:"bindings"`
	// WindowsAuth is the effective windowsAuthentication section.
	WindowsAuth WindowsAuth `json:"windows_auth"`
	// Anonymous is the effective anonymousAuthentication section.
	Anonymous Anonymous `json:"anonymous_auth"`
	// Basic is the effective basicAuthentication section.
	Basic Basic `json:"basic_auth"`
	// Digest is the effective digestAuthentication section.
	Digest Digest `json:"digest_auth"`
	// Decrypting is the account that decrypts Kerberos service tickets for this path.
	Decrypting DecryptingAccount `json:"decrypting_account"`
	// WebConfigErrors lists the web.config problems IIS reports as a
	// configuration error (HTTP 500.19) for requests to this path: a
	// web.config on the path setting a section applicationHost.config locks
	// ([WarnLockedSection]). When it is not empty IIS serves no request here,
	// whatever the settings say. Always empty without [Config.WithWebConfigs].
	WebConfigErrors []Warning `json:"web_config_errors,omitempty"` // JSON: {kind, message, locator}

	origins [numFields]*setter // nil: schema default
}

// MarshalJSON encodes the settings with snake_case keys, bindings as a list
// (never null) and the web.config errors as {kind, message, locator}.
func (s Settings) MarshalJSON() ([]byte, error) {
	type plain Settings
	if s.Bindings == nil {
		s.Bindings = []Binding{}
	}
	var errs []warningJSON
	if len(s.WebConfigErrors) > 0 {
		errs = warningsJSON(s.WebConfigErrors)
	}
	return json.Marshal(struct {
		plain
		WebConfigErrors []warningJSON `json:"web_config_errors,omitempty"`
	}{plain(s), errs})
}

// WindowsAuth is the effective windowsAuthentication section.
type WindowsAuth struct {
	// Enabled is the enabled attribute (schema default false).
	Enabled bool `json:"enabled"`
	// Providers lists the providers in order ("Negotiate", "NTLM", ...);
	// empty when no providers collection applies. The slice may be shared
	// with other Settings: copy it before modifying it.
	Providers []string `json:"providers"`
	// UseKernelMode is the useKernelMode attribute (default true).
	UseKernelMode bool `json:"use_kernel_mode"`
	// UseAppPoolCredentials is the useAppPoolCredentials attribute (default false).
	UseAppPoolCredentials bool `json:"use_app_pool_credentials"`
	// AuthPersistNonNTLM is the authPersistNonNTLM attribute (default false:
	// Kerberos re-authenticates every request).
	AuthPersistNonNTLM bool `json:"auth_persist_non_ntlm"`
	// AuthPersistSingleRequest is the authPersistSingleRequest attribute (default false).
	AuthPersistSingleRequest bool `json:"auth_persist_single_request"`
	// ExtendedProtection is the extendedProtection child element.
	ExtendedProtection ExtendedProtection `json:"extended_protection"`
}

// MarshalJSON encodes the section with providers as a list (never null).
func (w WindowsAuth) MarshalJSON() ([]byte, error) {
	type plain WindowsAuth
	if w.Providers == nil {
		w.Providers = []string{}
	}
	return json.Marshal(plain(w))
}

// ExtendedProtection is the windowsAuthentication/extendedProtection element.
type ExtendedProtection struct {
	// TokenChecking is "None", "Allow" or "Require".
	TokenChecking string `json:"token_checking"`
	// Flags is the flags attribute normalised to a comma-separated list of
	// flag names ("None", "Proxy,NoServiceNameCheck").
	Flags string `json:"flags"`
	// SPNs lists the <spn name> values in order (shared like Providers).
	SPNs []string `json:"spns,omitempty"`
}

// Anonymous is the effective anonymousAuthentication section. Its password is never read.
type Anonymous struct {
	// Enabled is the enabled attribute (default true).
	Enabled bool `json:"enabled"`
	// UserName is the userName attribute (default "IUSR"; "" means the app pool identity).
	UserName string `json:"user_name"`
}

// Basic is the effective basicAuthentication section.
type Basic struct {
	// Enabled is the enabled attribute (default false).
	Enabled bool `json:"enabled"`
}

// Digest is the effective digestAuthentication section.
type Digest struct {
	// Enabled is the enabled attribute (default false).
	Enabled bool `json:"enabled"`
}

// DecryptingKind classifies the account that decrypts Kerberos tickets.
type DecryptingKind int

// Decrypting account kinds. The zero value means it could not be determined
// (for example, the application pool is unknown).
const (
	Undetermined DecryptingKind = iota
	ComputerAccount
	DomainAccount
	Unsupported
)

// String returns "computer", "domain-account", "unsupported" or "undetermined".
func (k DecryptingKind) String() string {
	switch k {
	case ComputerAccount:
		return "computer"
	case DomainAccount:
		return "domain-account"
	case Unsupported:
		return "unsupported"
	}
	return "undetermined"
}

// MarshalText renders String, for JSON.
func (k DecryptingKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// DecryptingAccount is the account whose keys decrypt the Kerberos service
// ticket for a path, and which must therefore own its HTTP SPNs.
type DecryptingAccount struct {
	// Kind classifies the account.
	Kind DecryptingKind `json:"kind"`
	// Account is the account name for DomainAccount (DOMAIN\user or a UPN, as
	// written in the pool), "" otherwise.
	Account string `json:"account,omitempty"`
	// Reason explains the derivation in one sentence.
	Reason string `json:"reason"`
}

// String renders the account for reports ("computer account", "CORP\svc-web",
// "unsupported").
func (d DecryptingAccount) String() string {
	switch d.Kind {
	case ComputerAccount:
		return "computer account"
	case DomainAccount:
		return d.Account
	case Unsupported:
		return "unsupported"
	}
	return "undetermined"
}

// OriginKind says where an effective value came from.
type OriginKind int

// Origin kinds. The zero value means no origin is known (an unknown field name).
const (
	NoOrigin OriginKind = iota
	SchemaDefault
	ServerLevel
	Location
	// WebConfigFile: a web.config attached with [Config.WithWebConfigs] set
	// the value (Origin.File names it).
	WebConfigFile
)

// String returns "schema-default", "server-level", "location", "web-config"
// or "none".
func (k OriginKind) String() string {
	switch k {
	case SchemaDefault:
		return "schema-default"
	case ServerLevel:
		return "server-level"
	case Location:
		return "location"
	case WebConfigFile:
		return "web-config"
	}
	return "none"
}

// MarshalText renders String, for JSON.
func (k OriginKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Origin records where an effective value was set.
type Origin struct {
	// Kind is SchemaDefault, ServerLevel or Location.
	Kind OriginKind `json:"kind"`
	// LocationPath is the path attribute of the <location> tag that set the
	// value (as written), "" otherwise. For WebConfigFile it is the
	// configuration path the web.config (or a <location> inside it) applies
	// to ("Default Web Site/app").
	LocationPath string `json:"location_path,omitempty"`
	// File is the name of the web.config that set the value (WebConfigFile),
	// "" for applicationHost.config.
	File string `json:"file,omitempty"`
	// Locator identifies the element that set the value (zero for schema defaults).
	Locator Locator `json:"locator,omitempty"`
}

// Locator identifies an element of the parsed document cheaply. Turn it into
// a line number with [Config.Line]. The zero Locator identifies nothing.
type Locator struct {
	el *etree.Element
}

// IsZero reports whether l identifies no element.
func (l Locator) IsZero() bool { return l.el == nil }

// Path returns the element's path from the document root, for example
// "/configuration/location/system.webServer/security/authentication/windowsAuthentication".
func (l Locator) Path() string {
	if l.el == nil {
		return ""
	}
	return l.el.GetPath()
}

// String returns Path, so a Locator prints as an element path and never as
// element contents.
func (l Locator) String() string { return l.Path() }

// MarshalText renders Path, for JSON.
func (l Locator) MarshalText() ([]byte, error) { return []byte(l.Path()), nil }
