package agentlog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// Kind is a class of log message the scanner recognises.
type Kind int

// Kinds of messages, in report order.
const (
	// RequestLevelAuthNotSupported: "Authentication failed, request level
	// authentication is not supported, check that IIS setting
	// 'authPersistNonNTLM' is set to 'True' on the server" (Broadcom KB
	// 173598): IIS re-authenticates every request on the connection.
	RequestLevelAuthNotSupported Kind = iota
	// HTTP0x80042D21: "HTTP error occured (0x80042D21)", the agent's error
	// code logged with the message above.
	HTTP0x80042D21
	// HTTP0x8009030C: SEC_E_LOGON_DENIED, "The logon attempt failed
	// (0x8009030C)" (Broadcom KB 232242).
	HTTP0x8009030C
	// HTTP401: an HTTP 401 the agent could not get past ("HTTP status 401",
	// "401 Unauthorized", ITMS code 0x8FA10191).
	HTTP401
	// TaskServerRegistration: the Client Task Agent failed to register with
	// a Task Server or to refresh its server list.
	TaskServerRegistration
	// SPNRegistration8344: the Notification Server could not register an
	// SPN: 8344 ERROR_DS_INSUFF_ACCESS_RIGHTS (its account may not write
	// servicePrincipalName).
	SPNRegistration8344
	// SPNRegistration8647: SPN registration failed with 8647
	// ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST (another account holds it).
	SPNRegistration8647
	// RegistrationFailed: the agent failed to register with a Task Server,
	// seen either as a registration message (the wording of
	// TaskServerRegistration, "Unable to register ...") or as an
	// authentication failure (HTTP 401, 0x8FA10191, 0x80190191,
	// 0x8009030C) on a Task Server URL (/Altiris/ClientTaskServer/...,
	// Register.aspx). Its Match.Codes hold the codes of those messages
	// and, when the same host logged "The logon attempt failed
	// (0x8009030C)" shortly before, CodeLogonDenied: Broadcom KB 232242
	// shows that sequence (logon denied, then "HTTP status 401: The
	// request requires user authentication (0x8FA10191)", then "Failed to
	// refresh server list or register") after the January 2022 Windows
	// updates. Match.LogonDenied reports it.
	RegistrationFailed
	numKinds
)

var kindNames = [numKinds]string{
	RequestLevelAuthNotSupported: "request-level-auth-not-supported",
	HTTP0x80042D21:               "http-0x80042D21",
	HTTP0x8009030C:               "logon-denied-0x8009030C",
	HTTP401:                      "http-401",
	TaskServerRegistration:       "task-server-registration",
	SPNRegistration8344:          "spn-registration-8344",
	SPNRegistration8647:          "spn-registration-8647",
	RegistrationFailed:           "task-server-registration-failed",
}

var kindDescriptions = [numKinds]string{
	RequestLevelAuthNotSupported: "Authentication failed, request level authentication is not supported (authPersistNonNTLM is False on the server)",
	HTTP0x80042D21:               "HTTP error occured (0x80042D21): the agent's HTTP request failed authentication",
	HTTP0x8009030C:               "The logon attempt failed (0x8009030C, SEC_E_LOGON_DENIED)",
	HTTP401:                      "HTTP 401: the request requires user authentication",
	TaskServerRegistration:       "Client Task Agent could not register with a Task Server",
	SPNRegistration8344:          "SPN registration failed with 8344 (ERROR_DS_INSUFF_ACCESS_RIGHTS)",
	SPNRegistration8647:          "SPN registration failed with 8647 (ERROR_DS_SPN_VALUE_NOT_UNIQUE_IN_FOREST)",
	RegistrationFailed:           "Agents failed to register with a Task Server (registration messages, or 401 / logon denied on Task Server URLs)",
}

// Status codes as they appear in Match.Codes.
const (
	// CodeLogonDenied is SEC_E_LOGON_DENIED, "The logon attempt failed".
	CodeLogonDenied = "0x8009030C"
	// CodeTaskServer401 is the code the agent logs with "HTTP status 401:
	// The request requires user authentication" (Broadcom KB 232242).
	// Broadcom documents no other meaning for it.
	CodeTaskServer401 = "0x8FA10191"
	// CodeHTTPStatusDenied is HTTP_E_STATUS_DENIED (winerror.h), the
	// HRESULT form of an HTTP 401.
	CodeHTTPStatusDenied = "0x80190191"
	// CodeRequestLevelAuth is the code logged with "request level
	// authentication is not supported" (Broadcom KB 173598).
	CodeRequestLevelAuth = "0x80042D21"
	// CodeHTTP401 stands for an HTTP 401 logged without a code.
	CodeHTTP401 = "HTTP 401"
)

// String returns a stable identifier such as "http-0x80042D21".
func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Description returns a one-line explanation of the kind.
func (k Kind) Description() string {
	if k >= 0 && k < numKinds {
		return kindDescriptions[k]
	}
	return ""
}

// Kinds returns every kind in report order.
func Kinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// Match counts the messages of one kind.
type Match struct {
	Kind  Kind
	Count int
	// First and Last are the earliest and latest message times; zero when
	// no message had a readable time. Syslog-style dates without a year
	// ("May 16 11:51:05") have year 0.
	First, Last time.Time
	// Example is the first matching message (at most 1000 bytes).
	Example string
	// Host is the hostName of the first matching event, if logged.
	Host string
	// Locator is "file:line" where the first matching message starts.
	Locator string
	// Line is the 1-based line where the first matching message starts
	// (the line of Locator).
	Line int
	// Codes are the status codes of the matching messages in first-seen
	// order: hex codes in upper case ("0x8FA10191"; the decimal forms of
	// SEC_E_LOGON_DENIED become CodeLogonDenied) and CodeHTTP401 for a 401
	// logged without a code. At most 32 are kept, plus the Code constants
	// of this package whenever they occur. For RegistrationFailed they include
	// CodeLogonDenied when the host logged a logon failure up to 50
	// messages and 10 minutes before the registration failure.
	Codes []string `json:",omitempty"`
}

// HasCode reports whether code (such as CodeLogonDenied or "0x8fa10191")
// is among m.Codes, ignoring case.
func (m *Match) HasCode(code string) bool {
	for _, c := range m.Codes {
		if strings.EqualFold(c, code) {
			return true
		}
	}
	return false
}

// LogonDenied reports whether SEC_E_LOGON_DENIED (0x8009030C) is among
// the codes: for RegistrationFailed, agents failed to register with the
// Task Server because their logon was denied.
func (m *Match) LogonDenied() bool { return m.HasCode(CodeLogonDenied) }

// maxCodes bounds Match.Codes: past it only the codes this package names
// (CodeLogonDenied ...) are still added, so that a log with ever new codes
// costs neither unbounded memory nor quadratic time.
const maxCodes = 32

func (m *Match) addCodes(codes []string) {
	for _, c := range codes {
		if len(m.Codes) >= maxCodes && !knownCode(c) {
			continue
		}
		if !m.HasCode(c) {
			m.Codes = append(m.Codes, c)
		}
	}
}

// knownCode reports whether c is one of the Code constants.
func knownCode(c string) bool {
	switch c {
	case CodeLogonDenied, CodeTaskServer401, CodeHTTPStatusDenied, CodeRequestLevelAuth, CodeHTTP401:
		return true
	}
	return false
}

// Warning is something odd in the input that did not stop the scan.
type Warning struct {
	File    string
	Line    int
	Message string
}

// String formats the warning as "file:line: message".
func (w Warning) String() string { return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message) }

// Summary is the result of scanning one or more logs.
type Summary struct {
	Files    int
	Lines    int // physical lines read
	Events   int // <event> records
	Messages int // events plus plain-text lines
	// LongLines counts physical lines longer than 1 MiB (1,048,576 bytes):
	// each was read as its first 1 MiB, the rest dropped unread into
	// memory, and the first ones are also named in Warnings.
	LongLines int `json:",omitempty"`
	// Matches has one entry per kind found, in Kind order.
	Matches  []Match
	Warnings []Warning
}

// Match returns the match of kind k, or nil.
func (s *Summary) Match(k Kind) *Match {
	for i := range s.Matches {
		if s.Matches[i].Kind == k {
			return &s.Matches[i]
		}
	}
	return nil
}

// Merge adds o (a later file) into s: counts add up, times widen, and the
// example and locator of the earlier file are kept.
func (s *Summary) Merge(o *Summary) {
	s.Files += o.Files
	s.Lines += o.Lines
	s.Events += o.Events
	s.Messages += o.Messages
	s.LongLines += o.LongLines
	s.Warnings = append(s.Warnings, o.Warnings...)
	for _, m := range o.Matches {
		e := s.Match(m.Kind)
		if e == nil {
			s.Matches = append(s.Matches, m)
			continue
		}
		e.Count += m.Count
		e.addCodes(m.Codes)
		if !m.First.IsZero() && (e.First.IsZero() || m.First.Before(e.First)) {
			e.First = m.First
		}
		if !m.Last.IsZero() && (e.Last.IsZero() || m.Last.After(e.Last)) {
			e.Last = m.Last
		}
	}
	slices.SortFunc(s.Matches, func(a, b Match) int { return int(a.Kind) - int(b.Kind) })
}

// ErrNotLog is matched (errors.Is) by a FormatError.
var ErrNotLog = errors.New("not a text log")

// FormatError reports input that is not a text log (binary data).
type FormatError struct {
	File   string
	Line   int
	Reason string
}

// Error formats the error with its file and line.
func (e *FormatError) Error() string {
	return fmt.Sprintf("agentlog: %s:%d: not a log: %s", e.File, e.Line, e.Reason)
}

// Is makes errors.Is(err, ErrNotLog) true.
func (e *FormatError) Is(target error) bool { return target == ErrNotLog }

const (
	maxLine    = 1 << 20  // longer physical lines are cut (warning)
	maxMessage = 64 << 10 // longer event messages are cut (warning)
	maxExample = 1000
	maxWarns   = 100
)

// Scan reads one Symantec Management Agent or Notification Server log and
// counts the messages of every Kind. name is used in locators. A file
// that is binary rather than text yields a *FormatError; I/O errors and
// cancellation are returned wrapped.
func Scan(ctx context.Context, name string, r io.Reader) (*Summary, error) {
	tr, _, err := textenc.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("agentlog: %s: %w", name, err)
	}
	s := &scanner{name: name, sum: &Summary{Files: 1}}
	br := bufio.NewReaderSize(tr, 64<<10)
	var long []byte
	longLen := 0 // length of the line in long, including what was dropped
	for {
		if s.sum.Lines&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("agentlog: %s: %w", name, err)
			}
		}
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = appendCapped(long, b, maxLine)
			longLen += len(b)
			continue
		}
		if long != nil {
			n := longLen + len(b)
			if len(b) > 0 && b[len(b)-1] == '\n' {
				n--
			}
			longLen = 0
			if n > maxLine {
				s.sum.LongLines++
				s.warn(s.sum.Lines+1, fmt.Sprintf("line longer than %d bytes cut to its first %d bytes", maxLine, maxLine))
			}
			b, long = appendCapped(long, b, maxLine), nil
		}
		if len(b) > 0 {
			if ferr := s.line(b); ferr != nil {
				return nil, ferr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, textenc.ErrOddLength) {
				s.warn(s.sum.Lines, "UTF-16 text ends with an odd byte (truncated file)")
				break
			}
			return nil, fmt.Errorf("agentlog: %s: %w", name, err)
		}
	}
	if s.checked > 0 && s.badBytes*10 > s.checked {
		return nil, &FormatError{File: name, Line: s.sum.Lines, Reason: "mostly control or invalid bytes: binary data"}
	}
	s.end()
	return s.sum, nil
}

type scanner struct {
	name string
	sum  *Summary

	state     int // stOutside, stHeader, stBody
	header    []byte
	body      []byte
	cdata     bool
	cut       bool
	startLine int
	checked   int // bytes checked for binary content
	badBytes  int

	// block is a plain-text "Operation '...' failed." block being read
	// (a KB paste of an agent message without its <event> record).
	block      []string
	blockStart int
	// denied is the last logon failure (0x8009030C) seen, for
	// RegistrationFailed.
	denied *deniedAt
}

type deniedAt struct {
	host    string
	t       time.Time
	message int // Summary.Messages when it was seen
}

const (
	stOutside = iota
	stHeader
	stBody
)

func (s *scanner) warn(line int, msg string) {
	if len(s.sum.Warnings) < maxWarns {
		s.sum.Warnings = append(s.sum.Warnings, Warning{File: s.name, Line: line, Message: msg})
	}
}

// binary rejects input that is not text: NUL bytes or many control or
// invalid bytes in the first 64 KiB.
func (s *scanner) binary(b []byte) error {
	if s.checked >= 64<<10 {
		return nil
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == 0:
			return &FormatError{File: s.name, Line: s.sum.Lines, Reason: "NUL byte: binary data"}
		case r == utf8.RuneError, r < 0x20 && r != '\t' && r != '\r' && r != '\n' && r != '\f', r >= 0x80 && r < 0xA0:
			s.badBytes++
		}
		s.checked += n
		b = b[n:]
	}
	if s.checked >= 256 && s.badBytes*10 > s.checked {
		return &FormatError{File: s.name, Line: s.sum.Lines, Reason: "mostly control or invalid bytes: binary data"}
	}
	return nil
}

var (
	openEvent  = []byte("<event")
	openCDATA  = []byte("<![CDATA[")
	closeCDATA = []byte("]]>")
	closeEvent = []byte("</event>")
)

func (s *scanner) line(b []byte) error {
	s.sum.Lines++
	if err := s.binary(b); err != nil {
		return err
	}
	for len(b) > 0 {
		switch s.state {
		case stOutside:
			i := indexEvent(b)
			if i < 0 {
				s.plain(b)
				return nil
			}
			s.plain(b[:i])
			s.flushBlock()
			s.state, s.header, s.body, s.cdata, s.cut = stHeader, s.header[:0], s.body[:0], false, false
			s.startLine = s.sum.Lines
			b = b[i+len(openEvent):]
		case stHeader:
			i := headerEnd(b, s.header)
			if i < 0 {
				s.header = appendCapped(s.header, b, maxMessage)
				return nil
			}
			s.header = appendCapped(s.header, b[:i], maxMessage)
			b = b[i+1:]
			s.state = stBody
			// A self-closing <event .../> has no message.
			if h := bytes.TrimSpace(s.header); len(h) > 0 && h[len(h)-1] == '/' {
				s.event()
			}
		case stBody:
			if !s.cdata {
				t := bytes.TrimLeft(b, " \t\r\n")
				if bytes.HasPrefix(t, openCDATA) {
					s.cdata = true
					b = t[len(openCDATA):]
					continue
				}
				if j := bytes.Index(b, closeEvent); j >= 0 {
					s.add(b[:j])
					b = b[j+len(closeEvent):]
					s.event()
					continue
				}
				s.add(b)
				return nil
			}
			if j := bytes.Index(b, closeCDATA); j >= 0 {
				s.add(b[:j])
				b = b[j+len(closeCDATA):]
				s.cdata = false
				continue
			}
			s.add(b)
			return nil
		}
	}
	return nil
}

// indexEvent finds "<event" followed by a space, '>' or '/'.
func indexEvent(b []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], openEvent)
		if i < 0 {
			return -1
		}
		j := off + i + len(openEvent)
		if j == len(b) || b[j] == ' ' || b[j] == '\t' || b[j] == '>' || b[j] == '/' || b[j] == '\r' || b[j] == '\n' {
			return off + i
		}
		off = j
	}
}

// headerEnd finds the '>' closing the header, outside quoted values; prev is
// the header read so far (for quotes opened on an earlier line).
func headerEnd(b, prev []byte) int {
	var q byte
	for _, c := range prev {
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		}
	}
	for i, c := range b {
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case q == 0 && c == '>':
			return i
		}
	}
	return -1
}

func appendCapped(dst, src []byte, limit int) []byte {
	if room := limit - len(dst); room > 0 {
		dst = append(dst, src[:min(room, len(src))]...)
	}
	return dst
}

func (s *scanner) add(b []byte) {
	if len(s.body)+len(b) > maxMessage {
		s.cut = true
	}
	s.body = appendCapped(s.body, b, maxMessage)
}

// end closes an event left open at end of input.
func (s *scanner) end() {
	s.flushBlock()
	if s.state != stOutside {
		s.warn(s.startLine, "event not terminated before end of file")
		s.event()
	}
}

func (s *scanner) event() {
	if s.cut {
		s.warn(s.startLine, fmt.Sprintf("event message longer than %d bytes cut", maxMessage))
	}
	s.sum.Events++
	s.sum.Messages++
	s.state = stOutside
	msg := strings.TrimSpace(string(s.body))
	if kinds := classify(msg); kinds != 0 {
		attrs := parseAttrs(s.header)
		s.record(msg, kinds, parseTime(attrs["date"]), attrs["hostName"], s.startLine)
	}
}

// Plain-text agent messages pasted without their <event> record (KB
// articles, tickets) span lines: "Operation 'Direct: Head' failed." then
// "Protocol: HTTP", "Host: ...", "Path: ...", "Error code: ...", "Error
// note: ...". Such a block is one message, so that its path and its codes
// are seen together.
var (
	blockStartRE = regexp.MustCompile(`^Operation '[^']*' failed\.?$`)
	blockFieldRE = regexp.MustCompile(`^[A-Z][A-Za-z ]{1,30}:(\s|$)`)
)

const maxBlockLines = 30

func (s *scanner) plain(b []byte) {
	t := strings.TrimSpace(string(b))
	if t == "" {
		return
	}
	if s.block != nil {
		if blockFieldRE.MatchString(t) && !blockStartRE.MatchString(t) && len(s.block) < maxBlockLines {
			s.block = append(s.block, t)
			return
		}
		s.flushBlock()
	}
	if blockStartRE.MatchString(t) {
		s.block, s.blockStart = []string{t}, s.sum.Lines
		return
	}
	s.sum.Messages++
	if kinds := classify(t); kinds != 0 {
		s.record(t, kinds, leadingTime(t), "", s.sum.Lines)
	}
}

// flushBlock classifies a plain-text block as one message.
func (s *scanner) flushBlock() {
	if s.block == nil {
		return
	}
	msg := strings.Join(s.block, "\n")
	s.block = nil
	s.sum.Messages++
	if kinds := classify(msg); kinds != 0 {
		s.record(msg, kinds, leadingTime(msg), "", s.blockStart)
	}
}

const (
	deniedMessages = 50
	deniedWindow   = 10 * time.Minute
)

func (s *scanner) record(msg string, kinds uint, ts time.Time, host string, line int) {
	codes := messageCodes(msg)
	if kinds&(1<<HTTP0x8009030C) != 0 {
		s.denied = &deniedAt{host: host, t: ts, message: s.sum.Messages}
	}
	if d := s.denied; kinds&(1<<RegistrationFailed) != 0 && d != nil && !slices.Contains(codes, CodeLogonDenied) &&
		(d.host == "" || host == "" || strings.EqualFold(d.host, host)) && s.sum.Messages-d.message <= deniedMessages &&
		(d.t.IsZero() || ts.IsZero() || (!ts.Before(d.t) && ts.Sub(d.t) <= deniedWindow)) {
		codes = append(codes, CodeLogonDenied)
	}
	for k := range numKinds {
		if kinds&(1<<k) == 0 {
			continue
		}
		m := s.sum.Match(k)
		if m == nil {
			ex := msg
			if len(ex) > maxExample {
				ex = strings.ToValidUTF8(ex[:maxExample], "") + "..."
			}
			s.sum.Matches = append(s.sum.Matches, Match{Kind: k, Example: ex, Host: host,
				Locator: s.name + ":" + strconv.Itoa(line), Line: line})
			slices.SortFunc(s.sum.Matches, func(a, b Match) int { return int(a.Kind) - int(b.Kind) })
			m = s.sum.Match(k)
		}
		m.Count++
		m.addCodes(codes)
		if !ts.IsZero() {
			if m.First.IsZero() || ts.Before(m.First) {
				m.First = ts
			}
			if m.Last.IsZero() || ts.After(m.Last) {
				m.Last = ts
			}
		}
	}
}

// classify returns a bit set of the kinds a message belongs to.
func classify(msg string) uint {
	l := strings.ToLower(msg)
	var k uint
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	}
	if has("request level authentication is not supported") {
		k |= 1 << RequestLevelAuthNotSupported
	}
	if has("0x80042d21") {
		k |= 1 << HTTP0x80042D21
	}
	// SEC_E_LOGON_DENIED as hex, signed and unsigned decimal.
	if has("0x8009030c", "-2146893044", "2148074252") {
		k |= 1 << HTTP0x8009030C
	}
	is401 := has(phrases401...)
	if is401 {
		k |= 1 << HTTP401
	}
	if has("failed to register with task server", "failed to refresh server list or register",
		"unable to register with task server", "task server registration failed") ||
		(has("ctaskserverregistration", "registerwithtaskserver") && has("fail", "error")) {
		k |= 1<<TaskServerRegistration | 1<<RegistrationFailed
	}
	if (has("unable to register") && !has("spn", "service principal")) ||
		(has("/clienttaskserver/", "register.aspx") && (is401 || has("0x8009030c", "-2146893044", "2148074252"))) {
		k |= 1 << RegistrationFailed
	}
	if has("spn", "service principal name", "serviceprincipalname") {
		if has("8344", "insufficient access rights", "insuff_access_rights") {
			k |= 1 << SPNRegistration8344
		}
		if has("8647", "not unique", "spn_value_not_unique") {
			k |= 1 << SPNRegistration8647
		}
	}
	return k
}

// phrases401 are the ways agents log an HTTP 401: 0x8FA10191 (Broadcom
// KB 232242) and HTTP_E_STATUS_DENIED 0x80190191 (winerror.h) included.
var phrases401 = []string{"http status 401", "http error 401", "401 unauthorized", "status code 401", "0x8fa10191", "0x80190191", "(401)"}

var hexCodeRE = regexp.MustCompile(`\b0[xX][0-9a-fA-F]{8}\b`)

// messageCodes returns the status codes in a message, in order (see
// Match.Codes).
func messageCodes(msg string) []string {
	var out []string
	add := func(c string) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, c := range hexCodeRE.FindAllString(msg, 8) {
		add("0x" + strings.ToUpper(c[2:]))
	}
	l := strings.ToLower(msg)
	if strings.Contains(l, "-2146893044") || strings.Contains(l, "2148074252") {
		add(CodeLogonDenied)
	}
	if !slices.Contains(out, CodeTaskServer401) && !slices.Contains(out, CodeHTTPStatusDenied) {
		for _, p := range phrases401 {
			if strings.Contains(l, p) {
				add(CodeHTTP401)
				break
			}
		}
	}
	return out
}

// parseAttrs reads name='value' pairs of an event header.
func parseAttrs(h []byte) map[string]string {
	m := make(map[string]string)
	for {
		h = bytes.TrimLeft(h, " \t\r\n/")
		eq := bytes.IndexByte(h, '=')
		if eq <= 0 || eq+1 >= len(h) {
			return m
		}
		name := string(bytes.TrimSpace(h[:eq]))
		rest := bytes.TrimLeft(h[eq+1:], " \t")
		if len(rest) == 0 {
			return m
		}
		q := rest[0]
		if q != '\'' && q != '"' {
			end := bytes.IndexAny(rest, " \t")
			if end < 0 {
				end = len(rest)
			}
			m[name] = string(rest[:end])
			h = rest[end:]
			continue
		}
		end := bytes.IndexByte(rest[1:], q)
		if end < 0 {
			m[name] = string(rest[1:])
			return m
		}
		m[name] = unescape(string(rest[1 : 1+end]))
		h = rest[end+2:]
	}
}

var xmlUnescaper = strings.NewReplacer("&apos;", "'", "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return xmlUnescaper.Replace(s)
}

// Date layouts seen in ITMS logs: the agent's and NS's event date
// attribute ("11/24/2026 09:01:02.1230000 -06:00"), older agents'
// syslog-like dates ("May 16 11:51:05"), and ISO forms.
var dateLayouts = []string{
	"1/2/2006 15:04:05.9999999 -07:00",
	"1/2/2006 15:04:05 -07:00",
	"1/2/2006 15:04:05.9999999",
	"1/2/2006 15:04:05",
	"1/2/2006 3:04:05 PM",
	"2006-01-02 15:04:05.9999999 -07:00",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02T15:04:05.9999999Z07:00",
	"Jan _2 15:04:05",
	"Jan _2 15:04:05.9999999",
}

func parseTime(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// leadingTime parses a timestamp at the start of a plain-text line,
// optionally in brackets: the text up to one of its first five spaces.
func leadingTime(line string) time.Time {
	line = strings.TrimPrefix(line, "[")
	end := 0
	for range 5 {
		i := strings.IndexByte(line[end:], ' ')
		if i < 0 {
			i = len(line) - end
		}
		end += i
		cand := strings.TrimRight(line[:end], "]:,")
		// Every layout has digits: skip the failing (and allocating)
		// time.Parse calls on words.
		if !strings.ContainsAny(cand, "0123456789") {
			if end == len(line) {
				break
			}
			end++
			continue
		}
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, cand); err == nil {
				return t
			}
		}
		if end == len(line) {
			break
		}
		end++
	}
	return time.Time{}
}
