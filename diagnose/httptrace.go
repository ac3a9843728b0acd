package diagnose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"

	"github.com/iiskerb/iiskerb/internal/textenc"
	"github.com/iiskerb/iiskerb/negotiate"
)

// HTTPMessage is one request or response read from a raw HTTP trace.
type HTTPMessage struct {
	// Line is the 1-based line of the request or status line (of the first
	// header when the trace shows headers without one).
	Line int
	// Method and Target are set for a request ("GET",
	// "/Altiris/ClientTaskServer/Register.aspx"); both are empty for a
	// request known only from its headers (an Authorization header pasted
	// alone).
	Method, Target string
	// Status is set for a response (401); 0 when the trace does not show it
	// (response headers pasted alone, PowerShell's "received ... response").
	Status int
	// Proto is the protocol version the trace shows ("HTTP/1.1", "HTTP/2");
	// empty when it does not say.
	Proto string
	// Header holds the headers in canonical form.
	Header http.Header
	// headerLines maps canonical header names to the line of each value.
	headerLines map[string][]int
	// request is set for every request, including those without a
	// request line.
	request bool
}

// IsRequest reports whether m is a request.
func (m *HTTPMessage) IsRequest() bool { return m.request || m.Method != "" }

// HeaderLine returns the line of the i-th value (0-based) of the header
// name, or m.Line when it is not known.
func (m *HTTPMessage) HeaderLine(name string, i int) int {
	if ls := m.headerLines[textproto.CanonicalMIMEHeaderKey(name)]; i >= 0 && i < len(ls) {
		return ls[i]
	}
	return m.Line
}

// HTTPTrace is a parsed raw HTTP exchange file: requests and responses in
// the order they appear, as curl, a proxy (Fiddler, Burp, mitmproxy), a
// browser's developer tools, Wireshark or PowerShell print them.
type HTTPTrace struct {
	// Source names the file.
	Source string
	// Messages are the requests and responses in file order.
	Messages []HTTPMessage
	// Formats names the formats recognised, in the order first seen:
	// "curl -v", "curl --trace-ascii", "raw HTTP", "HTTP/2 pseudo-headers",
	// "curl HTTP/2 stream lines", "Wireshark packet details",
	// "PowerShell -Verbose", "PowerShell header table", "header block".
	Formats []string
	// Notes are what the reader noticed about the text itself and repaired
	// or could not: a cut-off end, wrapped lines joined, values a tool
	// shortened.
	Notes []TraceNote
	// Truncated is true when the text ends in the middle of something (a
	// cut-off line, a curl --trace-ascii block shorter than it announces).
	Truncated bool
}

// TraceNote is something noticed about a trace's text, with its line.
type TraceNote struct {
	// Line is the 1-based line the note is about (0: the whole file).
	Line int
	// Message says what was noticed and what was done.
	Message string
}

// ErrNotHTTPTrace is wrapped by the *TraceError of ParseHTTPTrace when the
// text holds nothing it recognises.
var ErrNotHTTPTrace = errors.New("not an HTTP trace")

// TraceError reports an HTTP trace that cannot be read, or text in which
// ParseHTTPTrace recognises nothing; Reason says why (what the text looks
// like instead).
type TraceError struct {
	// Source names the file.
	Source string
	// Line is the 1-based line of the problem, 0 for the file as a whole.
	Line int
	// Reason explains the problem.
	Reason string
	// Err is the cause: ErrNotHTTPTrace, an I/O error or an encoding error.
	Err error
}

// Error returns "source:line: reason".
func (e *TraceError) Error() string {
	loc := e.Source
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Err != nil && !errors.Is(e.Err, ErrNotHTTPTrace) {
		return fmt.Sprintf("%s: %s: %v", loc, e.Reason, e.Err)
	}
	return loc + ": " + e.Reason
}

// Unwrap returns the cause.
func (e *TraceError) Unwrap() error { return e.Err }

// ParseHTTPTrace reads a raw HTTP exchange in any of the forms people paste:
//
//   - curl -v ("> " request and "< " response lines, "* " notes; HTTP/1.1
//     and HTTP/2, whose header names are lower case), including curl's
//     HTTP/2 stream lines ("* [HTTP/2] [1] [authorization: ...]") and old
//     curl (GIT_CURL_VERBOSE) that printed request headers without "> ";
//   - curl --trace-ascii ("=> Send header" / "<= Recv header" blocks of
//     offset-prefixed rows, long lines wrapped at 64 columns);
//   - raw HTTP from Fiddler, Burp or mitmproxy, browser developer tools'
//     "copy request/response headers" (a request line, or HTTP/2
//     ":method"/":path" pseudo-headers), and plain header blocks that hold
//     an Authorization or WWW-Authenticate header;
//   - Wireshark packet details (indented lines ending in a literal "\r\n");
//   - PowerShell Invoke-WebRequest -Verbose output and header tables.
//
// Text may be UTF-8 (with or without a BOM) or UTF-16 with any line ends.
// Header continuation lines and tokens wrapped over several lines are
// joined; what was repaired or found missing is listed in Notes. Bodies and
// other lines are skipped. Text in which nothing is recognised gives a
// *TraceError wrapping ErrNotHTTPTrace whose reason says what the text
// looks like instead. The time taken is linear in the size of the text.
func ParseHTTPTrace(source string, r io.Reader) (*HTTPTrace, error) {
	text, err := readTraceText(r)
	if err != nil {
		return nil, &TraceError{Source: source, Reason: "cannot be read", Err: err}
	}
	rd := &traceReader{t: &HTTPTrace{Source: source}}
	rd.run(text)
	if len(rd.t.Messages) == 0 {
		return nil, &TraceError{Source: source, Reason: rd.whyNothing(text), Err: ErrNotHTTPTrace}
	}
	return rd.t, nil
}

// readTraceText reads r whole as UTF-8 text, decoding UTF-16.
func readTraceText(r io.Reader) (string, error) {
	var buf bytes.Buffer
	if sr, ok := r.(interface{ Len() int }); ok && sr.Len() <= maxEvidenceFile {
		// strings.Reader, bytes.Reader, bytes.Buffer: one allocation.
		buf.Grow(sr.Len())
		if _, err := io.Copy(&buf, r); err != nil {
			return "", err
		}
	} else if _, err := io.Copy(&buf, io.LimitReader(r, maxEvidenceFile+1)); err != nil {
		return "", err
	}
	data := buf.Bytes()
	if len(data) > maxEvidenceFile {
		return "", fmt.Errorf("larger than %d bytes: %w", maxEvidenceFile, textenc.ErrTooLarge)
	}
	head := data[:min(len(data), 512)]
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) || bytes.IndexByte(head, 0) >= 0 {
		s, _, err := textenc.ReadAll(bytes.NewReader(data), maxEvidenceFile)
		return s, err
	}
	return string(bytes.TrimPrefix(data, []byte{0xef, 0xbb, 0xbf})), nil
}

// Directions a line's prefix or block gives it.
const (
	dirNone = iota
	dirRequest
	dirResponse
)

// hdr is one header being read: continuation lines add parts, joined once
// when the message ends (so many continuation lines cost linear time).
type hdr struct {
	name  string // canonical
	line  int
	parts []string // the value, then continuations
	first [1]string
}

// msgBuilder is a message being read.
type msgBuilder struct {
	m         HTTPMessage
	hdrs      []hdr
	inHeaders bool
	pseudo    bool // started by HTTP/2 pseudo-headers
	regular   bool // a regular header followed the pseudo-headers
	seen      map[string]bool
	ws        bool // Wireshark packet details: only lines ending in \r\n count
	psOpen    bool // PowerShell: header tables may follow after blank lines
	lastLine  int  // line of the last header or continuation
	indent    int  // indentation of the start line (a quoted or indented paste)
}

func (b *msgBuilder) add(name, value string, line int) {
	if b.hdrs == nil {
		b.hdrs = make([]hdr, 0, 16)
	}
	b.hdrs = append(b.hdrs, hdr{name: textproto.CanonicalMIMEHeaderKey(name), line: line})
	h := &b.hdrs[len(b.hdrs)-1]
	h.first[0] = value
	h.parts = h.first[:]
	b.lastLine = line
}

func (b *msgBuilder) last() *hdr {
	if len(b.hdrs) == 0 {
		return nil
	}
	return &b.hdrs[len(b.hdrs)-1]
}

func (b *msgBuilder) build() HTTPMessage {
	m := b.m
	m.Header = http.Header{}
	m.headerLines = map[string][]int{}
	for _, h := range b.hdrs {
		v := h.parts[0]
		if len(h.parts) > 1 {
			v = strings.Join(h.parts, "")
		}
		m.Header[h.name] = append(m.Header[h.name], strings.TrimSpace(v))
		m.headerLines[h.name] = append(m.headerLines[h.name], h.line)
	}
	return m
}

// traceReader holds the state of ParseHTTPTrace.
type traceReader struct {
	t       *HTTPTrace
	cur     *msgBuilder // message being read
	orphan  *msgBuilder // header lines without a request or status line
	orphDir int
	h2      *msgBuilder // request from curl's HTTP/2 stream lines

	// curl --trace-ascii
	ta       int // 0 outside a block, taHeader, taOther
	taDir    int
	taBuf    strings.Builder
	taOpen   bool
	taStart  int // line where the logical line began
	taNext   int // offset a continuation row would have
	taExpect int // bytes the block announces
	taLine   int // line of the block header
	taHex    bool
	// taFlushing is set while a logical line of a block is handled.
	taFlushing bool

	// PowerShell
	psSeen    bool // a VERBOSE: line was read
	psURL     string
	tableHead int // line of a "Key Value" heading
	table     bool
	tableDir  int

	// for whyNothing
	lines, infoLines, droppedBlocks, taBlocks int
	sawHTML                                   bool
}

const (
	taHeader = 1
	taOther  = 2
)

func (rd *traceReader) format(name string) {
	for _, f := range rd.t.Formats {
		if f == name {
			return
		}
	}
	rd.t.Formats = append(rd.t.Formats, name)
}

func (rd *traceReader) note(line int, format string, a ...any) {
	rd.t.Notes = append(rd.t.Notes, TraceNote{Line: line, Message: fmt.Sprintf(format, a...)})
}

func (rd *traceReader) run(text string) {
	if strings.IndexByte(text, '\n') < 0 && strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(text, "\r", "\n") // classic Mac line ends
	}
	n := 0
	for pos := 0; pos < len(text); {
		var line string
		final := false
		if nl := strings.IndexByte(text[pos:], '\n'); nl >= 0 {
			line, pos = text[pos:pos+nl], pos+nl+1
		} else {
			line, pos, final = text[pos:], len(text), true
		}
		n++
		rd.line(strings.TrimSuffix(line, "\r"), n, final)
	}
	rd.lines = n
	rd.taEnd(n)
	rd.endOrphan()
	rd.flush()
	rd.flushH2()
	if k := len(rd.t.Messages); k > 0 && rd.t.Messages[k-1].IsRequest() {
		rd.note(rd.t.Messages[k-1].Line, "the trace ends after this request: no response recorded")
	}
	sort.SliceStable(rd.t.Notes, func(i, j int) bool { return rd.t.Notes[i].Line < rd.t.Notes[j].Line })
}

// line handles one physical line.
func (rd *traceReader) line(s string, n int, final bool) {
	if rd.traceASCII(s, n) {
		return
	}
	dir := dirNone
	switch {
	case s == ">" || strings.HasPrefix(s, "> "):
		dir, s = dirRequest, strings.TrimPrefix(s[1:], " ")
		rd.format("curl -v")
	case s == "<" || strings.HasPrefix(s, "< "):
		dir, s = dirResponse, strings.TrimPrefix(s[1:], " ")
		rd.format("curl -v")
	case s == "*" || strings.HasPrefix(s, "* "):
		rd.curlInfo(s, n, final)
		return
	case strings.HasPrefix(s, "{ [") || strings.HasPrefix(s, "} ["):
		return
	case strings.HasPrefix(s, "VERBOSE: "):
		rd.format("PowerShell -Verbose")
		rd.psSeen = true
		rd.psVerbose(s[len("VERBOSE: "):], n)
		return
	}
	if rd.psStatus(s, n) || rd.psTable(s, n) {
		return
	}
	ws := false
	if t := strings.TrimRight(s, " \t"); strings.HasSuffix(t, `\r\n`) {
		s, ws = strings.TrimLeft(t[:len(t)-4], " \t"), true
		rd.format("Wireshark packet details")
	} else if t := strings.TrimLeft(s, " \t"); strings.HasPrefix(t, "[truncated]") || strings.HasPrefix(t, "[\u2026]") {
		// Wireshark shortens a long line to 240 characters and marks it.
		s = strings.TrimPrefix(strings.TrimPrefix(t, "[truncated]"), "[\u2026]") + "..."
		ws = true
		rd.note(n, "Wireshark shortened this line ([truncated]): a token on it is cut off")
		rd.format("Wireshark packet details")
	}
	rd.content(s, n, dir, ws)
}

// content handles a line's text once the format's prefix is gone.
func (rd *traceReader) content(s string, n, dir int, ws bool) {
	if b := rd.cur; b != nil && b.inHeaders && b.ws && !ws {
		return // a Wireshark subtree line between headers
	}
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		rd.blank()
		return
	}
	indent := len(s) - len(strings.TrimLeft(s, " \t"))
	if method, target, proto, ok := parseRequestLine(trimmed); ok {
		if dir == dirRequest {
			rd.h2 = nil // curl printed the stream's request again with "> "
		} else {
			rd.flushH2()
		}
		b := rd.start(n, ws)
		b.m = HTTPMessage{Line: n, Method: method, Target: target, Proto: proto, request: true}
		b.indent = indent
		rd.format(rd.formatFor(dir, ws))
		return
	}
	if status, proto, ok := parseStatusLine(trimmed); ok {
		rd.flushH2()
		b := rd.start(n, ws)
		b.m = HTTPMessage{Line: n, Status: status, Proto: proto}
		b.indent = indent
		rd.format(rd.formatFor(dir, ws))
		return
	}
	if strings.HasPrefix(trimmed, "<") && (strings.HasPrefix(strings.ToLower(trimmed), "<html") || strings.HasPrefix(trimmed, "<!DOCTYPE")) {
		rd.sawHTML = true
	}
	if name, value, ok := parseHeader(trimmed); ok && name[0] == ':' {
		rd.pseudoHeader(name, value, n, "HTTP/2")
		rd.format("HTTP/2 pseudo-headers")
		return
	}
	if rd.continuation(s, indent, n) {
		return
	}
	if name, value, ok := parseHeader(s[indent:]); ok {
		rd.header(dir, name, value, indent, n)
		return
	}
	rd.other()
}

func (rd *traceReader) formatFor(dir int, ws bool) string {
	switch {
	case rd.taFlushing:
		return "curl --trace-ascii"
	case ws:
		return "Wireshark packet details"
	case dir != dirNone:
		return "curl -v"
	}
	return "raw HTTP"
}

// start begins a message at line n.
func (rd *traceReader) start(n int, ws bool) *msgBuilder {
	rd.endOrphan()
	rd.flush()
	rd.cur = &msgBuilder{inHeaders: true, ws: ws, lastLine: n}
	return rd.cur
}

// flush ends the current message.
func (rd *traceReader) flush() {
	if rd.cur == nil {
		return
	}
	rd.t.Messages = append(rd.t.Messages, rd.cur.build())
	rd.cur = nil
}

// flushH2 turns the request curl described in HTTP/2 stream lines into a
// message, when curl did not print it again with "> ".
func (rd *traceReader) flushH2() {
	b := rd.h2
	if b == nil {
		return
	}
	rd.h2 = nil
	if b.m.Method == "" && len(b.hdrs) == 0 {
		return
	}
	rd.endOrphan()
	rd.flush()
	rd.t.Messages = append(rd.t.Messages, b.build())
}

func (rd *traceReader) blank() {
	rd.endOrphan()
	rd.table = false
	if b := rd.cur; b != nil && b.inHeaders && !b.psOpen {
		b.inHeaders = false
	}
}

// other handles a line that is neither blank, a start line nor a header: it
// ends a header block (a body without a blank line before it).
func (rd *traceReader) other() {
	rd.endOrphan()
	if b := rd.cur; b != nil && b.inHeaders && !b.psOpen {
		b.inHeaders = false
	}
}

// authKind classifies a header name: dirRequest for credentials,
// dirResponse for challenges, dirNone otherwise.
func authKind(canonical string) int {
	switch canonical {
	case "Authorization", "Proxy-Authorization":
		return dirRequest
	case "Www-Authenticate", "Proxy-Authenticate", "Persistent-Auth":
		return dirResponse
	}
	return dirNone
}

func (rd *traceReader) header(dir int, name, value string, indent, n int) {
	kind := authKind(textproto.CanonicalMIMEHeaderKey(name))
	if b := rd.cur; b != nil && b.inHeaders {
		d := dir
		if d == dirNone && b.psOpen {
			d = kind // a PowerShell table does not say whose headers it lists
		}
		if d == dirNone || b.m.IsRequest() == (d == dirRequest) {
			if b.pseudo {
				b.regular = true
			}
			b.add(name, value, n)
			return
		}
	}
	// Header lines without a request or status line: kept when they hold an
	// authentication header, split where the direction changes.
	if rd.orphan != nil && (dir != dirNone && dir != rd.orphDir ||
		kind != dirNone && rd.orphDir != dirNone && kind != rd.orphDir && dir == dirNone) {
		rd.endOrphan()
	}
	if rd.orphan == nil {
		if b := rd.cur; b != nil {
			b.inHeaders = false
		}
		rd.orphan = &msgBuilder{inHeaders: true, indent: indent}
		rd.orphan.m.Line = n
		rd.orphDir = dir
	}
	if rd.orphDir == dirNone && kind != dirNone {
		rd.orphDir = kind
	}
	rd.orphan.add(name, value, n)
}

// endOrphan ends a block of header lines without a start line, keeping it
// as a message when it holds an authentication header.
func (rd *traceReader) endOrphan() {
	b := rd.orphan
	if b == nil {
		return
	}
	rd.orphan = nil
	keep := false
	for _, h := range b.hdrs {
		if authKind(h.name) != dirNone {
			keep = true
			break
		}
	}
	if !keep {
		rd.droppedBlocks++
		return
	}
	rd.flush()
	b.m.request = rd.orphDir == dirRequest
	b.inHeaders = false
	rd.t.Messages = append(rd.t.Messages, b.build())
	rd.format("header block")
}

// continuation joins a folded header line (leading whitespace) or a line of
// bare base64 that continues a wrapped token onto the previous header.
func (rd *traceReader) continuation(s string, indent, n int) bool {
	b := rd.cur
	if b == nil || !b.inHeaders {
		b = rd.orphan
	}
	if b == nil || b.psOpen {
		return false // PowerShell tables shorten values, they do not fold them
	}
	h := b.last()
	if h == nil {
		return false
	}
	if indent > b.indent {
		h.parts = append(h.parts, " ", strings.TrimSpace(s))
		b.lastLine = n
		return true
	}
	if b.lastLine != n-1 || authKind(h.name) == dirNone || !isBase64Line(s[indent:]) {
		return false
	}
	lastPart := h.parts[len(h.parts)-1]
	if strings.HasSuffix(strings.TrimSpace(lastPart), "=") || !strings.Contains(strings.TrimSpace(h.parts[0]), " ") {
		return false
	}
	if len(h.parts) == 1 {
		rd.note(h.line, "the %s token continues on the next lines (wrapped text): joined", h.name)
	}
	h.parts = append(h.parts, s[indent:])
	b.lastLine = n
	return true
}

// isBase64Line reports whether s is a run of at least 8 base64 characters
// (with optional padding at its end) and nothing else.
func isBase64Line(s string) bool {
	if len(s) < 8 {
		return false
	}
	pad := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			if pad {
				return false
			}
		case c == '=':
			pad = true
		default:
			return false
		}
	}
	return true
}

// pseudoHeader handles an HTTP/2 pseudo-header (":method: GET"), which
// starts a request (":status" a response) unless it continues one.
func (rd *traceReader) pseudoHeader(name, value string, n int, proto string) {
	name = strings.ToLower(name)
	b := rd.cur
	if b == nil || !b.inHeaders || !b.pseudo || b.regular || b.seen[name] {
		b = rd.start(n, false)
		b.pseudo = true
		b.seen = map[string]bool{}
		b.m = HTTPMessage{Line: n, Proto: proto, request: name != ":status"}
	}
	applyPseudo(b, name, value, n)
}

func applyPseudo(b *msgBuilder, name, value string, n int) {
	b.seen[name] = true
	b.lastLine = n
	switch name {
	case ":method":
		b.m.Method = value
	case ":path":
		b.m.Target = value
	case ":authority":
		b.add("Host", value, n)
	case ":status":
		if st, err := strconv.Atoi(value); err == nil && st >= 100 && st <= 999 {
			b.m.Status = st
		}
	}
}

// curlInfo handles a curl "* " line. Most are notes, but curl 8 describes
// an HTTP/2 (and HTTP/3) request in stream lines before, or instead of,
// printing it with "> ": "* [HTTP/2] [1] OPENED stream for https://host/",
// then one "* [HTTP/2] [1] [name: value]" line per header, pseudo-headers
// first; curl 7.8x printed "* h2h3 [name: value]".
func (rd *traceReader) curlInfo(s string, n int, final bool) {
	rd.infoLines++
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "*"), " ")
	proto := "HTTP/2"
	switch {
	case strings.HasPrefix(rest, "[HTTP/2] ["), strings.HasPrefix(rest, "[HTTP/3] ["):
		proto = rest[1:7]
		rest = rest[len("[HTTP/2] ["):]
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			break
		}
		rest = strings.TrimSpace(rest[i+1:])
		if strings.HasPrefix(rest, "OPENED stream") {
			rd.flushH2()
			rd.h2 = &msgBuilder{seen: map[string]bool{}, pseudo: true}
			rd.h2.m = HTTPMessage{Line: n, Proto: proto, request: true}
			rd.format("curl HTTP/2 stream lines")
			return
		}
	case strings.HasPrefix(rest, "h2h3 ["), strings.HasPrefix(rest, "h2 ["):
		rest = rest[strings.IndexByte(rest, '['):]
	default:
		if final && strings.HasPrefix(rest, "[") {
			rd.cutOff(n)
		}
		return
	}
	if !strings.HasPrefix(rest, "[") {
		return
	}
	if !strings.HasSuffix(rest, "]") {
		if final {
			rd.cutOff(n)
		} else {
			rd.note(n, "curl stream line without its closing bracket: ignored")
		}
		return
	}
	name, value, ok := parseHeader(rest[1 : len(rest)-1])
	if !ok {
		return
	}
	if rd.h2 == nil {
		rd.h2 = &msgBuilder{seen: map[string]bool{}, pseudo: true}
		rd.h2.m = HTTPMessage{Line: n, Proto: proto, request: true}
	}
	rd.format("curl HTTP/2 stream lines")
	if name[0] == ':' {
		applyPseudo(rd.h2, strings.ToLower(name), value, n)
		return
	}
	rd.h2.add(name, value, n)
}

// cutOff records that the text ends in the middle of line n.
func (rd *traceReader) cutOff(n int) {
	rd.t.Truncated = true
	rd.note(n, "the text ends in the middle of this line: the trace is cut off")
}

// traceASCII handles curl --trace-ascii output:
//
//	=> Send header, 78 bytes (0x4e)
//	0000: GET / HTTP/1.1
//	0010: Host: localhost
//	<= Recv header, 27 bytes (0x1b)
//	0000: HTTP/1.1 401 Unauthorized
//
// Rows of a header block are joined into logical lines: a row whose offset
// follows the previous row's text directly continues it (curl wraps at 64
// columns); one that skips two bytes starts after a CRLF.
func (rd *traceReader) traceASCII(s string, n int) bool {
	switch {
	case strings.HasPrefix(s, "== Info:"):
		rd.taEnd(n)
		rd.infoLines++
		return true
	case strings.HasPrefix(s, "=> Send header"), strings.HasPrefix(s, "<= Recv header"):
		rd.taEnd(n)
		rd.endOrphan()
		rd.ta, rd.taLine, rd.taHex = taHeader, n, false
		rd.taDir = dirRequest
		if s[0] == '<' {
			rd.taDir = dirResponse
		}
		rd.taExpect = 0
		if f := strings.Fields(s); len(f) >= 4 {
			rd.taExpect, _ = strconv.Atoi(f[3])
		}
		rd.taBlocks++
		rd.format("curl --trace-ascii")
		return true
	case strings.HasPrefix(s, "=> ") || strings.HasPrefix(s, "<= "):
		rd.taEnd(n)
		rd.ta = taOther
		rd.taBlocks++
		return true
	}
	if rd.ta == 0 {
		return false
	}
	off, text, ok := taRow(s)
	if !ok {
		rd.taEnd(n)
		return false
	}
	if rd.ta != taHeader {
		return true
	}
	if isHexRow(text) {
		if !rd.taHex {
			rd.note(n, "curl --trace (hex) rows are not read: rerun curl with --trace-ascii")
		}
		rd.taHex = true
		return true
	}
	if rd.taOpen && off == rd.taNext {
		rd.taBuf.WriteString(text)
		rd.taNext += len(text)
		return true
	}
	rd.taFlush()
	rd.taBuf.WriteString(text)
	rd.taOpen, rd.taStart, rd.taNext = true, n, off+len(text)
	return true
}

// taFlush hands the logical line being assembled to content.
func (rd *traceReader) taFlush() {
	if !rd.taOpen {
		return
	}
	line := rd.taBuf.String()
	rd.taBuf.Reset()
	rd.taOpen = false
	rd.taFlushing = true
	rd.content(line, rd.taStart, rd.taDir, false)
	rd.taFlushing = false
}

// taEnd ends a --trace-ascii block at line n (exclusive).
func (rd *traceReader) taEnd(n int) {
	if rd.ta == taHeader && !rd.taHex {
		shown := rd.taNext
		rd.taFlush()
		// The block's last CRLF is not shown: allow for it.
		if rd.taExpect > 0 && shown+2 < rd.taExpect {
			rd.t.Truncated = true
			rd.note(rd.taLine, "curl --trace-ascii block announces %d bytes and shows %d: the trace is cut off", rd.taExpect, shown)
		}
	}
	rd.ta, rd.taNext, rd.taExpect = 0, 0, 0
	_ = n
}

// taRow splits a --trace-ascii row "004a: text" into its offset and text.
func taRow(s string) (int, string, bool) {
	i := 0
	for i < len(s) && i < 12 && isHex(s[i]) {
		i++
	}
	if i < 4 || i >= len(s) || s[i] != ':' {
		return 0, "", false
	}
	off, err := strconv.ParseInt(s[:i], 16, 64)
	if err != nil {
		return 0, "", false
	}
	return int(off), strings.TrimPrefix(s[i+1:], " "), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isHexRow reports whether a row's text is curl --trace hex ("47 45 54 20").
func isHexRow(s string) bool {
	if len(s) < 12 {
		return false
	}
	for i := 0; i < 12; i += 3 {
		if !isHex(s[i]) || !isHex(s[i+1]) || s[i+2] != ' ' {
			return false
		}
	}
	return true
}

// psVerbose handles PowerShell's Invoke-WebRequest -Verbose lines:
//
//	VERBOSE: GET https://ns01/Altiris/NS/ with 0-byte payload       (5.1)
//	VERBOSE: received 1293-byte response of content type text/html
//	VERBOSE: Requested HTTP/1.1 GET with 0-byte payload             (7.4)
//	VERBOSE: Received HTTP/1.1 68071-byte response of content type ...
func (rd *traceReader) psVerbose(rest string, n int) {
	f := strings.Fields(rest)
	switch {
	case len(f) >= 2 && isMethod(f[0]) && (strings.HasPrefix(f[1], "http://") || strings.HasPrefix(f[1], "https://")):
		if len(f) >= 3 && f[2] == "with" {
			rd.start(n, false).m = HTTPMessage{Line: n, Method: f[0], Target: f[1], request: true}
			rd.cur.psOpen = true
			return
		}
		rd.psURL = f[1]
	case len(f) >= 3 && f[0] == "Requested" && strings.HasPrefix(f[1], "HTTP/") && isMethod(f[2]):
		rd.start(n, false).m = HTTPMessage{Line: n, Method: f[2], Target: rd.psURL, Proto: f[1], request: true}
		rd.cur.psOpen = true
		rd.psURL = ""
	case len(f) >= 2 && strings.EqualFold(f[0], "received") && strings.Contains(rest, "response"):
		b := rd.start(n, false)
		b.m = HTTPMessage{Line: n}
		if strings.HasPrefix(f[1], "HTTP/") {
			b.m.Proto = f[1]
		}
		b.psOpen = true
	case strings.HasPrefix(rest, "Response Headers"):
		rd.tableDir = dirResponse
	case strings.HasPrefix(rest, "Request Headers"):
		rd.tableDir = dirRequest
	}
}

// psStatus recognises the error PowerShell prints for a failed request:
// "The remote server returned an error: (401) Unauthorized." (5.1) or
// "Response status code does not indicate success: 401 (Unauthorized)." (7).
func (rd *traceReader) psStatus(s string, n int) bool {
	t := strings.TrimLeft(s, " \t|")
	if !strings.HasPrefix(t, "Invoke-WebRequest") && !strings.HasPrefix(t, "Invoke-RestMethod") &&
		!(rd.psSeen && (rd.cur == nil || rd.cur.psOpen)) {
		// Only PowerShell says this; the same words in a response body
		// (an ASP.NET error page) are not a status.
		return false
	}
	var digits string
	if i := strings.Index(s, "returned an error: ("); i >= 0 {
		digits = s[i+len("returned an error: ("):]
	} else if i := strings.Index(s, "does not indicate success: "); i >= 0 {
		digits = s[i+len("does not indicate success: "):]
	} else {
		return false
	}
	if len(digits) < 3 {
		return false
	}
	st, err := strconv.Atoi(digits[:3])
	if err != nil || st < 100 {
		return false
	}
	rd.format("PowerShell -Verbose")
	if b := rd.cur; b != nil && b.psOpen && !b.m.IsRequest() && b.m.Status == 0 {
		// PowerShell 7 reports the response ("Received ...") before the
		// error that carries its status.
		b.m.Status = st
		return true
	}
	b := rd.start(n, false)
	b.m = HTTPMessage{Line: n, Status: st}
	b.psOpen = true
	return true
}

// psTable reads PowerShell's header tables ($response.Headers, or the
// tables some modules print under "Response Headers :"):
//
//	Key              Value
//	---              -----
//	WWW-Authenticate {Negotiate, NTLM}
func (rd *traceReader) psTable(s string, n int) bool {
	t := strings.TrimSpace(s)
	if rd.table {
		if t == "" {
			rd.table = false
			rd.endOrphan()
			return true
		}
		i := strings.IndexAny(t, " \t")
		if i > 0 && isHeaderName(t[:i]) {
			v := strings.TrimSpace(t[i:])
			if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
				v = v[1 : len(v)-1]
			}
			rd.header(rd.tableDir, t[:i], v, 0, n)
			return true
		}
		rd.table = false
		return false
	}
	if (strings.HasPrefix(t, "Key") || strings.HasPrefix(t, "Name")) && strings.HasSuffix(t, "Value") && len(strings.Fields(t)) == 2 {
		rd.tableHead = n
		return true
	}
	if rd.tableHead == n-1 && rd.tableHead > 0 && strings.Trim(t, "- \t") == "" && strings.Contains(t, "-") {
		rd.table = true
		rd.format("PowerShell header table")
		return true
	}
	return false
}

func isMethod(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'A' || s[i] > 'Z') && s[i] != '-' {
			return false
		}
	}
	return true
}

// parseProto accepts "HTTP/1.1", "HTTP/1.0", "HTTP/2", "HTTP/2.0", "HTTP/3".
func parseProto(s string) bool {
	if !strings.HasPrefix(s, "HTTP/") {
		return false
	}
	v := s[5:]
	switch len(v) {
	case 1:
		return v[0] >= '0' && v[0] <= '9'
	case 3:
		return v[0] >= '0' && v[0] <= '9' && v[1] == '.' && v[2] >= '0' && v[2] <= '9'
	}
	return false
}

// parseRequestLine parses "GET /path HTTP/1.1".
func parseRequestLine(s string) (method, target, proto string, ok bool) {
	i := strings.IndexByte(s, ' ')
	if i <= 0 || !isMethod(s[:i]) {
		return "", "", "", false
	}
	rest := s[i+1:]
	j := strings.IndexByte(rest, ' ')
	if j <= 0 {
		return "", "", "", false
	}
	proto = strings.TrimSpace(rest[j+1:])
	if !parseProto(proto) {
		return "", "", "", false
	}
	return s[:i], rest[:j], proto, true
}

// parseStatusLine parses "HTTP/1.1 401 Unauthorized" or "HTTP/2 401".
func parseStatusLine(s string) (status int, proto string, ok bool) {
	i := strings.IndexByte(s, ' ')
	if i < 0 || !parseProto(s[:i]) {
		return 0, "", false
	}
	rest := s[i+1:]
	if len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return 0, "", false
	}
	st, err := strconv.Atoi(rest[:3])
	if err != nil || st < 100 {
		return 0, "", false
	}
	return st, s[:i], true
}

// isHeaderName reports whether s is an RFC 9110 token.
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseHeader parses "Name: value" (also ":method: GET").
func parseHeader(s string) (name, value string, ok bool) {
	start := 0
	if strings.HasPrefix(s, ":") {
		start = 1
	}
	i := strings.IndexByte(s[start:], ':')
	if i < 0 {
		return "", "", false
	}
	i += start
	if !isHeaderName(s[start:i]) {
		return "", "", false
	}
	return s[:i], strings.TrimSpace(s[i+1:]), true
}

// whyNothing says what text in which no message was recognised looks like.
func (rd *traceReader) whyNothing(text string) string {
	t := strings.TrimSpace(text)
	head := t[:min(len(t), 4096)]
	switch {
	case t == "":
		return "the file is empty"
	case strings.ContainsRune(head, 0) || strings.Count(head, "\ufffd") > len(head)/20:
		return "binary data, not text (a Fiddler .saz or a .pcap? save the request and response headers as text)"
	case strings.HasPrefix(t, "{") && strings.Contains(head, `"log"`) && strings.Contains(head, `"entries"`):
		return `a HAR (JSON) export, which is not read: copy the request and response headers as text ("Copy request headers", "Copy response headers")`
	case rd.taHex:
		return "curl --trace hex rows, which are not read: rerun curl with --trace-ascii"
	case rd.taBlocks > 0:
		return "curl --trace-ascii blocks without a request or status line (the header blocks are missing)"
	case rd.infoLines > 0 && rd.droppedBlocks == 0:
		return fmt.Sprintf("only curl notes (%d \"* \" lines) and no request or response headers: copy the whole curl -v output, including the \"> \" and \"< \" lines", rd.infoLines)
	case rd.sawHTML || strings.HasPrefix(strings.ToLower(t), "<!doctype") || strings.HasPrefix(strings.ToLower(t), "<html"):
		return "an HTML page (a response body), not the request and response headers"
	case rd.droppedBlocks > 0:
		return "header lines without a request line, a status line or an Authorization or WWW-Authenticate header: they show nothing about authentication"
	}
	return fmt.Sprintf("no request line (GET /path HTTP/1.1), status line (HTTP/1.1 401 ...), curl -v or --trace-ascii output, "+
		"HTTP/2 pseudo-header, PowerShell -Verbose output or authentication header in %d lines", rd.lines)
}

// authHeaders are the headers that carry Negotiate, NTLM and Kerberos
// tokens, with the spelling reports use.
var authHeaders = []struct{ canonical, display string }{
	{"Authorization", "Authorization"},
	{"Proxy-Authorization", "Proxy-Authorization"},
	{"Www-Authenticate", "WWW-Authenticate"},
	{"Proxy-Authenticate", "Proxy-Authenticate"},
}

// Tokens decodes every Negotiate, NTLM and Kerberos token in the trace's
// Authorization, Proxy-Authorization, WWW-Authenticate and
// Proxy-Authenticate headers. Headers or tokens that cannot be decoded are
// returned as warnings naming the cause (cut off, not base64, redacted);
// the rest are still decoded. The trace's Notes and a trace without any
// authentication header are warnings too.
func (t *HTTPTrace) Tokens(ctx context.Context) ([]ObservedToken, []EvidenceWarning) {
	var toks []ObservedToken
	var warns []EvidenceWarning
	warn := func(line int, format string, a ...any) {
		loc := ""
		if line > 0 {
			loc = strconv.Itoa(line)
		}
		warns = append(warns, EvidenceWarning{Source: t.Source, Locator: loc, Message: fmt.Sprintf(format, a...)})
	}
	for _, n := range t.Notes {
		warn(n.Line, "%s", n.Message)
	}
	seen := false
	for i := range t.Messages {
		m := &t.Messages[i]
		for _, h := range authHeaders {
			for j, v := range m.Header[h.canonical] {
				if ctx.Err() != nil {
					return toks, warns
				}
				seen = true
				ln := m.HeaderLine(h.canonical, j)
				var chs []negotiate.Challenge
				var err error
				if strings.HasSuffix(h.canonical, "Authorization") {
					var c negotiate.Challenge
					c, err = negotiate.ParseAuthorization(v)
					if c.Scheme != "" && (err == nil || c.Truncated) {
						chs = []negotiate.Challenge{c}
					}
				} else {
					chs, err = negotiate.ParseChallengeValue(v)
				}
				if err != nil {
					warn(ln, "%s header not understood: %v", h.display, err)
				}
				for _, c := range chs {
					switch {
					case c.Redacted:
						warn(ln, "%s %s token was redacted before the trace was shared: nothing to decode (the scheme still shows a token was sent)", h.display, c.Scheme)
						continue
					case len(c.Token) == 0:
						continue
					}
					tok, err := negotiate.DecodeToken(c.Token)
					if err != nil {
						warn(ln, "%s %s token not decoded: %v", h.display, c.Scheme, err)
						continue
					}
					toks = append(toks, ObservedToken{Source: t.Source + ":" + strconv.Itoa(ln), Header: h.display, Token: tok})
				}
			}
		}
	}
	if !seen && len(t.Messages) > 0 {
		warn(0, "no Authorization or WWW-Authenticate header in %d HTTP messages: the trace shows nothing about Negotiate, NTLM or Kerberos", len(t.Messages))
	}
	return toks, warns
}
