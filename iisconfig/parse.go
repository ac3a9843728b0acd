package iisconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// Options adjust parsing.
type Options struct {
	// Name is the source name used in errors and citations (ParseFile sets the path).
	Name string
	// Schema supplies the defaults; nil means DefaultSchema().
	Schema *Schema
}

// Parse reads an applicationHost.config from r with the built-in schema
// defaults. Input beyond the reader's limits ([MaxConfigSize],
// [MaxConfigDepth], [MaxConfigToken]) is a *[ParseError] wrapping a
// *[LimitError].
func Parse(r io.Reader) (*Config, error) { return ParseWith(r, Options{}) }

// ParseFile reads the applicationHost.config at path with the built-in schema
// defaults. A file larger than [MaxConfigSize] is rejected from its size,
// unread.
func ParseFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ParseError{File: path, Offset: -1, Err: unwrapPath(err)}
	}
	defer f.Close()
	var hint int64
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if st.Size() > MaxConfigSize {
			return nil, &ParseError{File: path, Offset: MaxConfigSize, Err: &LimitError{Limit: LimitSize, Max: MaxConfigSize}}
		}
		hint = st.Size()
	}
	data, err := readConfig(f, path, hint)
	if err != nil {
		return nil, err
	}
	return parseBytes(data, Options{Name: path})
}

// unwrapPath drops the *fs.PathError around err: ParseError.File already
// names the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseWith reads an applicationHost.config from r with the given options.
// At most [MaxConfigSize]+1 bytes of r are read.
func ParseWith(r io.Reader, opts Options) (*Config, error) {
	data, err := readConfig(r, opts.Name, 0)
	if err != nil {
		return nil, err
	}
	return parseBytes(data, opts)
}

// Limits of the applicationHost.config reader. Input beyond any of them is
// a *[ParseError] whose Err is a *[LimitError], found before the document
// tree is built, so hostile input costs at most about MaxConfigSize of
// memory (ParseFile: nothing for an over-large file, which is rejected
// from its size) and time linear in its size.
const (
	// MaxConfigSize is the largest applicationHost.config read, in bytes
	// (100 MiB). IIS documents no size limit for applicationHost.config:
	// the registry value HKLM\SOFTWARE\Microsoft\InetStp\Configuration\
	// MaxWebConfigFileSizeInKB (default 250 KB) limits web.config files and
	// the files they name with configSource ("Web.config file maximum size
	// and count", IIS Support Blog, Microsoft Tech Community, August 2020).
	// This cap is ours: hundreds of times the size of a server with
	// thousands of sites.
	MaxConfigSize = 100 << 20
	// MaxConfigDepth is the deepest element nesting read (128, the root
	// <configuration> being depth 1). IIS documents no limit; its deepest
	// schema paths (<location><system.webServer><rewrite><rules><rule>
	// <conditions><add>) are under 10 deep. This cap is ours.
	MaxConfigDepth = 128
	// MaxConfigToken is the longest run of bytes without '<' or '>' read
	// (4 MiB): no tag, attribute value or text of a configuration file is
	// nearly that long, while a file of one endless line (or none) is
	// rejected after reading that much of it. This cap is ours.
	MaxConfigToken = 4 << 20
)

// LimitKind names a limit of the reader.
type LimitKind int

// The limits a LimitError reports.
const (
	// LimitSize is [MaxConfigSize].
	LimitSize LimitKind = iota + 1
	// LimitDepth is [MaxConfigDepth].
	LimitDepth
	// LimitToken is [MaxConfigToken].
	LimitToken
)

// String returns "size", "depth" or "token".
func (k LimitKind) String() string {
	switch k {
	case LimitSize:
		return "size"
	case LimitDepth:
		return "depth"
	case LimitToken:
		return "token"
	}
	return "limit(" + strconv.Itoa(int(k)) + ")"
}

// LimitError is the Err of a *[ParseError] for input beyond one of the
// reader's limits; the ParseError locates where the limit was passed
// (its Offset counts input bytes; for a file rejected from its size it is
// MaxConfigSize and Line is 0).
type LimitError struct {
	// Limit is the limit that was passed.
	Limit LimitKind
	// Max is its value: bytes for LimitSize and LimitToken, elements for
	// LimitDepth.
	Max int64
}

// Error describes the limit.
func (e *LimitError) Error() string {
	switch e.Limit {
	case LimitSize:
		return fmt.Sprintf("file larger than %d bytes (%d MiB), the most this reader accepts", e.Max, e.Max>>20)
	case LimitDepth:
		return fmt.Sprintf("elements nested deeper than %d levels, the most this reader accepts", e.Max)
	case LimitToken:
		return fmt.Sprintf("more than %d bytes without '<' or '>' (a line or value far longer than any configuration holds)", e.Max)
	}
	return fmt.Sprintf("input beyond the reader's %v limit of %d", e.Limit, e.Max)
}

// readChunk is the most readConfig asks of its reader at once; it is
// below MaxConfigToken, which tokenRun relies on.
const readChunk = 64 << 10

// readConfig reads at most MaxConfigSize bytes of r (hint, when positive,
// is the expected size), rejecting input beyond MaxConfigSize or
// MaxConfigToken as soon as it is seen. Without a hint it reads into
// chunks of up to 1 MiB, joined once at the end, so an input rejected for
// its size costs MaxConfigSize and no copies. Errors are *ParseError
// values.
func readConfig(r io.Reader, name string, hint int64) ([]byte, error) {
	r = io.LimitReader(r, MaxConfigSize+1) // never read more than the cap needs
	var (
		chunks [][]byte
		total  int64
		run    int64 // bytes since the last '<' or '>'
		buf    []byte
	)
	if hint > 0 {
		buf = make([]byte, 0, min(hint, MaxConfigSize)+1) // +1: EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) > 0 {
				chunks = append(chunks, buf)
			}
			buf = make([]byte, 0, min(max(readChunk, total/4), 1<<20))
		}
		n, err := r.Read(buf[len(buf):min(len(buf)+readChunk, cap(buf))])
		if n > 0 {
			piece := buf[len(buf) : len(buf)+n]
			buf = buf[:len(buf)+n]
			if at := tokenRun(piece, &run); at >= 0 {
				off := total + int64(at)
				return nil, &ParseError{File: name, Line: 1 + countLines(chunks, buf, off), Offset: off, Err: &LimitError{Limit: LimitToken, Max: MaxConfigToken}}
			}
			total += int64(n)
			if total > MaxConfigSize {
				return nil, &ParseError{File: name, Line: 1 + countLines(chunks, buf, MaxConfigSize), Offset: MaxConfigSize, Err: &LimitError{Limit: LimitSize, Max: MaxConfigSize}}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &ParseError{File: name, Offset: -1, Err: unwrapPath(err)}
		}
	}
	if len(chunks) == 0 {
		return buf, nil
	}
	data := make([]byte, 0, total)
	for _, c := range chunks {
		data = append(data, c...)
	}
	return append(data, buf...), nil
}

// countLines counts the line feeds in the first off bytes of chunks then
// last.
func countLines(chunks [][]byte, last []byte, off int64) int {
	n := 0
	for _, c := range append(chunks, last) {
		if off <= int64(len(c)) {
			return n + bytes.Count(c[:off], []byte{'\n'})
		}
		n += bytes.Count(c, []byte{'\n'})
		off -= int64(len(c))
	}
	return n
}

// tokenRun advances *run (the bytes since the last '<' or '>') over b, a
// piece of at most readChunk bytes, and returns the index in b at which it
// passes MaxConfigToken, or -1. Runs inside b are shorter than b, hence
// within the limit: only the runs at its ends need counting.
func tokenRun(b []byte, run *int64) int {
	first, last := delimIndex(b)
	k := first // bytes of b that extend the run
	if k < 0 {
		k = len(b)
	}
	if *run+int64(k) > MaxConfigToken {
		return int(MaxConfigToken - *run) // the first byte past the limit
	}
	*run += int64(k)
	if first >= 0 {
		*run = int64(len(b) - 1 - last)
	}
	return -1
}

// delimIndex returns the first and last index of '<' or '>' in b, -1 when
// there is none.
func delimIndex(b []byte) (first, last int) {
	first = bytes.IndexByte(b, '<')
	if j := bytes.IndexByte(b, '>'); j >= 0 && (first < 0 || j < first) {
		first = j
	}
	last = max(bytes.LastIndexByte(b, '<'), bytes.LastIndexByte(b, '>'))
	return first, last
}

// parseBytes parses data; data must not be modified by the caller afterwards.
func parseBytes(data []byte, opts Options) (*Config, error) {
	doc, data, err := readDoc(data, opts.Name)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if err := classify(doc); err != nil {
		line, off := firstElementPosition(data)
		return nil, &ParseError{File: opts.Name, Line: line, Offset: off, Err: err}
	}
	schema := opts.Schema
	if schema == nil {
		schema = DefaultSchema()
	}
	p := &parser{c: &Config{
		Name:      opts.Name,
		AppPools:  map[string]*AppPool{},
		poolIndex: map[string]*AppPool{},
		siteIndex: map[string]*Site{},
		appIndex:  map[string]*Application{},
		locIndex:  map[string]*locBucket{},
		schema:    schema,
		src:       &source{data: data, doc: doc},
	}}
	for _, tok := range root.Child {
		ch, ok := tok.(*etree.Element)
		if !ok {
			continue
		}
		switch ch.Tag {
		case "system.applicationHost":
			p.appHost(ch)
		case "system.webServer":
			l := &layer{kind: ServerLevel, inherit: true}
			p.authSections(ch, l, nil)
			if !l.empty() {
				l.seal()
				p.c.server = append(p.c.server, l)
			}
		case "location":
			p.location(ch)
		case "configSections":
			p.configSections(ch)
		}
	}
	p.finish()
	return p.c, nil
}

// readDoc decodes a configuration file (UTF-16 with or without a byte-order
// mark, recognised by its NUL bytes; UTF-8 with or without one), overwrites
// its passwords and parses the XML. It returns the UTF-8 bytes the document
// was read from, for line numbers. Errors are *ParseError values.
func readDoc(data []byte, name string) (*etree.Document, []byte, error) {
	if int64(len(data)) > MaxConfigSize {
		return nil, nil, &ParseError{File: name, Line: lineAt(data, MaxConfigSize), Offset: MaxConfigSize, Err: &LimitError{Limit: LimitSize, Max: MaxConfigSize}}
	}
	head := data
	if len(head) > 512 {
		head = head[:512]
	}
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) || bytes.IndexByte(head, 0) >= 0 {
		tr, _, err := textenc.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, &ParseError{File: name, Offset: -1, Err: err}
		}
		// UTF-8 of UTF-16 text is at most 3/2 its size.
		var buf bytes.Buffer
		buf.Grow(len(data)/2*3 + 16)
		if _, err := buf.ReadFrom(tr); err != nil {
			return nil, nil, &ParseError{File: name, Offset: -1, Err: fmt.Errorf("textenc: %w", err)}
		}
		data = buf.Bytes()
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	redactPasswords(data)
	doc := etree.NewDocument()
	// The bytes are UTF-8 now, whatever the declaration says ("utf-16").
	doc.ReadSettings.CharsetReader = passthroughCharset
	doc.ReadSettings.MaxDepth = MaxConfigDepth
	if err := doc.ReadFromBytes(data); err != nil {
		line, off := errorPosition(data)
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, nil, &ParseError{File: name, Line: line, Offset: off, Err: &LimitError{Limit: LimitDepth, Max: MaxConfigDepth}}
		}
		return nil, nil, &ParseError{File: name, Line: line, Offset: off, Err: explainSyntax(err, data, line)}
	}
	return doc, data, nil
}

// explainSyntax adds the likely cause to an XML error on a line holding
// typographic quotes (text pasted from a word processor or a web page).
func explainSyntax(err error, data []byte, line int) error {
	if line <= 0 {
		return err
	}
	lines := bytes.SplitN(data, []byte{'\n'}, line+1)
	if line > len(lines) {
		return err
	}
	if bytes.ContainsAny(lines[line-1], "\u201c\u201d\u2018\u2019\u201e\u2033") {
		return fmt.Errorf("%w (line %d has typographic quotes where XML needs straight ones (\" or '); the text was probably pasted from a document or web page)", err, line)
	}
	return err
}

// fragmentTags are elements that, at the top of a file, mark an excerpt of a
// configuration file.
var fragmentTags = map[string]bool{
	"location": true, "system.webServer": true, "system.applicationHost": true, "system.web": true,
	"sites": true, "site": true, "applicationPools": true, "application": true, "virtualDirectory": true,
	"bindings": true, "binding": true, "security": true, "authentication": true, "configSections": true,
	secWindows: true, secAnonymous: true, secBasic: true, secDigest: true, "applicationPoolDefaults": true,
}

// classify returns nil for an applicationHost.config and says what the
// document is otherwise: ErrWebConfig, ErrFragment (wrapped with the
// top-level element names) or ErrNotApplicationHost.
func classify(doc *etree.Document) error {
	root := doc.Root()
	if root == nil {
		return ErrNotApplicationHost
	}
	if root.Tag == "configuration" {
		switch {
		case root.SelectElement("system.applicationHost") != nil:
			return nil
		case root.SelectElement("system.webServer") != nil || root.SelectElement("system.web") != nil || root.SelectElement("location") != nil:
			return ErrWebConfig
		}
		return ErrNotApplicationHost
	}
	var tags []string
	fragment := false
	for _, el := range doc.ChildElements() {
		fragment = fragment || fragmentTags[el.Tag]
		t := "<" + el.Tag + ">"
		if len(tags) < 6 && !containsFold(tags, t) {
			tags = append(tags, t)
		}
	}
	if !fragment {
		return fmt.Errorf("%w (root element <%s>)", ErrNotApplicationHost, root.Tag)
	}
	return fmt.Errorf("%w; top-level elements: %s", ErrFragment, strings.Join(tags, ", "))
}

type parser struct {
	c       *Config
	scratch []assign // reused while compiling a location's sections
	siteIDs map[int64]*Site
	apps    []*Application
}

func (p *parser) warn(kind WarningKind, el *etree.Element, format string, args ...any) {
	p.c.Warnings = append(p.c.Warnings, Warning{Kind: kind, Message: fmt.Sprintf(format, args...), Locator: Locator{el}})
}

// configSections records overrideModeDefault of the authentication sections.
func (p *parser) configSections(el *etree.Element) {
	var walk func(e *etree.Element, prefix string)
	walk = func(e *etree.Element, prefix string) {
		for _, tok := range e.Child {
			ch, ok := tok.(*etree.Element)
			if !ok {
				continue
			}
			name := ch.SelectAttrValue("name", "")
			switch ch.Tag {
			case "sectionGroup":
				walk(ch, prefix+name+"/")
			case "section":
				if prefix == "system.webServer/security/authentication/" {
					if p.c.sectionDef == nil {
						p.c.sectionDef = map[string]string{}
					}
					p.c.sectionDef[name] = ch.SelectAttrValue("overrideModeDefault", "")
				}
			}
		}
	}
	walk(el, "")
}

// SectionOverrideModeDefault returns the overrideModeDefault that
// <configSections> declares for an authentication section
// ("windowsAuthentication" ...): "Deny" on a standard IIS install, "Allow"
// in some Hosted Web Core configs, "" when not declared.
func (c *Config) SectionOverrideModeDefault(section string) string {
	return c.sectionDef[section]
}

func (p *parser) appHost(el *etree.Element) {
	for _, tok := range el.Child {
		ch, ok := tok.(*etree.Element)
		if !ok {
			continue
		}
		switch ch.Tag {
		case "applicationPools":
			p.appPools(ch)
		case "sites":
			p.sites(ch)
		}
	}
}

func (p *parser) appPools(el *etree.Element) {
	defaults := el.SelectElement("applicationPoolDefaults")
	var defPM *etree.Element
	if defaults != nil {
		defPM = defaults.SelectElement("processModel")
	}
	sc := p.c.schema
	for _, tok := range el.Child {
		add, ok := tok.(*etree.Element)
		if !ok || add.Tag != "add" {
			continue
		}
		name := add.SelectAttrValue("name", "")
		pool := &AppPool{
			Name:                  name,
			IdentityType:          sc.poolIdentity,
			ManagedRuntimeVersion: sc.poolRuntime,
			ManagedPipelineMode:   sc.poolPipeline,
			AutoStart:             sc.poolAuto,
			IdentityFromDefaults:  true,
			Locator:               Locator{add},
		}
		for _, src := range [2]*etree.Element{defaults, add} {
			if src == nil {
				continue
			}
			for _, a := range src.Attr {
				switch a.Key {
				case "managedRuntimeVersion":
					pool.ManagedRuntimeVersion = a.Value
				case "managedPipelineMode":
					pool.ManagedPipelineMode = a.Value
				case "autoStart":
					if b, ok := parseBool(a.Value); ok {
						pool.AutoStart = b
					} else {
						p.warn(WarnBadValue, src, "application pool %q: autoStart=%q is not a boolean", name, a.Value)
					}
				}
			}
		}
		for i, pm := range [2]*etree.Element{defPM, add.SelectElement("processModel")} {
			if pm == nil {
				continue
			}
			for _, a := range pm.Attr {
				switch a.Key {
				case "identityType":
					t, ok := parseIdentity(a.Value)
					if !ok {
						p.warn(WarnBadValue, pm, "application pool %q: identityType=%q is not a known identity", name, a.Value)
						t = IdentityUnknown
					}
					pool.IdentityType = t
					pool.IdentityFromDefaults = i == 0
				case "userName":
					pool.UserName = a.Value
				}
				// The password attribute is deliberately never read.
			}
		}
		key := strings.ToLower(name)
		if _, dup := p.c.poolIndex[key]; dup {
			p.warn(WarnDuplicatePool, add, "application pool %q is defined more than once; the first definition is used", name)
			continue
		}
		p.c.poolIndex[key] = pool
		p.c.AppPools[name] = pool
		p.c.pools = append(p.c.pools, pool)
	}
}

func (p *parser) sites(el *etree.Element) {
	serverDefaultPool := ""
	if ad := el.SelectElement("applicationDefaults"); ad != nil {
		serverDefaultPool = ad.SelectAttrValue("applicationPool", "")
	}
	if p.siteIDs == nil {
		p.siteIDs = map[int64]*Site{}
	}
	for _, tok := range el.Child {
		se, ok := tok.(*etree.Element)
		if !ok || se.Tag != "site" {
			continue
		}
		site := &Site{Name: se.SelectAttrValue("name", ""), DefaultAppPool: serverDefaultPool, Locator: Locator{se}}
		if v := se.SelectAttr("id"); v != nil {
			id, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
			if err != nil {
				p.warn(WarnBadValue, se, "site %q: id=%q is not a number", site.Name, v.Value)
			} else {
				site.ID = id
				if prev := p.siteIDs[id]; prev != nil {
					p.warn(WarnDuplicateSiteID, se, "sites %q and %q share id %d", prev.Name, site.Name, id)
				} else {
					p.siteIDs[id] = site
				}
			}
		}
		if ad := se.SelectElement("applicationDefaults"); ad != nil {
			if v := ad.SelectAttr("applicationPool"); v != nil {
				site.DefaultAppPool = v.Value
			}
		}
		siteKey := normKey(site.Name)
		if prev := p.c.siteIndex[siteKey]; prev != nil {
			p.warn(WarnDuplicateSiteName, se, "sites %q and %q have the same name; paths resolve to the first", prev.Name, site.Name)
		} else {
			p.c.siteIndex[siteKey] = site
		}
		// Size the slices once: a site's applications are allocated together.
		nApps, nBind := 0, 0
		for _, tok := range se.Child {
			if ch, ok := tok.(*etree.Element); ok {
				switch ch.Tag {
				case "application":
					nApps++
				case "bindings":
					nBind += len(ch.Child)
				}
			}
		}
		apps := make([]Application, nApps)
		site.Applications = make([]*Application, 0, nApps)
		site.Bindings = make([]Binding, 0, nBind/2+1)
		for _, tok := range se.Child {
			ch, ok := tok.(*etree.Element)
			if !ok {
				continue
			}
			switch ch.Tag {
			case "application":
				app := &apps[len(site.Applications)]
				p.application(site, app, ch)
			case "bindings":
				for _, tok := range ch.Child {
					b, ok := tok.(*etree.Element)
					if !ok || b.Tag != "binding" {
						continue
					}
					site.Bindings = append(site.Bindings, p.binding(site, b))
				}
			}
		}
		p.c.Sites = append(p.c.Sites, site)
	}
}

func (p *parser) application(site *Site, app *Application, el *etree.Element) {
	*app = Application{Site: site.Name, Path: el.SelectAttrValue("path", "/"), Locator: Locator{el}}
	app.AppPoolName = site.DefaultAppPool
	if v := el.SelectAttr("applicationPool"); v != nil {
		app.AppPoolName = v.Value
	}
	for _, tok := range el.Child {
		vd, ok := tok.(*etree.Element)
		if !ok || vd.Tag != "virtualDirectory" {
			continue
		}
		d := VirtualDirectory{Path: vd.SelectAttrValue("path", "/"), PhysicalPath: vd.SelectAttrValue("physicalPath", ""),
			UserName: vd.SelectAttrValue("userName", "")}
		if d.Path == "/" {
			app.PhysicalPath = d.PhysicalPath
		}
		app.VirtualDirectories = append(app.VirtualDirectories, d)
	}
	site.Applications = append(site.Applications, app)
	app.full = app.FullPath()
	key := normKey(app.full)
	app.key = key
	if _, dup := p.c.appIndex[key]; !dup {
		p.c.appIndex[key] = app
	}
	p.apps = append(p.apps, app)
}

// binding splits bindingInformation for the protocols that use the
// "address:port:host" form.
func (p *parser) binding(site *Site, el *etree.Element) Binding {
	b := Binding{Protocol: strings.ToLower(el.SelectAttrValue("protocol", "")), Raw: el.SelectAttrValue("bindingInformation", "")}
	switch b.Protocol {
	case "http", "https", "ftp", "ftps":
	default:
		return b
	}
	hostSep := strings.LastIndexByte(b.Raw, ':')
	if hostSep < 0 {
		p.warn(WarnBadValue, el, "site %q: binding %q is not address:port:host", site.Name, b.Raw)
		return b
	}
	b.Host = b.Raw[hostSep+1:]
	rest := b.Raw[:hostSep]
	portSep := strings.LastIndexByte(rest, ':')
	if portSep < 0 {
		p.warn(WarnBadValue, el, "site %q: binding %q is not address:port:host", site.Name, b.Raw)
		b.Host = ""
		return b
	}
	addr := rest[:portSep]
	if len(addr) >= 2 && addr[0] == '[' && addr[len(addr)-1] == ']' {
		addr = addr[1 : len(addr)-1]
	}
	b.Address = addr
	port, err := strconv.Atoi(rest[portSep+1:])
	if err != nil || port < 0 || port > 65535 {
		p.warn(WarnBadValue, el, "site %q: binding %q has an invalid port", site.Name, b.Raw)
	} else {
		b.Port = port
	}
	return b
}

// locAlloc holds everything one <location> needs, allocated at once.
type locAlloc struct {
	tag LocationTag
	l   layer
	b   locBucket
}

func (p *parser) location(el *etree.Element) {
	la := &locAlloc{}
	tag := &la.tag
	tag.InheritInChildApplications, tag.Locator = true, Locator{el}
	hasOverride, hasAllow := false, false
	for _, a := range el.Attr {
		switch a.Key {
		case "path":
			tag.Path = a.Value
		case "overrideMode":
			tag.OverrideMode = a.Value
			hasOverride = true
		case "allowOverride":
			tag.AllowOverride = a.Value
			hasAllow = true
		case "inheritInChildApplications":
			b, ok := parseBool(a.Value)
			if !ok {
				p.warn(WarnBadValue, el, "location %q: inheritInChildApplications=%q is not a boolean", tag.Path, a.Value)
			} else {
				tag.InheritInChildApplications = b
			}
		}
	}
	if hasOverride && hasAllow {
		p.warn(WarnOverrideConflict, el, "location %q sets both overrideMode and allowOverride; IIS rejects this as a configuration error", tag.Path)
	}
	key := normKey(tag.Path)
	tag.key = key
	l := &la.l
	l.kind, l.path, l.inherit = Location, tag.Path, tag.InheritInChildApplications
	if key == "" {
		l.kind = ServerLevel
	}
	// Collect assignments in the parser's scratch slice, then keep an
	// exactly sized copy.
	l.assigns = p.scratch[:0]
	for _, tok := range el.Child {
		ch, ok := tok.(*etree.Element)
		if !ok {
			continue
		}
		if ch.Tag == "system.webServer" {
			p.authSections(ch, l, tag)
		}
	}
	p.scratch = l.assigns[:0]
	if len(l.assigns) == 0 {
		l.assigns = nil
	} else {
		l.assigns = append([]assign(nil), l.assigns...)
	}
	p.c.Locations = append(p.c.Locations, tag)
	if key == "" {
		if !l.empty() {
			l.seal()
			p.c.server = append(p.c.server, l)
		}
		return
	}
	b := p.c.locIndex[key]
	if b == nil {
		b = &la.b
		b.first = tag
		b.layers = b.one[:0]
		p.c.locIndex[key] = b
	} else if trimSlashes(b.first.Path) != trimSlashes(tag.Path) {
		p.warn(WarnAmbiguousLocation, el, "location %q differs from location %q only by case; IIS treats paths case-insensitively, so both apply", tag.Path, b.first.Path)
	}
	if !l.empty() {
		l.seal()
		b.layers = append(b.layers, l)
	}
}

// finish runs the checks that need the whole document.
func (p *parser) finish() {
	for _, app := range p.apps {
		app.pool = p.c.poolIndex[strings.ToLower(app.AppPoolName)]
		if app.pool == nil {
			if app.AppPoolName == "" {
				p.warn(WarnUnknownAppPool, app.Locator.el, "application %q names no application pool and no <applicationDefaults> supplies one", app.FullPath())
			} else {
				p.warn(WarnUnknownAppPool, app.Locator.el, "application %q uses application pool %q, which is not defined", app.FullPath(), app.AppPoolName)
			}
		}
	}
	for _, tag := range p.c.Locations {
		if tag.key == "" {
			continue
		}
		if p.c.siteIndex[siteOf(tag.key)] == nil {
			p.warn(WarnLocationNoSite, tag.Locator.el, "location %q names no site (%q is not a site name)", tag.Path, splitPath(tag.Path)[0])
		}
	}
}

func parseBool(s string) (bool, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func parseIdentity(s string) (IdentityType, bool) {
	s = strings.TrimSpace(s)
	for t := LocalSystem; t <= ApplicationPoolIdentity; t++ {
		if strings.EqualFold(s, t.String()) || s == strconv.Itoa(t.SchemaValue()) {
			return t, true
		}
	}
	return IdentityUnknown, false
}

// splitPath splits a configuration path into its non-empty segments.
func splitPath(path string) []string {
	var segs []string
	for _, s := range strings.Split(path, "/") {
		if s = strings.TrimSpace(s); s != "" && s != "." {
			segs = append(segs, s)
		}
	}
	return segs
}

// normKey returns the lower-cased path with empty segments removed, the key
// of location and application indexes.
func normKey(path string) string {
	clean := true
	if path == "" || path[0] == '/' || path[len(path)-1] == '/' || strings.Contains(path, "//") || path == "." ||
		strings.HasPrefix(path, "./") || strings.Contains(path, "/./") || strings.HasSuffix(path, "/.") {
		clean = false
	}
	if clean {
		for i := 0; i < len(path); i++ {
			if c := path[i]; c == ' ' && (i == 0 || i == len(path)-1 || path[i-1] == '/' || path[i+1] == '/') {
				clean = false
				break
			}
		}
	}
	if clean {
		return strings.ToLower(path)
	}
	return strings.ToLower(strings.Join(splitPath(path), "/"))
}

func trimSlashes(s string) string { return strings.Trim(strings.TrimSpace(s), "/") }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// redactPasswords overwrites the value of every password attribute in data
// with '*' (keeping its length and line breaks, so offsets and line numbers
// hold), before anything else reads the document: no value this package
// keeps can contain an application pool, virtual directory or anonymous
// user password, encrypted or not.
func redactPasswords(data []byte) {
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], []byte("assword"))
		if j < 0 {
			return
		}
		start := i + j - 1 // position of the 'p'
		i += j + len("assword")
		if start < 1 || (data[start] != 'p' && data[start] != 'P') || !isXMLSpace(data[start-1]) {
			continue
		}
		k := i
		for k < len(data) && isXMLSpace(data[k]) {
			k++
		}
		if k >= len(data) || data[k] != '=' {
			continue
		}
		k++
		for k < len(data) && isXMLSpace(data[k]) {
			k++
		}
		if k >= len(data) || (data[k] != '"' && data[k] != '\'') {
			continue
		}
		q := data[k]
		k++
		for k < len(data) && data[k] != q {
			if data[k] != '\n' && data[k] != '\r' {
				data[k] = '*'
			}
			k++
		}
		i = k
	}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// siteOf returns the first segment of a normalised key.
func siteOf(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}
