package winevent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// jsonReader frames top-level JSON values (JSON lines, concatenated or
// pretty-printed objects, or the elements of top-level arrays) with a byte
// scanner that stores at most MaxEventBytes of a value, then decodes each
// object with encoding/json.
type jsonReader struct {
	br     *bufio.Reader
	o      *Options
	stats  *Stats
	off    int64
	line   int
	arrays int // open top-level arrays
	values int
	buf    []byte
	ioErr  error
}

func newJSONReader(br *bufio.Reader, o *Options, st *Stats) *jsonReader {
	return &jsonReader{br: br, o: o, stats: st, line: 1}
}

func (j *jsonReader) get() (byte, bool) {
	c, err := j.br.ReadByte()
	if err != nil {
		if err != io.EOF {
			j.ioErr = err
		}
		return 0, false
	}
	j.off++
	if c == '\n' {
		j.line++
	}
	return c, true
}

func (j *jsonReader) peek() (byte, bool) {
	b, err := j.br.Peek(1)
	if len(b) == 0 {
		if err != nil && err != io.EOF {
			j.ioErr = err
		}
		return 0, false
	}
	return b[0], true
}

func (j *jsonReader) synerr(line int, off int64, msg string) error {
	return &SyntaxError{Name: j.o.Name, Line: line, Offset: off, Msg: msg}
}

func (j *jsonReader) next() (*Event, error) {
	for {
		c, ok := j.peek()
		if !ok {
			if j.ioErr != nil {
				return nil, j.ioErr
			}
			if j.arrays > 0 {
				j.stats.warn(j.o, j.line, j.off, "input ends inside a JSON array (truncated export?)")
			}
			return nil, nil
		}
		switch {
		case isSpace(c) || c == ',':
			j.get()
			continue
		case c == '[':
			// Arrays of records, possibly nested (paged exports).
			j.get()
			j.arrays++
			if j.arrays > j.o.MaxDepth {
				return nil, j.synerr(j.line, j.off-1, fmt.Sprintf("JSON nested deeper than %d levels", j.o.MaxDepth))
			}
			continue
		case c == ']' && j.arrays > 0:
			j.get()
			j.arrays--
			continue
		case c == '{':
		default:
			if j.values == 0 {
				return nil, &FormatError{Name: j.o.Name, Looks: "JSON that is not a list of event objects",
					Hint: fmt.Sprintf("unexpected %q at line %d", c, j.line)}
			}
			return nil, j.synerr(j.line, j.off, fmt.Sprintf("unexpected %q between JSON event objects", c))
		}
		line, off := j.line, j.off
		raw, size, err := j.frame(j.arrays)
		if err != nil {
			return nil, err
		}
		j.values++
		if raw == nil {
			j.stats.skip(j.o, line, off, fmt.Sprintf("JSON record of %d bytes exceeds the %d-byte limit", size, j.o.MaxEventBytes))
			continue
		}
		ev, err := j.o.decodeJSON(raw)
		if err != nil {
			j.stats.skip(j.o, line, off, "invalid JSON record: "+err.Error())
			continue
		}
		if j.values == 1 && ev.ID == 0 && ev.Provider == "" && ev.Channel == "" {
			return nil, &FormatError{Name: j.o.Name, Looks: "JSON records without event fields (no event ID, provider or channel)",
				Hint: "expected Windows event records (NXLog, Winlogbeat, Sentinel, evtx_dump ...)"}
		}
		ev.Line, ev.Offset = line, off
		return ev, nil
	}
}

// frame consumes one object and returns its bytes, or nil (with its size)
// when it was larger than MaxEventBytes.
func (j *jsonReader) frame(outer int) ([]byte, int64, error) {
	startLine, start := j.line, j.off
	j.buf = j.buf[:0]
	keep := true
	depth := 0
	inStr, esc := false, false
	for {
		c, ok := j.get()
		if !ok {
			if j.ioErr != nil {
				return nil, 0, j.ioErr
			}
			return nil, 0, j.synerr(j.line, j.off, fmt.Sprintf("input ends inside the JSON value started at line %d", startLine))
		}
		if keep {
			if len(j.buf) >= j.o.MaxEventBytes {
				keep = false
				j.buf = j.buf[:0]
			} else {
				j.buf = append(j.buf, c)
			}
		}
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			if depth+outer > j.o.MaxDepth {
				return nil, 0, j.synerr(j.line, j.off-1, fmt.Sprintf("JSON nested deeper than %d levels", j.o.MaxDepth))
			}
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				if !keep {
					return nil, j.off - start, nil
				}
				return j.buf, j.off - start, nil
			}
		}
	}
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// flatten turns nested objects into dotted keys. Arrays of scalars are joined
// with ", "; arrays of {"Name"/"@Name": n, "#text"/"Value": v} objects (XML
// converted to JSON) become n: v; other arrays are indexed ("a.0.b").
func flatten(prefix string, v any, out map[string]string) {
	if s, ok := scalar(v); ok {
		out[prefix] = s
		return
	}
	switch x := v.(type) {
	case map[string]any:
		p := prefix
		if p != "" {
			p += "."
		}
		for k, e := range x {
			flatten(p+k, e, out)
		}
	case []any:
		var parts []string
		allScalar := true
		for _, e := range x {
			s, ok := scalar(e)
			if !ok {
				allScalar = false
				break
			}
			parts = append(parts, s)
		}
		if allScalar {
			out[prefix] = strings.Join(parts, ", ")
			return
		}
		p := prefix
		if p != "" {
			p += "."
		}
		for i, e := range x {
			if m, ok := e.(map[string]any); ok {
				if n, v, ok := namedValue(m); ok {
					out[p+n] = v
					continue
				}
			}
			flatten(p+strconv.Itoa(i), e, out)
		}
	}
}

func namedValue(m map[string]any) (string, string, bool) {
	var name, val string
	var hasName bool
	for _, k := range []string{"@Name", "Name", "name", "@name"} {
		if s, ok := m[k].(string); ok {
			name, hasName = s, true
			break
		}
	}
	if !hasName || len(m) > 2 {
		return "", "", false
	}
	for _, k := range []string{"#text", "Value", "value", "text", "#value"} {
		if v, ok := m[k]; ok {
			s, ok := scalar(v)
			if !ok {
				return "", "", false
			}
			val = s
		}
	}
	return name, val, true
}

// Candidate keys for the system fields, in order of preference, across the
// shapes: evtx_dump/Velociraptor (System.*), NXLog/HELK flat, Winlogbeat 6
// (event_id, computer_name), Winlogbeat 7+/Elastic Agent (winlog.*, event.code),
// Microsoft Sentinel SecurityEvent/WindowsEvent, PowerShell ConvertTo-Json,
// Splunk.
var (
	jsonIDKeys       = []string{"System.EventID", "System.EventID.#text", "System.EventID.Value", "EventID", "EventId", "event_id", "winlog.event_id", "event.code", "EventCode", "Id", "EventID.#text"}
	jsonProviderKeys = []string{"System.Provider.#attributes.Name", "System.Provider.Name", "System.Provider_attributes.Name", "ProviderName", "Provider", "SourceName", "source_name", "winlog.provider_name", "Provider_Name", "EventSourceName", "SourceName"}
	jsonSourceKeys   = []string{"System.Provider.#attributes.EventSourceName", "System.Provider.EventSourceName", "System.Provider_attributes.EventSourceName", "winlog.event_source"}
	jsonChannelKeys  = []string{"System.Channel", "Channel", "channel", "winlog.channel", "log_name", "LogName", "EventLog"}
	jsonComputerKeys = []string{"System.Computer", "Computer", "Hostname", "computer_name", "winlog.computer_name", "MachineName", "ComputerName", "host.name"}
	jsonVersionKeys  = []string{"System.Version", "Version", "version", "winlog.version"}
	jsonLevelKeys    = []string{"System.Level", "Level", "winlog.level"}
	jsonRecordKeys   = []string{"System.EventRecordID", "EventRecordID", "EventRecordId", "RecordNumber", "record_number", "winlog.record_id", "RecordId"}
	jsonTimeKeys     = []string{"System.TimeCreated.#attributes.SystemTime", "System.TimeCreated.SystemTime", "System.TimeCreated_attributes.SystemTime", "TimeCreated.SystemTime", "TimeCreated", "SystemTime", "TimeGenerated", "TimeGenerated [UTC]", "winlog.time_created", "@timestamp", "timestamp", "EventTime", "TimeWritten"}
	jsonMessageKeys  = []string{"Message", "message", "winlog.message", "RenderedDescription"}
	jsonDataPrefixes = []string{"EventData.", "event_data.", "winlog.event_data.", "UserData.", "user_data.", "winlog.user_data."}
)

// jsonMeta are collector and system keys of flat records that are not event
// data (NXLog, Logstash, Winlogbeat 6, Sentinel). Keys under these prefixes
// ("@metadata.beat", "beat.name") are metadata too.
var jsonMeta = map[string]bool{
	"@timestamp": true, "@version": true, "@metadata": true, "host": true, "port": true, "tags": true, "type": true,
	"beat": true, "agent": true, "ecs": true, "log": true, "event": true, "winlog": true, "input": true,
	"EventReceivedTime": true, "SourceModuleName": true, "SourceModuleType": true, "Severity": true,
	"SeverityValue": true, "EventType": true, "Keywords": true, "keywords": true, "Category": true,
	"Opcode": true, "OpcodeValue": true, "ProviderGuid": true, "ExecutionProcessID": true, "ThreadID": true,
	"Task": true, "ActivityID": true, "RelatedActivityID": true, "ERROR_EVT_UNRESOLVED": true,
	"process_id": true, "thread_id": true, "level": true, "opcode": true, "task": true, "provider_guid": true,
	"record_number": true, "log_name": true, "source_name": true, "computer_name": true, "event_id": true,
	"message": true, "Message": true, "TenantId": true, "SourceSystem": true, "MG": true,
	"ManagementGroupName": true, "Type": true, "_ResourceId": true, "_ItemId": true, "EventSourceName": true,
	"Activity": true, "AccountType": true, "EventLevel": true, "EventLevelName": true, "EventOriginId": true,
	"TimeCollected": true, "TimeGenerated": true, "Channel": true, "Computer": true, "EventID": true,
	"Hostname": true, "SourceName": true, "EventTime": true, "RecordNumber": true, "Version": true, "Level": true,
	"System": true, "ProviderName": true, "LogName": true, "MachineName": true, "Id": true, "TimeCreated": true,
	"RecordId": true, "EventRecordID": true, "EventCode": true, "ProviderId": true, "Qualifiers": true,
	"LevelDisplayName": true, "OpcodeDisplayName": true, "TaskDisplayName": true, "KeywordsDisplayNames": true,
	"ContainerLog": true, "MatchedQueryIds": true, "Properties": true, "UserId": true, "Bookmark": true,
	"RenderedDescription": true, "TimeWritten": true,
}

func first(all map[string]string, keys []string) (string, string, bool) {
	for _, k := range keys {
		if v, ok := all[k]; ok && strings.TrimSpace(v) != "" {
			return k, v, true
		}
	}
	return "", "", false
}

// decodeJSON maps one JSON record to an Event.
func (o *Options) decodeJSON(raw []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	// Unwrap the envelopes of evtx_dump ({"Event": {...}}), Elasticsearch
	// hits ({"_source": {...}}) and Splunk exports ({"result": {...}}).
	for _, k := range []string{"Event", "_source", "result"} {
		if inner, ok := m[k].(map[string]any); ok && (len(m) == 1 || k != "Event") {
			m = inner
			break
		}
	}
	all := make(map[string]string, len(m))
	flatten("", m, all)

	ev := &Event{Format: FormatJSON, LogonType: -1, Fields: map[string]string{}, Extra: map[string]string{}}
	used := map[string]bool{}
	take := func(keys []string) string {
		k, v, ok := first(all, keys)
		if ok {
			used[k] = true
		}
		return v
	}
	if v := strings.TrimSpace(take(jsonIDKeys)); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			ev.ID = n
		}
	}
	ev.Provider = take(jsonProviderKeys)
	ev.EventSourceName = take(jsonSourceKeys)
	ev.Channel = take(jsonChannelKeys)
	ev.Computer = take(jsonComputerKeys)
	ev.Version, _ = strconv.Atoi(strings.TrimSpace(take(jsonVersionKeys)))
	ev.Level, _ = strconv.Atoi(strings.TrimSpace(take(jsonLevelKeys)))
	ev.RecordID, _ = strconv.ParseUint(strings.TrimSpace(take(jsonRecordKeys)), 10, 64)
	ev.Message = take(jsonMessageKeys)
	// Time: the first field with a zone; else the first readable one,
	// flagged TimeNoZone.
	var naiveKey string
	var naive time.Time
	for _, k := range jsonTimeKeys {
		v, ok := all[k]
		if !ok {
			continue
		}
		t, zoned, ok := parseTime(v)
		if !ok {
			continue
		}
		if zoned {
			ev.Time, ev.TimeField = t, k
			used[k] = true
			break
		}
		if naiveKey == "" {
			naiveKey, naive = k, t
		}
	}
	if ev.Time.IsZero() && naiveKey != "" {
		ev.Time, ev.TimeField, ev.TimeNoZone = naive, naiveKey, true
		used[naiveKey] = true
	}

	nested := false
	for k := range all {
		for _, p := range jsonDataPrefixes {
			if strings.HasPrefix(k, p) {
				nested = true
			}
		}
	}
	for k, v := range all {
		if nested {
			if name, ok := dataKey(k); ok {
				ev.Fields[name] = v
				continue
			}
			ev.Extra[k] = v
			continue
		}
		top := k
		if i := strings.IndexByte(k, '.'); i >= 0 {
			top = k[:i]
		}
		if used[k] || jsonMeta[top] || k == "EventData" || strings.HasPrefix(k, "System.") {
			ev.Extra[k] = v
			continue
		}
		ev.Fields[k] = v
	}
	// Unnamed <Data> converted to JSON: EventData.Data as a value or a list.
	if ed, ok := m["EventData"].(map[string]any); ok {
		if d, ok := ed["Data"]; ok {
			if t, ok := d.(map[string]any); ok {
				d = t["#text"]
			}
			switch x := d.(type) {
			case []any:
				for _, e := range x {
					if s, ok := scalar(e); ok {
						ev.Params = append(ev.Params, s)
					}
				}
			default:
				if s, ok := scalar(x); ok && x != nil {
					ev.Params = append(ev.Params, s)
				}
			}
		}
	}
	// PowerShell ConvertTo-Json of Get-WinEvent: positional Properties.
	if props, ok := m["Properties"].([]any); ok && len(ev.Params) == 0 {
		for _, p := range props {
			if pm, ok := p.(map[string]any); ok {
				if s, ok := scalar(pm["Value"]); ok {
					ev.Params = append(ev.Params, s)
				}
			}
		}
	}
	// Sentinel SecurityEvent carries the event's EventData XML as a string.
	if s, ok := m["EventData"].(string); ok && strings.Contains(s, "<") {
		o.mergeEventDataXML(ev, s)
	}
	ev.decode()
	return ev, nil
}

// dataKey maps a flattened key under an event-data prefix to the field name:
// "winlog.event_data.TargetUserName" -> "TargetUserName"; for UserData the
// wrapper element is dropped ("UserData.LogFileCleared.SubjectUserName" ->
// "SubjectUserName").
func dataKey(k string) (string, bool) {
	for _, p := range jsonDataPrefixes {
		if !strings.HasPrefix(k, p) {
			continue
		}
		rest := k[len(p):]
		if strings.Contains(strings.ToLower(p), "user") {
			if i := strings.IndexByte(rest, '.'); i >= 0 {
				rest = rest[i+1:]
			}
		}
		if rest == "Data" || rest == "Data.#text" {
			return "", false
		}
		return rest, rest != ""
	}
	return "", false
}

func (o *Options) mergeEventDataXML(ev *Event, s string) {
	sub := *o
	sub.MaxDepth = o.MaxDepth
	var st Stats
	x := newXMLReader(bufio.NewReader(strings.NewReader("<Event>"+s+"</Event>")), &sub, &st)
	x.fromJSON = true
	inner, err := x.next()
	if err != nil || inner == nil {
		ev.Extra["EventData"] = s
		return
	}
	for k, v := range inner.Fields {
		if _, ok := ev.Fields[k]; !ok {
			ev.Fields[k] = v
		}
	}
	if len(ev.Params) == 0 {
		ev.Params = inner.Params
	}
	if ev.Binary == "" {
		ev.Binary = inner.Binary
	}
}

var timeLayouts = []struct {
	layout string
	zoned  bool
}{
	{time.RFC3339Nano, true},
	{"2006-01-02 15:04:05.999999999Z07:00", true},
	{"2006-01-02T15:04:05.999999999", false},
	{"2006-01-02 15:04:05.999999999", false},
	{"1/2/2006, 3:04:05.999999999 PM", false},
	{"1/2/2006 3:04:05 PM", false},
	{"1/2/2006 15:04:05", false},
}

// parseTime reads the time formats of event exports: RFC 3339 with any
// fraction ("2015-11-12T00:24:35.079785200Z"), the same without zone or with
// a space (python-evtx, NXLog EventTime), US dates (Sentinel CSV, Event
// Viewer), .NET "/Date(ms)/" and Unix epoch numbers. Zone-less times are
// returned as UTC with zoned false.
func parseTime(s string) (t time.Time, zoned, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false, false
	}
	if strings.HasPrefix(s, "/Date(") || strings.HasPrefix(s, `\/Date(`) {
		s = strings.TrimPrefix(strings.TrimPrefix(s, `\`), "/Date(")
		end := strings.IndexAny(s, ")+-")
		if end <= 0 {
			return time.Time{}, false, false
		}
		ms, err := strconv.ParseInt(s[:end], 10, 64)
		if err != nil {
			return time.Time{}, false, false
		}
		return time.UnixMilli(ms).UTC(), true, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && f > 0 && f < 1e17 {
		if f > 1e11 { // milliseconds
			return time.UnixMilli(int64(f)).UTC(), true, true
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return t.UTC(), l.zoned, true
		}
	}
	return time.Time{}, false, false
}
