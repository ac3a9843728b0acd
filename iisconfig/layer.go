package iisconfig

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// setter records which layer set a value, and the element that holds it.
type setter struct {
	l  *layer
	el *etree.Element
}

// origin expands a setter (nil = schema default) into an Origin.
func (s *setter) origin() Origin {
	if s == nil {
		return Origin{Kind: SchemaDefault}
	}
	return Origin{Kind: s.l.kind, LocationPath: s.l.path, File: s.l.file, Locator: Locator{s.el}}
}

// assign is one attribute set by a layer.
type assign struct {
	f   field
	v   value
	src setter
}

// Collection operations.
const (
	opAdd uint8 = iota
	opRemove
	opClear
)

type collOp struct {
	op uint8
	v  string
}

// layer is what one configuration level (the root system.webServer, or one
// <location> tag) sets, compiled once at parse time so that resolving a path
// never re-reads attributes.
type layer struct {
	kind    OriginKind
	path    string // location path as written
	file    string // web.config name (WebConfigFile layers only)
	inherit bool   // inheritInChildApplications
	assigns []assign
	prov    []collOp
	provSrc setter
	provPre []string // result of prov applied to an empty list
	spns    []collOp
	spnSrc  setter
	spnPre  []string
}

// locBucket holds the <location> tags of one normalised path: the first tag
// (to detect case-only duplicates) and the layers that set something, in
// document order.
type locBucket struct {
	first  *LocationTag
	layers []*layer
	one    [1]*layer // backing array for the usual single layer
}

func (l *layer) empty() bool { return len(l.assigns) == 0 && l.provSrc.el == nil && l.spnSrc.el == nil }

func (l *layer) set(f field, v value, el *etree.Element) {
	l.assigns = append(l.assigns, assign{f: f, v: v, src: setter{l, el}})
}

// seal precomputes what resolving needs once the layer is complete.
func (l *layer) seal() {
	if l.provSrc.el != nil {
		l.provPre = clip(applyOps(nil, l.prov))
	}
	if l.spnSrc.el != nil {
		l.spnPre = clip(applyOps(nil, l.spns))
	}
}

// clip limits a slice's capacity to its length, so that a caller appending to
// a shared result copies instead of writing into it.
func clip(s []string) []string { return s[:len(s):len(s)] }

// authSections compiles the authentication sections below a system.webServer
// element into l and records them on tag (nil for the root level).
func (p *parser) authSections(ws *etree.Element, l *layer, tag *LocationTag) {
	for _, tok := range ws.Child {
		sec, ok := tok.(*etree.Element)
		if !ok {
			continue
		}
		if sec.Tag != "security" {
			continue
		}
		for _, tok := range sec.Child {
			auth, ok := tok.(*etree.Element)
			if !ok {
				continue
			}
			if auth.Tag != "authentication" {
				continue
			}
			for _, tok := range auth.Child {
				el, ok := tok.(*etree.Element)
				if !ok {
					continue
				}
				var mark uint8
				switch el.Tag {
				case secWindows:
					p.windowsAuth(el, l)
					mark = 1
				case secAnonymous:
					mark = 2
					p.boolAttrs(el, l, map2{"enabled", fAnonEnabled})
					if v := el.SelectAttr("userName"); v != nil {
						l.set(fAnonUser, value{s: v.Value}, el)
					}
				case secBasic:
					mark = 4
					p.boolAttrs(el, l, map2{"enabled", fBasicEnabled})
				case secDigest:
					mark = 8
					p.boolAttrs(el, l, map2{"enabled", fDigestEnabled})
				default:
					continue
				}
				if tag != nil {
					tag.sections |= mark
				}
			}
		}
	}
}

type map2 struct {
	attr string
	f    field
}

func (p *parser) boolAttrs(el *etree.Element, l *layer, fields ...map2) {
	for _, a := range el.Attr {
		if a.Space != "" {
			continue
		}
		for _, m := range fields {
			if a.Key != m.attr {
				continue
			}
			b, ok := parseBool(a.Value)
			if !ok {
				p.warn(WarnBadValue, el, "%s %s=%q is not a boolean; ignored", el.Tag, a.Key, a.Value)
				continue
			}
			l.set(m.f, value{b: b}, el)
		}
	}
}

func (p *parser) windowsAuth(el *etree.Element, l *layer) {
	p.boolAttrs(el, l,
		map2{"enabled", fWinEnabled},
		map2{"useKernelMode", fWinKernel},
		map2{"useAppPoolCredentials", fWinAppPoolCreds},
		map2{"authPersistNonNTLM", fWinPersistNonNTLM},
		map2{"authPersistSingleRequest", fWinPersistSingle})
	for _, tok := range el.Child {
		ch, ok := tok.(*etree.Element)
		if !ok {
			continue
		}
		switch ch.Tag {
		case "providers":
			l.provSrc = setter{l, ch}
			l.prov = l.prov[:0]
			for _, tok := range ch.Child {
				op, ok := tok.(*etree.Element)
				if !ok {
					continue
				}
				switch op.Tag {
				case "add":
					l.prov = append(l.prov, collOp{opAdd, strings.TrimSpace(op.SelectAttrValue("value", ""))})
				case "remove":
					l.prov = append(l.prov, collOp{opRemove, strings.TrimSpace(op.SelectAttrValue("value", ""))})
				case "clear":
					l.prov = append(l.prov, collOp{op: opClear})
				}
			}
		case "extendedProtection":
			for _, a := range ch.Attr {
				switch a.Key {
				case "tokenChecking":
					if v, ok := canonicalTokenChecking(a.Value); ok {
						l.set(fEPTokenChecking, value{s: v}, ch)
					} else {
						p.warn(WarnBadValue, ch, "extendedProtection tokenChecking=%q is not None, Allow or Require; ignored", a.Value)
					}
				case "flags":
					if v, ok := canonicalFlags(a.Value); ok {
						l.set(fEPFlags, value{s: v}, ch)
					} else {
						p.warn(WarnBadValue, ch, "extendedProtection flags=%q has an unknown flag; ignored", a.Value)
					}
				}
			}
			for _, tok := range ch.Child {
				op, ok := tok.(*etree.Element)
				if !ok {
					continue
				}
				switch op.Tag {
				case "spn":
					l.spns = append(l.spns, collOp{opAdd, strings.TrimSpace(op.SelectAttrValue("name", ""))})
				case "removeSpn":
					l.spns = append(l.spns, collOp{opRemove, strings.TrimSpace(op.SelectAttrValue("name", ""))})
				case "clearSpns":
					l.spns = append(l.spns, collOp{op: opClear})
				default:
					continue
				}
				l.spnSrc = setter{l, ch}
			}
		}
	}
}

func canonicalTokenChecking(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for i, n := range [...]string{"None", "Allow", "Require"} {
		if strings.EqualFold(s, n) || s == strconv.Itoa(i) {
			return n, true
		}
	}
	return "", false
}

// extendedProtection flag names and values (IIS_schema.xml).
var epFlags = [...]struct {
	name string
	bit  uint32
}{{"Proxy", 1}, {"NoServiceNameCheck", 2}, {"AllowDotlessSpn", 4}, {"ProxyCohosting", 32}}

// canonicalFlags normalises a flags value ("Proxy, NoServiceNameCheck", "3")
// to flag names in schema order, or "None".
func canonicalFlags(s string) (string, bool) {
	var bits uint32
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || strings.EqualFold(part, "None") {
			continue
		}
		if n, err := strconv.ParseUint(part, 10, 32); err == nil {
			bits |= uint32(n)
			continue
		}
		found := false
		for _, f := range epFlags {
			if strings.EqualFold(part, f.name) {
				bits |= f.bit
				found = true
			}
		}
		if !found {
			return "", false
		}
	}
	var names []string
	for _, f := range epFlags {
		if bits&f.bit != 0 {
			names = append(names, f.name)
			bits &^= f.bit
		}
	}
	if bits != 0 {
		return "", false
	}
	if len(names) == 0 {
		return "None", true
	}
	return strings.Join(names, ","), true
}

// FlagBits returns the numeric value of Flags (Proxy=1, NoServiceNameCheck=2,
// AllowDotlessSpn=4, ProxyCohosting=32).
func (e ExtendedProtection) FlagBits() uint32 {
	var bits uint32
	for _, part := range strings.Split(e.Flags, ",") {
		for _, f := range epFlags {
			if strings.EqualFold(strings.TrimSpace(part), f.name) {
				bits |= f.bit
			}
		}
	}
	return bits
}
