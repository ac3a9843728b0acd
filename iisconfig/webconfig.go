package iisconfig

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// WebConfig is a parsed web.config file: the authentication sections it sets
// for the configuration path of its directory, and those of the <location>
// tags inside it. Make one with [ParseWebConfig] and layer it below an
// applicationHost.config with [Config.WithWebConfigs]. A WebConfig is
// immutable and may be attached to several Configs.
//
// Only what the effective authentication settings need is kept: after
// reading, attribute values and text outside the authentication sections
// (connection strings, machine keys, app settings) are dropped, and
// password attributes are overwritten before parsing as for
// applicationHost.config.
type WebConfig struct {
	// Name is the source name given to ParseWebConfig
	// ("webconfig/Default Web Site/Altiris/web.config"); origins and warnings
	// cite the file by it.
	Name string
	// Path is the configuration path of the directory holding the file, as
	// given ("Default Web Site/Altiris"): the site name, then the virtual
	// path.
	Path string
	// Warnings lists problems found while reading the file (invalid
	// attribute values, a <location> with both overrideMode and
	// allowOverride). [Config.WithWebConfigs] copies them into the Config's
	// Warnings, where [Config.Position] cites their lines.
	Warnings []Warning

	key    string
	src    *source
	layers []*webLayer
}

// webLayer is what one level of a web.config sets: its root
// <system.webServer> or one <location> inside it.
type webLayer struct {
	l        layer
	key      string // normalised absolute path the layer applies to
	display  string // that path for messages, site spelled as the file's Path
	depth    int    // segments of key
	sections uint8  // sections present, even as empty elements (bit per authSectionNames)
	secEl    [len(authSectionNames)]*etree.Element
}

// webApplied is a web.config layer attached to a Config: which of its
// sections IIS applies and which it rejects as locked.
type webApplied struct {
	*webLayer
	wc      *WebConfig
	allowed uint8     // sections applied
	errs    []Warning // WarnLockedSection, one per locked section present
}

// sectionBits maps each field to its section's bit in authSectionNames order.
var sectionBits = func() (b [numFields]uint8) {
	for f, n := range fieldNames {
		for i, s := range authSectionNames {
			if n.section == s {
				b[f] = 1 << i
			}
		}
	}
	return b
}()

// ParseWebConfig reads a web.config for the configuration path of its
// directory, written as [Config.Effective] takes it: "Site Name" for the
// site root, "Site Name/app/dir" below it (a bundle's
// webconfig/<Site>/<app path>/web.config gives "<Site>/<app path>"). name is
// the source name used in errors, origins and warnings.
//
// The file may be UTF-8 (with or without a byte-order mark) or UTF-16. Its
// root <system.webServer> sections apply at path; a <location path="sub">
// inside it applies at path/sub ("" or "." at path itself), honouring
// inheritInChildApplications. Bad input yields a *[ParseError]: malformed
// XML with its line, or [ErrNotWebConfig] for an applicationHost.config, a
// fragment without <configuration> ([ErrFragment] too) or another document.
// An empty path yields a *[PathError] wrapping [ErrEmptyPath].
func ParseWebConfig(name, path string, r io.Reader) (*WebConfig, error) {
	key := normKey(path)
	if key == "" {
		return nil, &PathError{Path: path, Err: ErrEmptyPath}
	}
	data, err := readConfig(r, name, 0)
	if err != nil {
		return nil, err
	}
	doc, data, err := readDoc(data, name)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil || root.Tag != "configuration" || root.SelectElement("system.applicationHost") != nil {
		why := classify(doc)
		switch {
		case why == nil:
			why = errors.New("it is an applicationHost.config (it has <system.applicationHost>)")
		case errors.Is(why, ErrFragment):
		default:
			why = fmt.Errorf("it has no <configuration> root")
		}
		line, off := firstElementPosition(data)
		return nil, &ParseError{File: name, Line: line, Offset: off, Err: fmt.Errorf("%w: %w", ErrNotWebConfig, why)}
	}
	display := strings.Join(splitPath(path), "/")
	w := &WebConfig{Name: name, Path: path, key: key, src: &source{data: data, doc: doc}}
	p := &parser{c: &Config{}}
	newLayer := func(key, display string, inherit bool) *webLayer {
		wl := &webLayer{key: key, display: display, depth: strings.Count(key, "/") + 1}
		wl.l = layer{kind: WebConfigFile, path: display, file: name, inherit: inherit}
		return wl
	}
	top := newLayer(key, display, true)
	for _, tok := range root.Child {
		ch, ok := tok.(*etree.Element)
		if !ok {
			continue
		}
		switch ch.Tag {
		case "system.webServer":
			w.compile(p, top, ch)
		case "location":
			sub, inherit := "", true
			hasOverride, hasAllow := false, false
			for _, a := range ch.Attr {
				switch a.Key {
				case "path":
					sub = a.Value
				case "inheritInChildApplications":
					if b, ok := parseBool(a.Value); ok {
						inherit = b
					} else {
						p.warn(WarnBadValue, ch, "%s: location %q: inheritInChildApplications=%q is not a boolean", name, sub, a.Value)
					}
				case "overrideMode":
					hasOverride = true
				case "allowOverride":
					hasAllow = true
				}
			}
			if hasOverride && hasAllow {
				p.warn(WarnOverrideConflict, ch, "%s: location %q sets both overrideMode and allowOverride; IIS rejects this as a configuration error", name, sub)
			}
			lk, ld := key, display
			if segs := splitPath(sub); len(segs) > 0 {
				lk, ld = key+"/"+strings.ToLower(strings.Join(segs, "/")), display+"/"+strings.Join(segs, "/")
			}
			wl := newLayer(lk, ld, inherit)
			for _, tok := range ch.Child {
				if ws, ok := tok.(*etree.Element); ok && ws.Tag == "system.webServer" {
					w.compile(p, wl, ws)
				}
			}
			if wl.sections != 0 {
				w.layers = append(w.layers, wl)
			}
		}
	}
	if top.sections != 0 {
		w.layers = append([]*webLayer{top}, w.layers...)
	}
	// IIS merges a file's levels from its own path down.
	sort.SliceStable(w.layers, func(i, j int) bool { return w.layers[i].depth < w.layers[j].depth })
	for _, wl := range w.layers {
		wl.l.seal()
	}
	w.Warnings = p.c.Warnings
	// Lines are computed now, so the bytes need not be kept; then drop what
	// the model does not use.
	w.src.once.Do(w.src.build)
	w.src.data = nil
	prune(&doc.Element, false)
	return w, nil
}

// compile adds the authentication sections below a <system.webServer> of
// the web.config to wl, recording which sections are present.
func (w *WebConfig) compile(p *parser, wl *webLayer, ws *etree.Element) {
	tag := &LocationTag{}
	p.authSections(ws, &wl.l, tag)
	wl.sections |= tag.sections
	for _, sec := range ws.SelectElements("security") {
		for _, auth := range sec.SelectElements("authentication") {
			for i, n := range authSectionNames {
				if el := auth.SelectElement(n); el != nil && wl.secEl[i] == nil {
					wl.secEl[i] = el
				}
			}
		}
	}
}

// prune drops attribute values and text outside the authentication
// sections (keeping <location>'s own attributes), so that a WebConfig holds
// no connection string, key or setting it does not model.
func prune(e *etree.Element, keep bool) {
	if !keep {
		if e.Tag == "location" {
			kept := e.Attr[:0]
			for _, a := range e.Attr {
				switch a.Key {
				case "path", "overrideMode", "allowOverride", "inheritInChildApplications":
					kept = append(kept, a)
				}
			}
			e.Attr = kept
		} else {
			e.Attr = nil
		}
	}
	children := e.Child[:0]
	for _, tok := range e.Child {
		ch, ok := tok.(*etree.Element)
		if !ok {
			if keep {
				children = append(children, tok)
			}
			continue
		}
		prune(ch, keep || ch.Tag == "authentication" && e.Tag == "security")
		children = append(children, ch)
	}
	for i := len(children); i < len(e.Child); i++ {
		e.Child[i] = nil
	}
	e.Child = children
}

// WithWebConfigs returns a copy of c with web.config files layered below
// applicationHost.config, as IIS merges them: for a path, the schema
// defaults, then applicationHost.config (server level and every <location>
// on the path), then the web.config files from the site root down to the
// path, each with its own <location> tags; the nearest file wins. c is not
// modified; web.configs already attached to c stay, before the new ones.
//
// A web.config cannot set a section applicationHost.config locks for its
// path. The four authentication sections are declared
// overrideModeDefault="Deny" on a standard install, so a web.config's
// section applies only where <configSections> declares it "Allow" (Hosted
// Web Core) or an applicationHost.config <location overrideMode="Allow">
// (or allowOverride="true") holding that section covers the path, the
// nearest such tag deciding. A locked section is not applied: the result's
// Warnings get a [WarnLockedSection] naming the file and line, and the
// Settings of every path the section would reach list it in
// WebConfigErrors, because IIS answers those requests with HTTP 500.19
// ("This configuration section cannot be used at this path"). Locks set
// inside web.config files and lockAttributes are not modelled.
//
// Values a web.config sets have Origin kind [WebConfigFile], cited by
// [Config.Describe] with the file's name and line. [Config.Applications]
// also lists the paths of the attached files and of their <location> tags.
// A web.config whose path names no site is kept but applies nowhere
// ([WarnWebConfigNoSite]).
//
// [Config.Apply] reads the edited applicationHost.config into a new Config
// without web.config layers: attach them again with
// out.WithWebConfigs(c.WebConfigs()...).
func (c *Config) WithWebConfigs(wcs ...*WebConfig) *Config {
	out := *c
	out.web = append([]*WebConfig(nil), c.web...)
	out.Warnings = append([]Warning(nil), c.Warnings...)
	added := false
	for _, w := range wcs {
		if w == nil {
			continue
		}
		added = true
		out.web = append(out.web, w)
		out.Warnings = append(out.Warnings, w.Warnings...)
		if c.siteIndex[siteOf(w.key)] == nil {
			// It applies nowhere: no lock to check either.
			out.Warnings = append(out.Warnings, Warning{Kind: WarnWebConfigNoSite, Locator: Locator{w.src.doc.Root()},
				Message: fmt.Sprintf("web.config %s is for %q, but %q is not a site of the applicationHost.config; it applies nowhere", w.Name, w.Path, splitPath(w.Path)[0])})
		}
	}
	if !added {
		return &out
	}
	// Files from the site root down (stable: the given order for one path).
	files := append([]*WebConfig(nil), out.web...)
	sort.SliceStable(files, func(i, j int) bool {
		return strings.Count(files[i].key, "/") < strings.Count(files[j].key, "/")
	})
	out.webLayers = nil
	for _, w := range files {
		if c.siteIndex[siteOf(w.key)] == nil {
			continue
		}
		for _, wl := range w.layers {
			a := &webApplied{webLayer: wl, wc: w}
			for i, sec := range authSectionNames {
				bit := uint8(1) << i
				if wl.sections&bit == 0 {
					continue
				}
				locked, why := c.sectionLocked(wl.key, bit, sec)
				if !locked {
					a.allowed |= bit
					continue
				}
				warn := Warning{Kind: WarnLockedSection, Locator: Locator{wl.secEl[i]},
					Message: fmt.Sprintf("web.config %s sets %s for %q, but applicationHost.config locks the section there (%s): IIS answers requests that read this file with HTTP 500.19 \"This configuration section cannot be used at this path\" and the value does not apply; unlock it (appcmd unlock config %q -section:system.webServer/security/authentication/%s) or set it in applicationHost.config instead (appcmd set config %q -section:%s ... /commit:apphost)",
						w.Name, sec, wl.display, why, wl.display, sec, wl.display, sec)}
				a.errs = append(a.errs, warn)
				out.Warnings = append(out.Warnings, warn)
			}
			out.webLayers = append(out.webLayers, a)
		}
	}
	return &out
}

// WebConfigs returns the web.config files attached with
// [Config.WithWebConfigs], in the order given.
func (c *Config) WebConfigs() []*WebConfig { return append([]*WebConfig(nil), c.web...) }

// sectionLocked decides whether a web.config may set section at key:
// overrideModeDefault from <configSections> (Deny when undeclared, as IIS
// declares the authentication sections), overridden by the nearest
// applicationHost.config <location> on the path that holds the section and
// sets overrideMode (or the legacy allowOverride). why explains a lock.
func (c *Config) sectionLocked(key string, bit uint8, section string) (locked bool, why string) {
	mode, declared := c.sectionDef[section]
	why = "overrideModeDefault=\"Deny\" in <configSections>"
	switch {
	case declared && mode == "":
		mode = "Allow" // the attribute's default
	case !declared && c.sectionDef != nil:
		// The authentication group is declared without this section: IIS
		// cannot read the section anywhere (500.19, "missing a section
		// declaration").
		return true, "<configSections> has no declaration for it, so IIS cannot read it at all (500.19 \"missing a section declaration\")"
	case mode == "":
		mode = "Deny"
		why = "the file has no <configSections> declaration for it; IIS declares it overrideModeDefault=\"Deny\""
	case !strings.EqualFold(mode, "Allow"):
		why = fmt.Sprintf("overrideModeDefault=%q in <configSections>", mode)
	}
	var by *LocationTag
	bestDepth := -1
	for _, tag := range c.Locations {
		if tag.sections&bit == 0 {
			continue
		}
		depth := 0
		if tag.key != "" {
			if key != tag.key && !strings.HasPrefix(key, tag.key+"/") {
				continue
			}
			depth = strings.Count(tag.key, "/") + 1
		}
		m := ""
		switch {
		case strings.EqualFold(tag.OverrideMode, "Allow") || strings.EqualFold(tag.OverrideMode, "Deny"):
			m = tag.OverrideMode
		case tag.OverrideMode == "" && strings.EqualFold(strings.TrimSpace(tag.AllowOverride), "true"):
			m = "Allow"
		case tag.OverrideMode == "" && strings.EqualFold(strings.TrimSpace(tag.AllowOverride), "false"):
			m = "Deny"
		}
		if m == "" || depth < bestDepth {
			continue
		}
		bestDepth, mode, by = depth, m, tag
	}
	if strings.EqualFold(mode, "Allow") {
		return false, ""
	}
	if by != nil {
		why = fmt.Sprintf("<location path=%q> at %s denies overrides", by.Path, c.Position(by.Locator))
	}
	return true, why
}
