package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// The collection plan: what -collect gathers and where it puts it, as data
// (collectStep values) built from the server's configuration and names, so
// it can be checked without running anything.

// stepKind is what a collection step does.
type stepKind int

const (
	// stepWrite writes Data (host.json) into Dest.
	stepWrite stepKind = iota
	// stepRun runs Args and writes the output into Dest.
	stepRun
	// stepConfig copies the configuration file Src into Dest with its
	// secrets removed (stripSecrets).
	stepConfig
	// stepLogs copies the files under the folder Src modified since Since
	// into the directory Dest, newest first up to MaxBytes.
	stepLogs
)

// collectStep is one step of the collection plan.
type collectStep struct {
	Kind stepKind
	// Dest is the bundle-relative, slash-separated destination: a file, or
	// a directory for stepLogs.
	Dest string
	// Args is the program (looked up in %windir%\System32) and its
	// arguments, for stepRun.
	Args []string
	// Src is the local file (stepConfig) or folder (stepLogs), a Windows path.
	Src string
	// Data is the content stepWrite writes.
	Data []byte
	// Since and MaxBytes bound stepLogs: files modified since Since, newest
	// first while they fit in MaxBytes.
	Since    time.Time
	MaxBytes int64
	// Optional marks a stepConfig file that need not exist (most
	// applications have no web.config).
	Optional bool
	// KeepFailed writes the output of a stepRun command that failed: a
	// klist get or setspn error is evidence too. Without it a failed
	// command writes nothing (a wevtutil error is not an event export).
	KeepFailed bool
	// Timeout bounds a stepRun command.
	Timeout time.Duration
	// Why says which checks read the result.
	Why string
}

// collectLimits bound what the plan copies.
type collectLimits struct {
	// Events is the most events one wevtutil query returns (/c:N).
	Events int
	// SiteLogBytes bounds the IIS logs copied per site, AgentLogBytes and
	// SMPLogBytes the agent and Notification Server logs.
	SiteLogBytes, AgentLogBytes, SMPLogBytes int64
}

var defaultLimits = collectLimits{Events: 5000, SiteLogBytes: 512 << 20, AgentLogBytes: 256 << 20, SMPLogBytes: 256 << 20}

// planInput is what the plan is built from.
type planInput struct {
	Host hostFacts
	// ConfigPath is the live applicationHost.config.
	ConfigPath string
	// Config and Doc are that file, parsed, with its secrets removed; nil
	// when it could not be read.
	Config *iisconfig.Config
	Doc    *etree.Document
	// Getenv reads the environment (%SystemDrive%, %ProgramData%).
	Getenv func(string) string
	Days   int
	Now    time.Time
	Limits collectLimits
}

// hostFacts are the computer's names as the system knows them.
type hostFacts struct {
	// Computer is the NetBIOS computer name (NS01).
	Computer string
	// Hostname is the DNS host label (ns01).
	Hostname string
	// DNSDomain is the primary DNS suffix of the computer (example.com).
	DNSDomain string
	// Domain is the NetBIOS name of the domain the computer is joined to
	// (EXAMPLE), "" for a workgroup.
	Domain string
	// Read lists where each fact came from, for the bundle's README.
	Read []string
	// Problems lists facts that could not be read.
	Problems []string
}

// FQDN returns hostname.dnsdomain in lower case ("" without a host name).
func (h hostFacts) FQDN() string {
	name := h.Hostname
	if name == "" {
		name = h.Computer
	}
	if name == "" {
		return ""
	}
	if h.DNSDomain == "" {
		return strings.ToLower(name)
	}
	return strings.ToLower(name + "." + h.DNSDomain)
}

// hostJSON renders host.json.
func (h hostFacts) hostJSON() map[string]string {
	m := map[string]string{}
	if h.Computer != "" {
		m["computer"] = h.Computer
	}
	if f := h.FQDN(); strings.Contains(f, ".") {
		m["fqdn"] = f
	}
	if h.Domain != "" {
		m["domain"] = h.Domain
	}
	if h.DNSDomain != "" && h.Domain != "" {
		m["realm"] = strings.ToUpper(h.DNSDomain)
	}
	return m
}

// Registry locations of the computer's names.
const (
	regTcpip        = `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	regComputerName = `SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName`
)

// readHostFacts reads the computer's names from the system: the registry
// (Tcpip\Parameters Hostname, Domain or NV Domain; ActiveComputerName) and
// the domain the computer is joined to, never the logged-on user's
// USERDNSDOMAIN.
func readHostFacts(src collectSource) hostFacts {
	var h hostFacts
	reg := func(key, name string) string {
		if src.Registry == nil {
			return ""
		}
		v, err := src.Registry(key, name)
		v = strings.TrimSpace(v)
		if err != nil || v == "" {
			return ""
		}
		h.Read = append(h.Read, fmt.Sprintf(`registry HKLM\%s %q = %s`, key, name, v))
		return v
	}
	h.Computer = reg(regComputerName, "ComputerName")
	if h.Computer == "" && src.Getenv != nil {
		if h.Computer = src.Getenv("COMPUTERNAME"); h.Computer != "" {
			h.Read = append(h.Read, "environment COMPUTERNAME = "+h.Computer)
		}
	}
	h.Hostname = reg(regTcpip, "Hostname")
	if h.Hostname == "" && src.Hostname != nil {
		if name, err := src.Hostname(); err == nil && name != "" {
			name, _, _ = strings.Cut(name, ".")
			h.Hostname = name
			h.Read = append(h.Read, "os.Hostname = "+name)
		}
	}
	h.DNSDomain = reg(regTcpip, "Domain")
	if h.DNSDomain == "" {
		h.DNSDomain = reg(regTcpip, "NV Domain")
	}
	if h.DNSDomain == "" {
		h.Problems = append(h.Problems, `no primary DNS suffix (registry Tcpip\Parameters Domain and NV Domain are empty): host.json has no fqdn or realm`)
	}
	if src.JoinedDomain != nil {
		d, err := src.JoinedDomain()
		switch {
		case err != nil:
			h.Problems = append(h.Problems, "domain membership: "+err.Error())
		case d == "":
			h.Problems = append(h.Problems, "the computer is not joined to a domain: host.json has no domain")
		default:
			h.Domain = d
			h.Read = append(h.Read, "NetGetJoinInformation: joined to domain "+d)
		}
	}
	if h.Computer == "" && h.Hostname != "" {
		h.Computer = strings.ToUpper(h.Hostname)
	}
	return h
}

// buildPlan turns what is known of the server into the list of steps
// -collect runs. Its notes say what the plan leaves out and why.
func buildPlan(in planInput) (steps []collectStep, notes []string) {
	if in.Days <= 0 {
		in.Days = 7
	}
	if in.Limits == (collectLimits{}) {
		in.Limits = defaultLimits
	}
	since := in.Now.AddDate(0, 0, -in.Days)
	add := func(s collectStep) { steps = append(steps, s) }

	add(collectStep{Kind: stepWrite, Dest: "host.json", Data: hostJSONBytes(in.Host.hostJSON()),
		Why: "the computer's names and domain, for the SPN and ticket checks"})
	add(collectStep{Kind: stepConfig, Src: in.ConfigPath, Dest: "applicationHost.config",
		Why: "IIS checks: sites, bindings, authentication settings, application pools"})

	// web.config files where windowsAuthentication can be set.
	if in.Config != nil {
		wcs, wn := webConfigSteps(in)
		steps = append(steps, wcs...)
		notes = append(notes, wn...)
	}

	// setspn: the accounts, the expected SPNs, duplicates.
	spns := expectedSPNs(in)
	for _, a := range spnAccounts(in) {
		add(collectStep{Kind: stepRun, Args: []string{"setspn", "-L", a}, Dest: "setspn/L-" + fileSafe(a) + ".txt",
			KeepFailed: true, Timeout: 2 * time.Minute, Why: "SPN checks: the SPNs registered on " + a})
	}
	for _, s := range spns {
		add(collectStep{Kind: stepRun, Args: []string{"setspn", "-Q", s}, Dest: "setspn/Q-" + fileSafe(s) + ".txt",
			KeepFailed: true, Timeout: 2 * time.Minute, Why: "SPN checks: which account holds " + s})
	}
	add(collectStep{Kind: stepRun, Args: []string{"setspn", "-F", "-X"}, Dest: "setspn/X-F.txt",
		KeepFailed: true, Timeout: 10 * time.Minute, Why: "SPN checks: duplicate SPNs in the forest"})

	// klist: the cache, then a ticket for every expected SPN.
	add(collectStep{Kind: stepRun, Args: []string{"klist"}, Dest: "klist/klist.txt",
		KeepFailed: true, Timeout: time.Minute, Why: "ticket checks: the tickets cached for the collecting user"})
	for _, s := range spns {
		add(collectStep{Kind: stepRun, Args: []string{"klist", "get", s}, Dest: "klist/get-" + fileSafe(s) + ".txt",
			KeepFailed: true, Timeout: time.Minute, Why: "ticket checks: can a ticket for " + s + " be had, and with which encryption"})
	}

	// Windows events the EVT checks read.
	for _, q := range eventQueries(in.Days, in.Limits.Events) {
		add(q)
	}

	// Logs.
	ls, ln := iisLogSteps(in, since)
	steps = append(steps, ls...)
	notes = append(notes, ln...)
	programData := getenv(in.Getenv, "ProgramData", `C:\ProgramData`)
	add(collectStep{Kind: stepLogs, Src: programData + `\Symantec\Symantec Agent\Logs`, Dest: "logs/agent",
		Since: since, MaxBytes: in.Limits.AgentLogBytes, Why: "log checks: Symantec Management Agent logs"})
	add(collectStep{Kind: stepLogs, Src: programData + `\Symantec\SMP\Logs`, Dest: "logs/smp",
		Since: since, MaxBytes: in.Limits.SMPLogBytes, Why: "log checks: Notification Server logs"})

	return steps, notes
}

// eventQueries returns the wevtutil queries for the events the EVT checks
// read, bounded by days (TimeCreated) and a count (/c:N, newest first).
func eventQueries(days, count int) []collectStep {
	ms := int64(days) * 24 * 3600 * 1000
	when := fmt.Sprintf("TimeCreated[timediff(@SystemTime) <= %d]", ms)
	ids := func(n ...int) string {
		parts := make([]string, len(n))
		for i, id := range n {
			parts[i] = "EventID=" + strconv.Itoa(id)
		}
		return "(" + strings.Join(parts, " or ") + ")"
	}
	kdcsvc := make([]int, 0, 10)
	kdcsvc = append(kdcsvc, 11)
	for id := 201; id <= 209; id++ {
		kdcsvc = append(kdcsvc, id)
	}
	qs := []struct{ log, dest, xpath, why string }{
		{"Security", "events/Security-logons.xml", "*[System[" + ids(4624, 4625) + " and " + when + "]]",
			"EVT checks: logons (4624) and failed logons (4625) with their package"},
		{"Security", "events/Security-kerberos-ntlm.xml", "*[System[" + ids(4768, 4769, 4770, 4771, 4776) + " and " + when + "]]",
			"EVT checks: Kerberos tickets (4768-4771) and NTLM validations (4776), on a domain controller"},
		{"System", "events/System-Kerberos.xml", "*[System[Provider[@Name='Microsoft-Windows-Security-Kerberos'] and " + ids(3, 4) + " and " + when + "]]",
			"EVT checks: Kerberos client errors 3 and 4 (KRB_AP_ERR_MODIFIED)"},
		{"System", "events/System-KDC.xml", "*[System[Provider[@Name='Microsoft-Windows-Kerberos-Key-Distribution-Center'] and " + ids(kdcsvc...) + " and " + when + "]]",
			"EVT checks: KDC 11 (duplicate names) and KDCSVC 201-209 (RC4), on a domain controller"},
		{"Microsoft-Windows-NTLM/Operational", "events/NTLM-Operational.xml", "*[System[" + ids(8001, 8002, 8003, 8004) + " and " + when + "]]",
			"EVT checks: NTLM operational events 8001-8004"},
	}
	out := make([]collectStep, 0, len(qs))
	for _, q := range qs {
		out = append(out, collectStep{Kind: stepRun,
			Args:    []string{"wevtutil", "qe", q.log, "/q:" + q.xpath, "/c:" + strconv.Itoa(count), "/rd:true", "/f:xml", "/e:Events"},
			Dest:    q.dest,
			Timeout: 5 * time.Minute,
			Why:     q.why})
	}
	return out
}

// spnAccounts returns the accounts whose SPNs setspn -L lists: the computer
// and every domain account running an application pool.
func spnAccounts(in planInput) []string {
	var out []string
	seen := map[string]bool{}
	addAcct := func(a string) {
		if a != "" && !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			out = append(out, a)
		}
	}
	addAcct(in.Host.Computer)
	if in.Config != nil {
		for _, p := range in.Config.AppPoolList() {
			if p.IdentityType == iisconfig.SpecificUser {
				addAcct(p.UserName)
			}
		}
	}
	return out
}

// expectedSPNs returns HTTP/<name> for the computer's name, its FQDN and
// the host name of every http or https binding of a site where Windows
// Authentication is enabled or can be enabled by a web.config.
func expectedSPNs(in planInput) []string {
	var names []string
	names = append(names, in.Host.Computer, in.Host.FQDN())
	if in.Config != nil {
		sites := winAuthSites(in.Config)
		for _, s := range in.Config.Sites {
			if !sites[strings.ToLower(s.Name)] {
				continue
			}
			for _, b := range s.Bindings {
				if (b.Protocol == "http" || b.Protocol == "https") && b.Host != "" && !strings.ContainsAny(b.Host, "*?") {
					names = append(names, b.Host)
				}
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSuffix(strings.TrimSpace(n), ".")
		if n == "" || seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		out = append(out, "HTTP/"+n)
	}
	return out
}

// winAuthSites returns the (lower-cased) sites where windowsAuthentication
// is enabled on some path, or unlocked so a web.config may enable it.
func winAuthSites(cfg *iisconfig.Config) map[string]bool {
	sites := map[string]bool{}
	for _, s := range cfg.Applications() {
		if s.WindowsAuth.Enabled && s.Site != "" {
			sites[strings.ToLower(s.Site)] = true
		}
	}
	all, scopes := unlockedScopes(cfg)
	for _, s := range cfg.Sites {
		if all || len(scopes[strings.ToLower(s.Name)]) > 0 {
			sites[strings.ToLower(s.Name)] = true
		}
	}
	return sites
}

// unlockedScopes says where a web.config may set windowsAuthentication:
// everywhere (all) when <configSections> declares it
// overrideModeDefault="Allow" or a server-level <location> unlocks it, else
// the paths below each site that a <location overrideMode="Allow"> (or
// allowOverride="true") holding the section unlocks, keyed by lower-cased
// site name ("" is the whole site).
func unlockedScopes(cfg *iisconfig.Config) (all bool, scopes map[string][]string) {
	scopes = map[string][]string{}
	if strings.EqualFold(cfg.SectionOverrideModeDefault("windowsAuthentication"), "Allow") {
		return true, scopes
	}
	for _, tag := range cfg.Locations {
		holds := false
		for _, s := range tag.Sections() {
			if s == "windowsAuthentication" {
				holds = true
			}
		}
		allow := strings.EqualFold(tag.OverrideMode, "Allow") ||
			(tag.OverrideMode == "" && strings.EqualFold(strings.TrimSpace(tag.AllowOverride), "true"))
		if !holds || !allow {
			continue
		}
		if tag.ServerLevel() {
			return true, scopes
		}
		p := strings.Trim(strings.ReplaceAll(tag.Path, `\`, "/"), "/")
		site, rest, _ := strings.Cut(p, "/")
		scopes[strings.ToLower(site)] = append(scopes[strings.ToLower(site)], strings.Trim(rest, "/"))
	}
	return false, scopes
}

// webConfigSteps returns the web.config copies for the paths where
// windowsAuthentication is unlocked: the web.config of every application
// and virtual directory root at, above or below an unlocked path, and of
// the unlocked path itself, into webconfig/<Site>/<path>/web.config.
func webConfigSteps(in planInput) (steps []collectStep, notes []string) {
	all, scopes := unlockedScopes(in.Config)
	if !all && len(scopes) == 0 {
		return nil, []string{"no web.config copied: applicationHost.config locks windowsAuthentication everywhere (overrideModeDefault=\"Deny\" and no <location overrideMode=\"Allow\"> holding it), so no web.config can set it"}
	}
	seen := map[string]bool{}
	for _, site := range in.Config.Sites {
		var paths []string
		if all {
			paths = []string{""}
		} else {
			paths = scopes[strings.ToLower(site.Name)]
		}
		if len(paths) == 0 {
			continue
		}
		if strings.ContainsAny(site.Name, `\:*?"<>|`) {
			notes = append(notes, fmt.Sprintf("site %q: its name cannot be a folder name; its web.config files are not copied", site.Name))
			continue
		}
		// Every root a web.config can sit in: applications and virtual
		// directories, as configuration paths below the site.
		type root struct{ path, phys string }
		var roots []root
		for _, app := range site.Applications {
			ap := strings.Trim(app.Path, "/")
			for _, vd := range app.VirtualDirectories {
				vp := strings.Trim(vd.Path, "/")
				p := strings.Trim(ap+"/"+vp, "/")
				roots = append(roots, root{p, vd.PhysicalPath})
			}
		}
		inScope := func(p string) bool {
			for _, s := range paths {
				if s == "" || p == "" || p == s || strings.HasPrefix(strings.ToLower(p), strings.ToLower(s)+"/") || strings.HasPrefix(strings.ToLower(s), strings.ToLower(p)+"/") {
					return true
				}
			}
			return false
		}
		cands := map[string]string{} // config path below the site -> physical folder
		for _, r := range roots {
			if inScope(r.path) && r.phys != "" {
				cands[r.path] = r.phys
			}
		}
		// The unlocked paths themselves (a folder inside an application).
		for _, s := range paths {
			if _, ok := cands[s]; ok || s == "" {
				continue
			}
			best := -1
			for i, r := range roots {
				if (r.path == "" || strings.HasPrefix(strings.ToLower(s), strings.ToLower(r.path)+"/")) && (best < 0 || len(r.path) > len(roots[best].path)) {
					best = i
				}
			}
			if best >= 0 && roots[best].phys != "" {
				rel := strings.TrimPrefix(s, roots[best].path)
				cands[s] = strings.TrimRight(roots[best].phys, `\/`) + `\` + strings.ReplaceAll(strings.Trim(rel, "/"), "/", `\`)
			}
		}
		keys := make([]string, 0, len(cands))
		for k := range cands {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, p := range keys {
			dest := strings.Trim("webconfig/"+site.Name+"/"+p, "/") + "/web.config"
			if seen[strings.ToLower(dest)] {
				continue
			}
			seen[strings.ToLower(dest)] = true
			phys := expandEnv(cands[p], in.Getenv)
			steps = append(steps, collectStep{Kind: stepConfig, Src: strings.TrimRight(phys, `\/`) + `\web.config`, Dest: dest, Optional: true,
				Why: "IIS checks: web.config layered over applicationHost.config at " + strings.Trim(site.Name+"/"+p, "/") + " (windowsAuthentication is unlocked there)"})
		}
	}
	return steps, notes
}

// iisLogSteps returns the IIS log folders to copy, from the logFile
// settings of each site: <siteDefaults><logFile directory>, overridden per
// site, %SystemDrive% expanded, the W3SVC<id> subfolder; or the central
// W3C log when <log centralLogFileMode="CentralW3C">.
func iisLogSteps(in planInput, since time.Time) (steps []collectStep, notes []string) {
	const defDir = `%SystemDrive%\inetpub\logs\LogFiles`
	why := "log checks: IIS W3C logs (401 substatus, Win32 status, user names)"
	if in.Doc == nil || in.Config == nil {
		dir := expandEnv(defDir, in.Getenv)
		return []collectStep{{Kind: stepLogs, Src: dir, Dest: "logs/iis", Since: since, MaxBytes: in.Limits.SiteLogBytes,
				Why: why + " (the default folder: applicationHost.config could not be read)"}},
			[]string{"applicationHost.config could not be read: the IIS logs are copied from the default folder " + dir}
	}
	ah := in.Doc.FindElement("/configuration/system.applicationHost")
	var sitesEl, logEl *etree.Element
	if ah != nil {
		sitesEl = ah.SelectElement("sites")
		logEl = ah.SelectElement("log")
	}
	if logEl != nil && strings.EqualFold(logEl.SelectAttrValue("centralLogFileMode", "Site"), "CentralW3C") {
		dir := defDir
		if c := logEl.SelectElement("centralW3CLogFile"); c != nil {
			dir = c.SelectAttrValue("directory", defDir)
		}
		dir = strings.TrimRight(expandEnv(dir, in.Getenv), `\`) + `\W3SVC`
		return []collectStep{{Kind: stepLogs, Src: dir, Dest: "logs/iis/W3SVC", Since: since, MaxBytes: in.Limits.SiteLogBytes,
			Why: why + " (central W3C log for all sites)"}}, nil
	}
	defaults := map[string]string{"directory": defDir, "logFormat": "W3C", "enabled": "true"}
	if sitesEl != nil {
		if d := sitesEl.SelectElement("siteDefaults"); d != nil {
			if lf := d.SelectElement("logFile"); lf != nil {
				for k := range defaults {
					if v := lf.SelectAttrValue(k, ""); v != "" {
						defaults[k] = v
					}
				}
			}
		}
	}
	siteEls := map[string]*etree.Element{}
	if sitesEl != nil {
		for _, s := range sitesEl.SelectElements("site") {
			siteEls[strings.ToLower(s.SelectAttrValue("name", ""))] = s
		}
	}
	for _, site := range in.Config.Sites {
		web := false
		for _, b := range site.Bindings {
			if b.Protocol == "http" || b.Protocol == "https" {
				web = true
			}
		}
		if !web {
			continue
		}
		set := map[string]string{}
		for k, v := range defaults {
			set[k] = v
		}
		if el := siteEls[strings.ToLower(site.Name)]; el != nil {
			if lf := el.SelectElement("logFile"); lf != nil {
				for k := range set {
					if v := lf.SelectAttrValue(k, ""); v != "" {
						set[k] = v
					}
				}
			}
		}
		switch {
		case site.ID <= 0:
			notes = append(notes, fmt.Sprintf("site %q has no id, so its log folder (W3SVC<id>) is unknown; its logs are not copied", site.Name))
			continue
		case strings.EqualFold(set["enabled"], "false"):
			notes = append(notes, fmt.Sprintf("site %q: logging is disabled (logFile enabled=\"false\"); no IIS log to copy", site.Name))
			continue
		case !strings.EqualFold(set["logFormat"], "W3C"):
			notes = append(notes, fmt.Sprintf("site %q logs in the %s format, which the log checks do not read (they read W3C); its logs are not copied", site.Name, set["logFormat"]))
			continue
		}
		sub := "W3SVC" + strconv.FormatInt(site.ID, 10)
		dir := strings.TrimRight(expandEnv(set["directory"], in.Getenv), `\`) + `\` + sub
		steps = append(steps, collectStep{Kind: stepLogs, Src: dir, Dest: "logs/iis/" + sub, Since: since, MaxBytes: in.Limits.SiteLogBytes,
			Why: why + " of site " + site.Name})
	}
	return steps, notes
}

// expandEnv expands %NAME% references with getenv, leaving unknown ones.
func expandEnv(s string, getenv func(string) string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		name := s[i+1 : i+1+j]
		v := ""
		if name != "" && getenv != nil {
			v = getenv(name)
		}
		if v == "" && strings.EqualFold(name, "SystemDrive") {
			v = "C:"
		}
		if v == "" {
			b.WriteString(s[:i+2+j])
		} else {
			b.WriteString(s[:i])
			b.WriteString(v)
		}
		s = s[i+2+j:]
	}
	b.WriteString(s)
	return b.String()
}

func getenv(f func(string) string, name, def string) string {
	if f != nil {
		if v := f(name); v != "" {
			return v
		}
	}
	return def
}

// fileSafe turns an account or SPN into a file name part.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
