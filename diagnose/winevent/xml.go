package winevent

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

type openElem struct {
	name string
	line int
}

// xmlReader turns the token stream into events: every <Event> element at any
// depth (no root, <Events> root, or any other wrapper) is one event.
type xmlReader struct {
	s        *xscan
	o        *Options
	stats    *Stats
	stack    []openElem
	root     string
	nEvents  int
	format   Format
	fromJSON bool // parsing an EventData string inside a JSON record
}

func newXMLReader(br *bufio.Reader, o *Options, st *Stats) *xmlReader {
	return &xmlReader{s: newXScan(br, o.MaxEventBytes), o: o, stats: st, format: FormatXML}
}

func (x *xmlReader) push(t *xtok) error {
	if len(x.stack) >= x.o.MaxDepth {
		return &SyntaxError{Line: t.line, Col: t.col, Offset: t.off,
			Msg: fmt.Sprintf("XML nested deeper than %d elements", x.o.MaxDepth)}
	}
	if len(x.stack) == 0 && x.root == "" {
		x.root = t.name
		if knownNotEvents[t.name] && !x.fromJSON {
			return &FormatError{Name: x.o.Name, Looks: describeXMLRoot(t.name)}
		}
	}
	x.stack = append(x.stack, openElem{t.name, t.line})
	return nil
}

func (x *xmlReader) pop(t *xtok) error {
	if len(x.stack) == 0 {
		return &SyntaxError{Line: t.line, Col: t.col, Offset: t.off, Msg: "end tag </" + t.name + "> without a start tag"}
	}
	top := x.stack[len(x.stack)-1]
	if top.name != t.name {
		return &SyntaxError{Line: t.line, Col: t.col, Offset: t.off,
			Msg: fmt.Sprintf("end tag </%s> does not match <%s> opened at line %d", t.name, top.name, top.line)}
	}
	x.stack = x.stack[:len(x.stack)-1]
	return nil
}

// next returns the next event, nil at the end of input.
func (x *xmlReader) next() (*Event, error) {
	for {
		t, err := x.s.next(false)
		if err != nil {
			return nil, x.fail(err)
		}
		switch t.kind {
		case tEOF:
			if x.nEvents == 0 && x.root != "" && !strings.EqualFold(x.root, "Events") && !x.fromJSON {
				return nil, &FormatError{Name: x.o.Name, Looks: describeXMLRoot(x.root),
					Hint: "expected <Event> elements (wevtutil qe /f:xml, Event Viewer Save As XML, ToXml())"}
			}
			if len(x.stack) > 0 {
				x.stats.warn(x.o, x.s.line, x.s.off, fmt.Sprintf("input ends inside <%s> opened at line %d (truncated export?)", x.stack[0].name, x.stack[0].line))
			}
			return nil, nil
		case tEnd:
			if err := x.pop(t); err != nil {
				return nil, x.fail(err)
			}
		case tStart:
			if t.name == "Event" {
				ev, err := x.event(t)
				if err != nil {
					return nil, x.fail(err)
				}
				if ev != nil {
					x.nEvents++
					return ev, nil
				}
				continue
			}
			if !t.selfClose {
				if err := x.push(t); err != nil {
					return nil, x.fail(err)
				}
			}
		}
	}
}

func (x *xmlReader) fail(err error) error {
	if se, ok := err.(*SyntaxError); ok && se.Name == "" {
		se.Name = x.o.Name
	}
	return err
}

// knownNotEvents are XML roots that never hold events: fail at once
// instead of scanning the whole document.
var knownNotEvents = map[string]bool{"Objs": true, "html": true, "HTML": true}

func describeXMLRoot(root string) string {
	switch root {
	case "Objs":
		return "PowerShell CLIXML (Export-Clixml), root <Objs>"
	case "html", "HTML":
		return "an HTML page"
	case "Data", "EventData":
		return "an EventData fragment without <Event>"
	}
	return "XML with root <" + root + ">, not Windows event XML"
}

// eventBuilder collects one <Event>.
type eventBuilder struct {
	ev      *Event
	base    int // len(stack) when <Event> was pushed
	text    []byte
	textAt  int // stack depth that owns text, -1 none
	section string
	data    string // Name of the open <Data>, "\x00" when unnamed
	dataSet bool
}

// event reads the <Event> element whose start tag is t. It returns nil, nil
// when the event was skipped for size.
func (x *xmlReader) event(t *xtok) (*Event, error) {
	startOff, startLine := t.off, t.line
	ev := &Event{Format: x.format, Line: t.line, Offset: t.off, LogonType: -1,
		Fields: map[string]string{}, Extra: map[string]string{}}
	if t.selfClose {
		ev.decode()
		return ev, nil
	}
	if err := x.push(t); err != nil {
		return nil, err
	}
	base := len(x.stack)
	b := &eventBuilder{ev: ev, base: base, textAt: -1}
	skipping := false
	for {
		t, err := x.s.next(!skipping)
		if err != nil {
			return nil, err
		}
		if !skipping && x.s.off-startOff > int64(x.o.MaxEventBytes) {
			skipping = true
			b = nil
		}
		switch t.kind {
		case tEOF:
			return nil, &SyntaxError{Line: x.s.line, Col: x.s.col + 1, Offset: x.s.off,
				Msg: fmt.Sprintf("input ends inside <Event> opened at line %d", startLine)}
		case tText:
			if b != nil && b.textAt == len(x.stack) {
				b.text = append(b.text, t.text...)
			}
		case tStart:
			if err := x.push(t); err != nil {
				return nil, err
			}
			if b != nil {
				b.start(x, t)
			}
			if t.selfClose {
				if b != nil {
					b.end(x, "")
				}
				x.stack = x.stack[:len(x.stack)-1]
			}
		case tEnd:
			var val string
			if b != nil && b.textAt == len(x.stack) {
				val = string(b.text)
			}
			if b != nil && len(x.stack) > b.base {
				b.end(x, val)
			}
			closing := len(x.stack) == base
			if err := x.pop(t); err != nil {
				return nil, err
			}
			if b != nil {
				b.textAt = -1
				b.text = b.text[:0]
			}
			if closing {
				if skipping {
					x.stats.skip(x.o, startLine, startOff, fmt.Sprintf("event of %d bytes exceeds the %d-byte limit", x.s.off-startOff, x.o.MaxEventBytes))
					return nil, nil
				}
				ev.decode()
				return ev, nil
			}
		}
	}
}

func (b *eventBuilder) rel(x *xmlReader) int { return len(x.stack) - b.base }

func (b *eventBuilder) start(x *xmlReader, t *xtok) {
	rd := b.rel(x)
	b.textAt = len(x.stack)
	b.text = b.text[:0]
	ev := b.ev
	switch {
	case rd == 1:
		b.section = t.name
		for _, a := range t.attrs {
			if a.name != "xmlns" {
				ev.Extra[t.name+"/@"+a.name] = a.value
			}
		}
	case b.section == "System" && rd == 2:
		for _, a := range t.attrs {
			switch {
			case t.name == "Provider" && a.name == "Name":
				ev.Provider = a.value
			case t.name == "Provider" && a.name == "EventSourceName":
				ev.EventSourceName = a.value
			case t.name == "TimeCreated" && a.name == "SystemTime":
				// SystemTime is UTC even when written without a zone
				// (python-evtx: "2016-07-08 18:12:51.681640").
				if tm, _, ok := parseTime(a.value); ok {
					ev.Time, ev.TimeField = tm, "TimeCreated/@SystemTime"
				}
				ev.Extra["TimeCreated/@SystemTime"] = a.value
			default:
				ev.Extra[t.name+"/@"+a.name] = a.value
			}
		}
	case b.section == "EventData" && rd == 2 && t.name == "Data":
		b.dataSet = false
		for _, a := range t.attrs {
			if a.name == "Name" {
				b.data, b.dataSet = a.value, true
			}
		}
	}
}

func (b *eventBuilder) end(x *xmlReader, val string) {
	rd := b.rel(x)
	ev := b.ev
	name := x.stack[len(x.stack)-1].name
	switch {
	case rd == 1:
		return
	case b.section == "System" && rd == 2:
		v := strings.TrimSpace(val)
		switch name {
		case "EventID":
			if n, err := strconv.Atoi(v); err == nil {
				ev.ID = n
			} else if v != "" {
				x.stats.warn(x.o, ev.Line, ev.Offset, "EventID is not a number: "+clip(v))
			}
		case "Version":
			ev.Version, _ = strconv.Atoi(v)
		case "Level":
			ev.Level, _ = strconv.Atoi(v)
		case "Channel":
			ev.Channel = v
		case "Computer":
			ev.Computer = v
		case "EventRecordID":
			ev.RecordID, _ = strconv.ParseUint(v, 10, 64)
		case "Provider", "TimeCreated", "Correlation", "Execution", "Security":
			if v != "" {
				ev.Extra[name] = val
			}
		default:
			ev.Extra[name] = val
		}
	case b.section == "EventData" && rd == 2:
		switch name {
		case "Data":
			if b.dataSet {
				key := b.data
				for i := 2; ; i++ {
					if _, dup := ev.Fields[key]; !dup {
						break
					}
					key = b.data + "#" + strconv.Itoa(i)
				}
				ev.Fields[key] = val
			} else {
				ev.Params = append(ev.Params, val)
			}
			b.dataSet = false
		case "Binary":
			ev.Binary = strings.TrimSpace(val)
		default:
			ev.Fields[name] = val
		}
	case b.section == "UserData" && rd >= 3:
		// <UserData><Wrapper xmlns=...><Field>v</Field>...: Field, or a
		// dotted path for deeper elements.
		if b.textAt == len(x.stack) {
			parts := make([]string, 0, rd-2)
			for _, e := range x.stack[b.base+2:] {
				parts = append(parts, e.name)
			}
			ev.Fields[strings.Join(parts, ".")] = val
		}
	case b.section == "RenderingInfo" && rd == 2 && name == "Message":
		ev.Message = val
	default:
		if b.textAt == len(x.stack) {
			parts := make([]string, 0, rd)
			for _, e := range x.stack[b.base:] {
				parts = append(parts, e.name)
			}
			ev.Extra[strings.Join(parts, ".")] = val
		}
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
