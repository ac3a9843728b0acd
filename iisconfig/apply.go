package iisconfig

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// EditKind says what an [Edit] changes.
type EditKind int

// Edit kinds. The zero value is not a valid kind.
const (
	// SetAttribute sets Attribute=Value on Section at Path.
	SetAttribute EditKind = iota + 1
	// SetProviders replaces the windowsAuthentication providers at Path with
	// Providers, in order (written as <clear/> followed by one <add> each).
	SetProviders
	// SetAppPoolIdentity sets the processModel identityType (and userName) of
	// the application pool AppPool, creating <processModel> if needed. No
	// password is written; a userName already present is kept when switching
	// to another identity type, as appcmd does (IIS ignores it then).
	SetAppPoolIdentity
	// SetApplicationPool sets the applicationPool attribute of the
	// application whose full path is Path to AppPool. The pool need not
	// exist, as with appcmd; the result then carries a WarnUnknownAppPool.
	SetApplicationPool
)

var editKindNames = [...]string{"", "set-attribute", "set-providers", "set-app-pool-identity", "set-application-pool"}

// String returns "set-attribute", "set-providers", "set-app-pool-identity",
// "set-application-pool" or "EditKind(n)".
func (k EditKind) String() string {
	if k >= SetAttribute && int(k) < len(editKindNames) {
		return editKindNames[k]
	}
	return fmt.Sprintf("EditKind(%d)", int(k))
}

// MarshalText renders String, for JSON.
func (k EditKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Edit is one change to applicationHost.config, made as
// `appcmd set config ... /commit:apphost` (or `appcmd set apppool`/`set app`)
// would make it. It never carries a password.
type Edit struct {
	// Kind says what the edit changes.
	Kind EditKind
	// Path is the configuration path for SetAttribute, SetProviders and
	// SetApplicationPool: "" (or ".") for server level, otherwise
	// "Site/app/...", compared case-insensitively with slashes trimmed, as
	// [Config.Effective] does.
	Path string
	// Section is the authentication section of SetAttribute:
	// "windowsAuthentication", "anonymousAuthentication",
	// "basicAuthentication" or "digestAuthentication". SetProviders accepts ""
	// or "windowsAuthentication".
	Section string
	// Attribute is the attribute of SetAttribute: "enabled" (every section);
	// "useKernelMode", "useAppPoolCredentials", "authPersistNonNTLM",
	// "authPersistSingleRequest", "extendedProtection.tokenChecking",
	// "extendedProtection.flags" (windowsAuthentication); "userName"
	// (anonymousAuthentication). A dotted name sets an attribute of that
	// child element; "/" is accepted in place of the dot.
	Attribute string
	// Value is the value of SetAttribute as appcmd writes it: "true"/"false",
	// "None"/"Allow"/"Require", flag names. It is validated against the
	// attribute's type and written in canonical spelling.
	Value string
	// Providers are the windowsAuthentication providers of SetProviders, in
	// order ("Negotiate", "NTLM"); empty leaves no provider.
	Providers []string
	// AppPool is the application pool: the pool to change for
	// SetAppPoolIdentity, the pool to assign for SetApplicationPool.
	AppPool string
	// IdentityType is the identity of SetAppPoolIdentity.
	IdentityType IdentityType
	// UserName is the account of SetAppPoolIdentity; required for
	// SpecificUser and not allowed otherwise.
	UserName string
}

// String renders the edit in one line for reports, for example
// "set windowsAuthentication authPersistNonNTLM=true at Default Web Site/Altiris".
func (e Edit) String() string {
	switch e.Kind {
	case SetAttribute:
		return "set " + e.Section + " " + e.Attribute + "=" + showValue(e.Value) + " at " + showPath(e.Path)
	case SetProviders:
		return "set windowsAuthentication providers=" + strings.Join(e.Providers, ",") + " at " + showPath(e.Path)
	case SetAppPoolIdentity:
		s := "set application pool " + showValue(e.AppPool) + " identityType=" + e.IdentityType.String()
		if e.UserName != "" {
			s += " userName=" + e.UserName
		}
		return s
	case SetApplicationPool:
		return "set applicationPool=" + showValue(e.AppPool) + " on application " + showPath(e.Path)
	}
	return "unknown edit " + e.Kind.String()
}

func showValue(s string) string {
	if s == "" || strings.ContainsAny(s, " \t") {
		return quote(s)
	}
	return s
}

func showPath(p string) string {
	if normKey(p) == "" {
		return "server level"
	}
	return strings.Join(splitPath(p), "/")
}

// Errors wrapped by an *[EditError]. A path naming no site wraps
// [ErrUnknownSite]; SetApplicationPool with an empty path wraps [ErrEmptyPath].
var (
	// ErrUnknownEditKind: the edit's Kind is not one of the EditKind constants.
	ErrUnknownEditKind = errors.New("unknown edit kind")
	// ErrUnknownSection: Section is not an authentication section this package models.
	ErrUnknownSection = errors.New("unknown authentication section")
	// ErrUnknownAttribute: Attribute is not an attribute of Section this package models.
	ErrUnknownAttribute = errors.New("unknown attribute")
	// ErrInvalidValue: a value is not valid for its attribute (not a
	// boolean, an unknown enum name, a duplicate provider, a character XML
	// cannot hold ...).
	ErrInvalidValue = errors.New("invalid value")
	// ErrUnknownAppPool: SetAppPoolIdentity names no application pool.
	ErrUnknownAppPool = errors.New("no such application pool")
	// ErrUnknownApplication: SetApplicationPool's path is not an application.
	ErrUnknownApplication = errors.New("no such application")
)

// EditError reports an edit [Config.Apply] cannot make.
type EditError struct {
	// Index is the position of the edit in the Apply call (0-based).
	Index int
	// Edit is the edit.
	Edit Edit
	// Err is one of the Err* sentinels of this package, possibly wrapped
	// with detail.
	Err error
}

// Error renders "iisconfig: edit N (description): reason".
func (e *EditError) Error() string {
	return fmt.Sprintf("iisconfig: edit %d (%s): %v", e.Index, e.Edit, e.Err)
}

// Unwrap returns Err.
func (e *EditError) Unwrap() error { return e.Err }

// Value types of editable attributes.
const (
	vBool = iota
	vTokenChecking
	vFlags
	vString
)

// editAttrs are the attributes SetAttribute may set.
var editAttrs = [...]struct {
	section, child, attr string
	typ                  int
}{
	{secWindows, "", "enabled", vBool},
	{secWindows, "", "useKernelMode", vBool},
	{secWindows, "", "useAppPoolCredentials", vBool},
	{secWindows, "", "authPersistNonNTLM", vBool},
	{secWindows, "", "authPersistSingleRequest", vBool},
	{secWindows, "extendedProtection", "tokenChecking", vTokenChecking},
	{secWindows, "extendedProtection", "flags", vFlags},
	{secAnonymous, "", "enabled", vBool},
	{secAnonymous, "", "userName", vString},
	{secBasic, "", "enabled", vBool},
	{secDigest, "", "enabled", vBool},
}

// Apply returns a new Config with edits applied in order to a copy of c's
// document, then read again with c's Name and Schema; c is not modified and
// nothing is written to disk. Passwords stay redacted, and Locators and line
// numbers of the result refer to the edited document.
//
// Edits are placed where appcmd /commit:apphost puts them. At server level
// the section is the root <system.webServer> one (created if missing),
// unless a later <location path=""> already holds the section, in which
// case that tag is edited so that the change takes effect. At a path, the
// last <location> tag with that path (compared as Effective compares paths)
// is edited, skipping tags with inheritInChildApplications="false" or the
// legacy allowOverride attribute; when no tag qualifies, or a skipped tag
// after it holds the same section and could override the change, a new
// <location path="P"> is appended to <configuration>. Missing
// system.webServer/security/authentication elements are created.
//
// An edit that cannot be made yields an *[EditError]; no Config is returned
// then. With no edits, Apply returns an equivalent fresh Config.
func (c *Config) Apply(edits ...Edit) (*Config, error) {
	if c == nil || c.src == nil || c.src.doc == nil {
		return nil, errors.New("iisconfig: Apply needs a Config returned by Parse")
	}
	a := &applier{c: c, doc: c.src.doc.Copy(), unit: "  "}
	a.root = a.doc.Root()
	if first := a.root.ChildElements(); len(first) > 0 {
		if in := indentOf(first[0]); in != "" {
			a.unit = in
		}
	}
	for i, e := range edits {
		if err := a.apply(e); err != nil {
			return nil, &EditError{Index: i, Edit: e, Err: err}
		}
	}
	data, err := a.doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("iisconfig: writing the edited configuration: %w", err)
	}
	out, err := parseBytes(data, Options{Name: c.Name, Schema: c.schema})
	if err != nil {
		return nil, fmt.Errorf("iisconfig: reading the edited configuration: %w", err)
	}
	return out, nil
}

// applier edits a copy of a Config's document.
type applier struct {
	c    *Config
	doc  *etree.Document
	root *etree.Element
	unit string // one step of indentation, as the document's first level uses
}

func (a *applier) apply(e Edit) error {
	switch e.Kind {
	case SetAttribute:
		return a.setAttribute(e)
	case SetProviders:
		return a.setProviders(e)
	case SetAppPoolIdentity:
		return a.setIdentity(e)
	case SetApplicationPool:
		return a.setApplicationPool(e)
	}
	return ErrUnknownEditKind
}

func (a *applier) setAttribute(e Edit) error {
	section, ok := canonicalSection(e.Section)
	if !ok {
		return ErrUnknownSection
	}
	child, attr, typ, ok := lookupEditAttr(section, e.Attribute)
	if !ok {
		return ErrUnknownAttribute
	}
	v, err := canonicalValue(typ, e.Value)
	if err != nil {
		return err
	}
	sec, err := a.section(e.Path, section)
	if err != nil {
		return err
	}
	el := sec
	if child != "" {
		el = a.ensureChild(sec, child)
	}
	el.CreateAttr(attr, v)
	return nil
}

func (a *applier) setProviders(e Edit) error {
	if e.Section != "" && !equalFold(e.Section, secWindows) {
		return ErrUnknownSection
	}
	vals := make([]string, 0, len(e.Providers))
	for _, p := range e.Providers {
		p = strings.TrimSpace(p)
		if p == "" || !xmlSafe(p) {
			return fmt.Errorf("%w: provider %q", ErrInvalidValue, p)
		}
		if containsFold(vals, p) {
			return fmt.Errorf("%w: provider %q listed twice", ErrInvalidValue, p)
		}
		vals = append(vals, p)
	}
	sec, err := a.section(e.Path, secWindows)
	if err != nil {
		return err
	}
	prov := etree.NewElement("providers")
	prov.CreateElement("clear")
	for _, v := range vals {
		prov.CreateElement("add").CreateAttr("value", v)
	}
	at := -1
	for _, old := range sec.SelectElements("providers") {
		if at < 0 {
			at = old.Index()
		}
		sec.RemoveChild(old)
	}
	if at >= 0 {
		sec.InsertChildAt(at, prov)
	} else {
		a.place(sec, prov)
	}
	return nil
}

func (a *applier) setIdentity(e Edit) error {
	if e.IdentityType < LocalSystem || e.IdentityType > ApplicationPoolIdentity {
		return fmt.Errorf("%w: identityType %v", ErrInvalidValue, e.IdentityType)
	}
	user := strings.TrimSpace(e.UserName)
	if !xmlSafe(user) {
		return fmt.Errorf("%w: userName %q", ErrInvalidValue, e.UserName)
	}
	if e.IdentityType == SpecificUser && user == "" {
		return fmt.Errorf("%w: SpecificUser needs a userName", ErrInvalidValue)
	}
	if e.IdentityType != SpecificUser && user != "" {
		return fmt.Errorf("%w: userName is only used with SpecificUser", ErrInvalidValue)
	}
	pool := a.c.AppPool(strings.TrimSpace(e.AppPool))
	if pool == nil {
		return ErrUnknownAppPool
	}
	add := a.mapped(pool.Locator.el)
	if add == nil {
		return ErrUnknownAppPool
	}
	// The parser reads the first <processModel>.
	pm := add.SelectElement("processModel")
	if pm == nil {
		pm = a.place(add, etree.NewElement("processModel"))
	}
	pm.CreateAttr("identityType", e.IdentityType.String())
	if user != "" {
		pm.CreateAttr("userName", user)
	}
	return nil
}

func (a *applier) setApplicationPool(e Edit) error {
	name := strings.TrimSpace(e.AppPool)
	if name == "" || !xmlSafe(name) {
		return fmt.Errorf("%w: applicationPool %q", ErrInvalidValue, e.AppPool)
	}
	key := normKey(e.Path)
	if key == "" {
		return ErrEmptyPath
	}
	if !xmlSafe(e.Path) {
		return fmt.Errorf("%w: path %q", ErrInvalidValue, e.Path)
	}
	if a.c.siteIndex[siteOf(key)] == nil {
		return ErrUnknownSite
	}
	app := a.c.appIndex[key]
	if app == nil {
		return ErrUnknownApplication
	}
	el := a.mapped(app.Locator.el)
	if el == nil {
		return ErrUnknownApplication
	}
	el.CreateAttr("applicationPool", name)
	return nil
}

// section returns the element of section at path in the copy, creating it
// (and a <location> tag) when missing.
func (a *applier) section(path, section string) (*etree.Element, error) {
	if !xmlSafe(path) {
		return nil, fmt.Errorf("%w: path %q", ErrInvalidValue, path)
	}
	key := normKey(path)
	var container *etree.Element
	if key == "" {
		// The root section, unless a later <location path=""> holds it.
		container = a.root
		for _, ch := range a.root.ChildElements() {
			switch {
			case ch.Tag == "system.webServer" && holdsIn(ch, section):
				container = a.root
			case ch.Tag == "location" && normKey(ch.SelectAttrValue("path", "")) == "" && eligible(ch) && holds(ch, section):
				container = ch
			}
		}
	} else {
		site := a.c.siteIndex[siteOf(key)]
		if site == nil {
			return nil, ErrUnknownSite
		}
		var target, holder *etree.Element
		for _, ch := range a.root.ChildElements() {
			if ch.Tag != "location" || normKey(ch.SelectAttrValue("path", "")) != key {
				continue
			}
			if eligible(ch) {
				target = ch
			} else if holds(ch, section) {
				holder = ch
			}
		}
		if target == nil || holder != nil && holder.Index() > target.Index() {
			target = a.place(a.root, etree.NewElement("location"))
			target.CreateAttr("path", displayPath(path, site))
		}
		container = target
	}
	el := container
	for _, tag := range [...]string{"system.webServer", "security", "authentication", section} {
		el = a.ensureChild(el, tag)
	}
	return el, nil
}

// eligible reports whether appcmd would write into the <location> tag loc:
// not one that stops inheritance into child applications, and not a legacy
// allowOverride tag.
func eligible(loc *etree.Element) bool {
	if loc.SelectAttr("allowOverride") != nil {
		return false
	}
	if v := loc.SelectAttr("inheritInChildApplications"); v != nil {
		if b, ok := parseBool(v.Value); ok && !b {
			return false
		}
	}
	return true
}

// holds reports whether the <location> loc holds section.
func holds(loc *etree.Element, section string) bool {
	for _, ws := range loc.SelectElements("system.webServer") {
		if holdsIn(ws, section) {
			return true
		}
	}
	return false
}

// holdsIn reports whether the <system.webServer> element ws holds section.
func holdsIn(ws *etree.Element, section string) bool {
	for _, sec := range ws.SelectElements("security") {
		for _, auth := range sec.SelectElements("authentication") {
			if auth.SelectElement(section) != nil {
				return true
			}
		}
	}
	return false
}

// ensureChild returns the last child element of parent named tag, creating it
// when there is none. The parser applies repeated elements in order, so the
// last one wins.
func (a *applier) ensureChild(parent *etree.Element, tag string) *etree.Element {
	var last *etree.Element
	for _, ch := range parent.ChildElements() {
		if ch.Tag == tag {
			last = ch
		}
	}
	if last != nil {
		return last
	}
	return a.place(parent, etree.NewElement(tag))
}

// place appends el to parent on a line of its own, indented one step deeper
// than parent (so that Line tells new elements apart and the text stays
// readable), and returns el.
func (a *applier) place(parent, el *etree.Element) *etree.Element {
	pi := indentOf(parent)
	if n := len(parent.Child); n > 0 {
		if cd, ok := parent.Child[n-1].(*etree.CharData); ok && !cd.IsCData() && strings.Trim(cd.Data, " \t\r\n") == "" {
			parent.InsertChildAt(n-1, etree.NewText("\n"+pi+a.unit))
			parent.InsertChildAt(n, el)
			return el
		}
	}
	parent.AddChild(etree.NewText("\n" + pi + a.unit))
	parent.AddChild(el)
	parent.AddChild(etree.NewText("\n" + pi))
	return el
}

// indentOf returns the whitespace that precedes e on its line, "" when e
// does not start a line.
func indentOf(e *etree.Element) string {
	p, i := e.Parent(), e.Index()
	if p == nil || i <= 0 || i > len(p.Child) {
		return ""
	}
	cd, ok := p.Child[i-1].(*etree.CharData)
	if !ok {
		return ""
	}
	text := cd.Data
	j := strings.LastIndexByte(text, '\n')
	if j < 0 || strings.Trim(text[j+1:], " \t") != "" {
		return ""
	}
	return text[j+1:]
}

// mapped returns the element of the copy at the position el has in the
// original document. Edits only append to <configuration> and change
// authentication sections and processModel elements, so the positions of
// pools and applications hold throughout.
func (a *applier) mapped(el *etree.Element) *etree.Element {
	var idx []int
	for e := el; e != nil && e.Parent() != nil; e = e.Parent() {
		idx = append(idx, e.Index())
	}
	cur := &a.doc.Element
	for i := len(idx) - 1; i >= 0; i-- {
		if idx[i] < 0 || idx[i] >= len(cur.Child) {
			return nil
		}
		next, ok := cur.Child[idx[i]].(*etree.Element)
		if !ok {
			return nil
		}
		cur = next
	}
	if cur.Tag != el.Tag {
		return nil
	}
	return cur
}

func canonicalSection(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, n := range authSectionNames {
		if equalFold(n, s) {
			return n, true
		}
	}
	return "", false
}

func lookupEditAttr(section, name string) (child, attr string, typ int, ok bool) {
	name = strings.TrimSpace(name)
	child, attr = "", name
	if i := strings.IndexAny(name, "./"); i >= 0 {
		child, attr = name[:i], name[i+1:]
	}
	for _, d := range editAttrs {
		if d.section == section && equalFold(d.child, child) && equalFold(d.attr, attr) {
			return d.child, d.attr, d.typ, true
		}
	}
	return "", "", 0, false
}

// canonicalValue validates v for an attribute type and returns it as appcmd
// writes it.
func canonicalValue(typ int, v string) (string, error) {
	if !xmlSafe(v) {
		return "", fmt.Errorf("%w: %q", ErrInvalidValue, v)
	}
	switch typ {
	case vBool:
		b, ok := parseBool(v)
		if !ok {
			return "", fmt.Errorf("%w: %q is not true or false", ErrInvalidValue, v)
		}
		if b {
			return "true", nil
		}
		return "false", nil
	case vTokenChecking:
		s, ok := canonicalTokenChecking(v)
		if !ok {
			return "", fmt.Errorf("%w: %q is not None, Allow or Require", ErrInvalidValue, v)
		}
		return s, nil
	case vFlags:
		s, ok := canonicalFlags(v)
		if !ok {
			return "", fmt.Errorf("%w: %q has an unknown flag", ErrInvalidValue, v)
		}
		return s, nil
	}
	return v, nil
}

// xmlSafe reports whether s is valid UTF-8 without control characters, so
// that it survives an XML attribute unchanged.
func xmlSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0xfffe || r == 0xffff || r >= 0xd800 && r <= 0xdfff {
			return false
		}
	}
	return true
}
