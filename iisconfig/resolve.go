package iisconfig

import (
	"strings"
)

// AppPool returns the application pool named name, compared
// case-insensitively as IIS does, or nil.
func (c *Config) AppPool(name string) *AppPool { return c.poolIndex[strings.ToLower(name)] }

// AppPoolList returns the application pools in document order.
func (c *Config) AppPoolList() []*AppPool { return c.pools }

// Site returns the site named name (case-insensitive), or nil.
func (c *Config) Site(name string) *Site { return c.siteIndex[normKey(name)] }

// Schema returns the schema defaults the Config was parsed with.
func (c *Config) Schema() *Schema { return c.schema }

// Effective returns the settings IIS would use for path, written as
// "Site Name/app/sub" (segments compared case-insensitively; leading and
// trailing slashes ignored). The empty path returns the server-level
// settings. A path whose first segment names no site yields a *PathError
// wrapping ErrUnknownSite.
func (c *Config) Effective(path string) (*Settings, error) {
	key := normKey(path)
	if key == "" {
		return c.resolve("", "", nil, nil), nil
	}
	site := c.siteIndex[siteOf(key)]
	if site == nil {
		return nil, &PathError{Path: path, Err: ErrUnknownSite}
	}
	s := c.resolve(key, "", site, nil)
	// Spell the site and application part as the config does.
	segs := splitPath(path)
	prefix, n := site.Name, 1
	if s.Application != nil {
		prefix = s.Application.full
		n += len(splitPath(s.Application.Path))
	}
	if n > len(segs) {
		n = len(segs)
	}
	s.Path = strings.Join(append([]string{prefix}, segs[n:]...), "/")
	return s, nil
}

// displayPath returns path with the site segment spelled as in the config and
// empty segments removed.
func displayPath(path string, site *Site) string {
	segs := splitPath(path)
	segs[0] = site.Name
	return strings.Join(segs, "/")
}

// Applications returns the effective settings of every application root of
// every site (document order), followed by every path named by a <location>
// tag that is not already listed (document order; paths compared
// case-insensitively), then the paths of attached web.config files and of
// their <location> tags ([Config.WithWebConfigs]). Location paths naming no
// site are included with an empty Site.
func (c *Config) Applications() []*Settings {
	out := make([]*Settings, 0, len(c.appIndex)+len(c.Locations))
	seen := make(map[string]struct{}, cap(out))
	memo := map[decKey]DecryptingAccount{}
	for _, site := range c.Sites {
		if c.siteIndex[normKey(site.Name)] != site {
			continue // duplicate name: its paths resolve to the first site
		}
		for _, app := range site.Applications {
			key := app.key
			if _, dup := seen[key]; dup {
				continue
			}
			seen[key] = struct{}{}
			out = append(out, c.resolve(key, app.FullPath(), site, memo))
		}
	}
	for _, tag := range c.Locations {
		key := tag.key
		if key == "" {
			continue
		}
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		site := c.siteIndex[siteOf(key)]
		var display string
		if site != nil {
			display = displayPath(tag.Path, site)
		} else {
			display = strings.Join(splitPath(tag.Path), "/")
		}
		out = append(out, c.resolve(key, display, site, memo))
	}
	for _, w := range c.webLayers {
		if _, dup := seen[w.key]; dup {
			continue
		}
		site := c.siteIndex[siteOf(w.key)]
		if site == nil {
			continue
		}
		seen[w.key] = struct{}{}
		out = append(out, c.resolve(w.key, displayPath(w.display, site), site, memo))
	}
	return out
}

// resolve computes the effective settings for the normalised key. site may
// be nil (server level, or a location naming no site).
//
// memo, when not nil, caches decrypting accounts across calls.
func (c *Config) resolve(key, display string, site *Site, memo map[decKey]DecryptingAccount) *Settings {
	s := &Settings{Path: display}
	vals := c.schema.vals

	// The application containing the path: the longest application path that
	// is a whole-segment prefix of key.
	var app *Application
	appDepth := 1
	if site != nil {
		s.Site = site.Name
		s.Bindings = site.Bindings
		depth := strings.Count(key, "/") + 1
		for end := len(key); end > 0; depth-- {
			if a := c.appIndex[key[:end]]; a != nil {
				app, appDepth = a, depth
				break
			}
			end = strings.LastIndexByte(key[:end], '/')
		}
	}

	var prov, spns []string
	apply := func(l *layer) {
		for i := range l.assigns {
			a := &l.assigns[i]
			vals[a.f] = a.v
			s.origins[a.f] = &a.src
		}
		if l.provSrc.el != nil {
			prov = merge(prov, l.prov, l.provPre)
			s.origins[fWinProviders] = &l.provSrc
		}
		if l.spnSrc.el != nil {
			spns = merge(spns, l.spns, l.spnPre)
			s.origins[fEPSPNs] = &l.spnSrc
		}
	}
	for _, l := range c.server {
		if l.inherit || key == "" {
			apply(l)
		}
	}
	if key != "" {
		depth := 0
		for i := 0; i <= len(key); i++ {
			if i < len(key) && key[i] != '/' {
				continue
			}
			depth++
			b := c.locIndex[key[:i]]
			if b == nil {
				continue
			}
			for _, l := range b.layers {
				// inheritInChildApplications="false": the location does not
				// flow into applications nested below its own path.
				if !l.inherit && appDepth > depth {
					continue
				}
				apply(l)
			}
		}
	}

	// web.config files, from the site root down (see WithWebConfigs).
	for _, w := range c.webLayers {
		if key != w.key && !strings.HasPrefix(key, w.key+"/") {
			continue
		}
		if !w.l.inherit && appDepth > w.depth {
			continue
		}
		s.WebConfigErrors = append(s.WebConfigErrors, w.errs...)
		if w.allowed == 0 {
			continue
		}
		l := &w.l
		for i := range l.assigns {
			a := &l.assigns[i]
			if sectionBits[a.f]&w.allowed != 0 {
				vals[a.f] = a.v
				s.origins[a.f] = &a.src
			}
		}
		if w.allowed&sectionBits[fWinProviders] != 0 {
			if l.provSrc.el != nil {
				prov = merge(prov, l.prov, l.provPre)
				s.origins[fWinProviders] = &l.provSrc
			}
			if l.spnSrc.el != nil {
				spns = merge(spns, l.spns, l.spnPre)
				s.origins[fEPSPNs] = &l.spnSrc
			}
		}
	}

	s.WindowsAuth = WindowsAuth{
		Enabled:                  vals[fWinEnabled].b,
		Providers:                prov,
		UseKernelMode:            vals[fWinKernel].b,
		UseAppPoolCredentials:    vals[fWinAppPoolCreds].b,
		AuthPersistNonNTLM:       vals[fWinPersistNonNTLM].b,
		AuthPersistSingleRequest: vals[fWinPersistSingle].b,
		ExtendedProtection: ExtendedProtection{
			TokenChecking: vals[fEPTokenChecking].s,
			Flags:         vals[fEPFlags].s,
			SPNs:          spns,
		},
	}
	s.Anonymous = Anonymous{Enabled: vals[fAnonEnabled].b, UserName: vals[fAnonUser].s}
	s.Basic = Basic{Enabled: vals[fBasicEnabled].b}
	s.Digest = Digest{Enabled: vals[fDigestEnabled].b}

	if app != nil {
		s.Application = app
		s.AppPoolName = app.AppPoolName
		s.AppPool = app.pool
	} else if site != nil {
		s.AppPoolName = site.DefaultAppPool
		s.AppPool = c.AppPool(site.DefaultAppPool)
	}
	if key != "" {
		k := decKey{s.AppPool, s.AppPoolName, s.WindowsAuth.UseKernelMode, s.WindowsAuth.UseAppPoolCredentials}
		d, ok := memo[k]
		if !ok {
			d = decrypting(k.pool, k.poolName, k.kernel, k.appPoolCreds)
			if memo != nil {
				memo[k] = d
			}
		}
		s.Decrypting = d
	}
	return s
}

// merge applies a layer's collection operations to list, reusing the layer's
// precomputed (shared, capacity-clipped) result when the list is empty or the
// operations start with clear.
func merge(list []string, ops []collOp, pre []string) []string {
	if len(list) == 0 || len(ops) > 0 && ops[0].op == opClear {
		return pre
	}
	return clip(applyOps(list, ops))
}

// decKey is what the decrypting account depends on.
type decKey struct {
	pool                 *AppPool
	poolName             string
	kernel, appPoolCreds bool
}

// applyOps applies collection operations; list is copied before the first
// change, so layers never share backing arrays with results.
func applyOps(list []string, ops []collOp) []string {
	out := make([]string, len(list), len(list)+len(ops))
	copy(out, list)
	for _, op := range ops {
		switch op.op {
		case opClear:
			out = out[:0]
		case opAdd:
			if !containsFold(out, op.v) {
				out = append(out, op.v)
			}
		case opRemove:
			for i, v := range out {
				if strings.EqualFold(v, op.v) {
					out = append(out[:i], out[i+1:]...)
					break
				}
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// decrypting applies the table of DESIGN.md section 3 (Microsoft
// "Troubleshoot Kerberos failures"; iis-docs processModel; KB 929650).
func decrypting(pool *AppPool, poolName string, kernel, appPoolCreds bool) DecryptingAccount {
	if pool == nil {
		if poolName == "" {
			return DecryptingAccount{Kind: Undetermined, Reason: "no application pool is assigned, so the process identity is unknown"}
		}
		return DecryptingAccount{Kind: Undetermined, Reason: "application pool " + quote(poolName) + " is not defined, so the process identity is unknown"}
	}
	id := pool.IdentityType
	switch {
	case id == LocalService:
		return DecryptingAccount{Kind: Unsupported, Reason: "the pool runs as LocalService, which presents anonymous credentials on the network; sources conflict on Kerberos for it, so treat it as unsupported"}
	case id == IdentityUnknown:
		return DecryptingAccount{Kind: Undetermined, Reason: "the pool's identityType is not valid"}
	case kernel && !appPoolCreds:
		r := "useKernelMode=true and useAppPoolCredentials=false: http.sys decrypts tickets with the computer account's keys"
		if id == SpecificUser {
			r += " (an HTTP SPN on the pool account " + quote(pool.UserName) + " would make tickets fail with KRB_AP_ERR_MODIFIED)"
		}
		return DecryptingAccount{Kind: ComputerAccount, Reason: r}
	case id == SpecificUser:
		mode := "useKernelMode=false"
		if kernel {
			mode = "useKernelMode=true and useAppPoolCredentials=true"
		}
		if strings.TrimSpace(pool.UserName) == "" {
			return DecryptingAccount{Kind: Undetermined, Reason: mode + " with a SpecificUser pool that has no userName"}
		}
		if strings.HasPrefix(pool.UserName, `.\`) {
			return DecryptingAccount{Kind: Unsupported, Account: pool.UserName, Reason: mode + ": the pool's local account " + quote(pool.UserName) + " decrypts tickets but a local account cannot own SPNs in the domain"}
		}
		return DecryptingAccount{Kind: DomainAccount, Account: pool.UserName, Reason: mode + ": the SpecificUser pool account decrypts tickets"}
	default:
		mode := "useKernelMode=false"
		if kernel {
			mode = "useAppPoolCredentials=true"
		}
		return DecryptingAccount{Kind: ComputerAccount, Reason: mode + " with a " + id.String() + " pool: the computer account decrypts tickets"}
	}
}

func quote(s string) string { return `"` + s + `"` }
