package w3clog

import (
	"bytes"
	"fmt"
	"strings"
)

// Lines without a #Fields directive before them (excerpts pasted into
// tickets, forums and documentation) are read with one of the field sets
// IIS writes by default, when the shapes of the line's values fit it
// field by field: a date, a time, IP addresses, a method, a port, a
// status of 100-599 and numeric substatus, win32 status and time-taken.
// The field count alone never decides.

// knownLayout is a default IIS field set a headerless line may be read
// with.
type knownLayout struct {
	name   string
	lay    *layout
	shapes []func([]byte) bool
}

func newKnownLayout(name, fields string) *knownLayout {
	k := &knownLayout{name: name, lay: parseFields([]byte(fields))}
	for _, f := range k.lay.names {
		sh := fieldShapes[strings.ToLower(f)]
		if sh == nil {
			sh = anyValue
		}
		k.shapes = append(k.shapes, sh)
	}
	return k
}

// knownLayouts are tried in this order (after the layout of the previous
// headerless line). Sources: the default W3C field sets of IIS 6.0 (SP1),
// IIS 7.0-8.0 (also the fixed layout of the Web Management Service log,
// %SystemDrive%\Inetpub\logs\WMSvc) and IIS 8.5 and later.
var knownLayouts = []*knownLayout{
	newKnownLayout("the IIS 8.5+ default field set",
		"date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"),
	newKnownLayout("the IIS 7-8.0 default field set, also the Web Management Service (WMSvc) log (no cs(Referer))",
		"date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken"),
	newKnownLayout("the IIS 8.5+ default field set without time-taken",
		"date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status"),
	newKnownLayout("the IIS 6 default field set (no cs(Referer), no time-taken)",
		"date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status"),
}

// knownCounts lists the field counts of knownLayouts for messages.
var knownCounts = func() string {
	var parts []string
	seen := map[int]bool{}
	for _, k := range knownLayouts {
		if !seen[k.lay.n] {
			seen[k.lay.n] = true
			parts = append(parts, fmt.Sprint(k.lay.n))
		}
	}
	return strings.Join(parts, ", ")
}()

var fieldShapes = map[string]func([]byte) bool{
	"date":            isDate,
	"time":            isTime,
	"s-ip":            isIP,
	"c-ip":            isIP,
	"cs-method":       isMethod,
	"cs-uri-stem":     isURIStem,
	"s-port":          isPort,
	"sc-status":       isStatus,
	"sc-substatus":    isUint32,
	"sc-win32-status": isUint32,
	"time-taken":      isUint32,
}

func anyValue(f []byte) bool { return len(f) > 0 }

func isDate(f []byte) bool {
	_, ok := parseTimestamp(f, []byte("00:00:00"))
	return ok
}

func isTime(f []byte) bool {
	if len(f) > 8 && f[8] != '.' {
		return false
	}
	_, ok := parseTimestamp([]byte("1970-01-01"), f)
	return ok
}

// isIP accepts dotted IPv4 and the IPv6 forms IIS logs (hex groups,
// "::", an embedded IPv4 tail, a "%zone" suffix).
func isIP(f []byte) bool {
	if i := bytes.IndexByte(f, '%'); i > 0 && bytes.IndexByte(f, ':') >= 0 {
		f = f[:i]
	}
	if bytes.IndexByte(f, ':') < 0 {
		return isIPv4(f)
	}
	if len(f) > 45 {
		return false
	}
	colons, group := 0, 0
	for i, c := range f {
		switch {
		case c == ':':
			colons++
			group = 0
		case c == '.':
			// IPv4 tail ("::ffff:10.0.0.1").
			j := bytes.LastIndexByte(f[:i], ':')
			return colons >= 2 && isIPv4(f[j+1:])
		case isHex(c):
			group++
			if group > 4 {
				return false
			}
		default:
			return false
		}
	}
	return colons >= 2 && colons <= 7
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isIPv4(f []byte) bool {
	parts := 0
	for len(f) > 0 {
		i := bytes.IndexByte(f, '.')
		p := f
		if i >= 0 {
			p, f = f[:i], f[i+1:]
			if len(f) == 0 {
				return false
			}
		} else {
			f = nil
		}
		v, ok := digits(p)
		if !ok || len(p) == 0 || len(p) > 3 || v > 255 {
			return false
		}
		parts++
	}
	return parts == 4
}

// isMethod accepts HTTP and WebDAV methods ("GET", "PROPFIND",
// "VERSION-CONTROL", Exchange's "RPC_IN_DATA").
func isMethod(f []byte) bool {
	if len(f) == 0 || len(f) > 32 {
		return false
	}
	for _, c := range f {
		if !(c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isURIStem(f []byte) bool {
	return len(f) > 0 && (f[0] == '/' || f[0] == '*' || bytes.Contains(f, []byte("://")))
}

func isPort(f []byte) bool {
	v, ok := digits(f)
	return ok && len(f) > 0 && len(f) <= 5 && v >= 1 && v <= 65535
}

func isStatus(f []byte) bool {
	v, ok := digits(f)
	return ok && len(f) == 3 && v >= 100 && v <= 599
}

func isUint32(f []byte) bool {
	v, ok := digits(f)
	return ok && len(f) > 0 && len(f) <= 10 && v <= 0xFFFFFFFF
}

// startsWithDateTime reports a line that begins like W3C data:
// "YYYY-MM-DD hh:mm:ss".
func startsWithDateTime(b []byte) bool {
	if len(b) < 19 || b[10] != ' ' {
		return false
	}
	t := b[11:]
	if i := bytes.IndexByte(t, ' '); i >= 0 {
		t = t[:i]
	}
	return isDate(b[:10]) && isTime(t)
}

// fits reports whether every value of the line has the shape of its field.
func (k *knownLayout) fits(fields [][]byte) bool {
	if len(fields) != k.lay.n {
		return false
	}
	for i, f := range fields {
		if !k.shapes[i](f) {
			return false
		}
	}
	return true
}

// fitKnown returns the known layout the line fits: the previous headerless
// line's layout if it still fits, else the first in knownLayouts order.
func (p *proc) fitKnown(b []byte) *knownLayout {
	p.fbuf = p.fbuf[:0]
	for {
		i := bytes.IndexByte(b, ' ')
		if i < 0 {
			p.fbuf = append(p.fbuf, b)
			break
		}
		p.fbuf = append(p.fbuf, b[:i])
		b = b[i+1:]
		if len(p.fbuf) > 64 {
			return nil
		}
	}
	if p.guess != nil && p.guess.fits(p.fbuf) {
		return p.guess
	}
	for _, k := range knownLayouts {
		if k != p.guess && k.fits(p.fbuf) {
			return k
		}
	}
	return nil
}

// headerless handles a data line while no #Fields directive is in force.
// It returns the layout to read the line with, or nil when the line is
// done with (not read and reported, an error, or a speculative chunk).
func (p *proc) headerless(b []byte, ln int64) *layout {
	first := !p.begun
	p.begun = true
	if p.speculative {
		// The chunk is classified again with the state of the lines
		// before it (see readerAtTally).
		if !p.lookahead {
			p.prefixData = true
		}
		return nil
	}
	k := p.fitKnown(b)
	if k == nil {
		if p.lookahead {
			return nil
		}
		if first && !startsWithDateTime(b) {
			reason := "first line is neither a W3C directive nor a log line of a default IIS field set"
			if bytes.Count(b, []byte(", ")) >= 10 {
				reason += " (looks like the comma-separated IIS log format; W3C is required)"
			}
			p.err = &FormatError{File: p.file, Line: ln, Reason: reason}
			return nil
		}
		if !startsWithDateTime(b) {
			p.unreadLine(ln, "line before any #Fields directive does not start with a date and time: the continuation of a wrapped line, or not a log line; not read")
			return nil
		}
		p.unreadLine(ln, "line before any #Fields directive has %d fields whose values fit no default IIS field set (%s fields): not read; a line wrapped over several lines, or a custom field set (send the log with its #Fields header)",
			bytes.Count(b, []byte{' '})+1, knownCounts)
		return nil
	}
	if k != p.guess {
		p.guess = k
		p.warn(ln, "no #Fields directive: lines read as %s (%s), which the shapes of their values fit; the field set is assumed, not declared (send the log with its #Fields header to be sure)",
			k.name, strings.Join(k.lay.names, " "))
		if !p.lookahead {
			p.t.addAssumed(strings.Join(k.lay.names, " "))
		}
	}
	p.setLayout(k.lay)
	p.guessed = true
	return k.lay
}
