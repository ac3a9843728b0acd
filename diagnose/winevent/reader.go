package winevent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Format is an input format.
type Format int

const (
	// FormatUnknown: not detected yet, or not an event format.
	FormatUnknown Format = iota
	// FormatXML: event XML (wevtutil /f:xml or /f:RenderedXml, Event Viewer
	// "Save As XML", PowerShell ToXml(), python-evtx).
	FormatXML
	// FormatJSON: JSON lines, concatenated or pretty-printed objects, or JSON
	// arrays of event records.
	FormatJSON
	// FormatEVTX: the binary .evtx log format (refused with *EVTXError).
	FormatEVTX
)

// String returns "xml", "json", "evtx" or "unknown".
func (f Format) String() string {
	switch f {
	case FormatXML:
		return "xml"
	case FormatJSON:
		return "json"
	case FormatEVTX:
		return "evtx"
	}
	return "unknown"
}

// Default limits (see Options).
const (
	// DefaultMaxEventBytes is the default Options.MaxEventBytes (1 MiB).
	DefaultMaxEventBytes = 1 << 20
	// DefaultMaxDepth is the default Options.MaxDepth.
	DefaultMaxDepth = 64
	// DefaultMaxWarnings is the default Options.MaxWarnings.
	DefaultMaxWarnings = 100
)

// Options tune a Reader. The zero value (or nil) gives the defaults.
type Options struct {
	// Name is the input's name (file path) used in errors and warnings.
	Name string
	// MaxEventBytes is the largest event (or JSON record) read; a larger
	// one is skipped, counted in Stats.Skipped and reported as a warning.
	// Default DefaultMaxEventBytes (1 MiB).
	MaxEventBytes int
	// MaxDepth is the deepest element or JSON nesting accepted; deeper input
	// is a *SyntaxError. Default DefaultMaxDepth.
	MaxDepth int
	// MaxWarnings caps Stats.Warnings (Stats.WarningCount counts them all).
	// Default DefaultMaxWarnings.
	MaxWarnings int
}

func (o *Options) withDefaults() *Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.MaxEventBytes <= 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.MaxWarnings <= 0 {
		c.MaxWarnings = DefaultMaxWarnings
	}
	return &c
}

// Warning is a recoverable problem: a skipped event, a truncated export.
type Warning struct {
	// Name is the input's name (Options.Name).
	Name string
	// Line is the 1-based line of the problem (of the event's start for a
	// skipped event).
	Line int
	// Offset is the byte offset of the problem.
	Offset int64
	// Message says what happened.
	Message string
}

// String returns "name:line: message".
func (w Warning) String() string {
	n := w.Name
	if n == "" {
		n = "input"
	}
	return fmt.Sprintf("%s:%d: %s", n, w.Line, w.Message)
}

// Stats describes a read so far: counts and warnings. A report built from
// the events must show Skipped and the warnings: the read was not complete.
type Stats struct {
	// Format is the detected input format.
	Format Format
	// Events is the number of events returned.
	Events int
	// Skipped is the number of events or records skipped (over
	// MaxEventBytes, invalid JSON record).
	Skipped int
	// Warnings are the first Options.MaxWarnings warnings.
	Warnings []Warning
	// WarningCount is the number of warnings, including those not kept.
	WarningCount int
}

func (s *Stats) warn(o *Options, line int, off int64, msg string) {
	s.WarningCount++
	if len(s.Warnings) < o.MaxWarnings {
		s.Warnings = append(s.Warnings, Warning{Name: o.Name, Line: line, Offset: off, Message: msg})
	}
}

func (s *Stats) skip(o *Options, line int, off int64, msg string) {
	s.Skipped++
	s.warn(o, line, off, "skipped: "+msg)
}

// ErrNotEvents is matched (errors.Is) by a *FormatError: the input is not an
// event export this package reads.
var ErrNotEvents = errors.New("not a Windows event export")

// FormatError reports input that is none of the formats read here; Looks
// names what it looked like.
type FormatError struct {
	// Name is the input's name.
	Name string
	// Looks names the format the input looked like ("Event Viewer CSV",
	// "zip archive", "XML with root <html>, not Windows event XML").
	Looks string
	// Hint tells how to get a readable export, or gives detail.
	Hint string
}

// Error names the input, what it looked like and the hint.
func (e *FormatError) Error() string {
	n := e.Name
	if n == "" {
		n = "input"
	}
	s := fmt.Sprintf("%s: not a Windows event XML or JSON export: looks like %s", n, e.Looks)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNotEvents) true.
func (e *FormatError) Is(target error) bool { return target == ErrNotEvents }

// EVTXError refuses a binary .evtx file: this package reads the XML that
// wevtutil writes from it. Command gives the exact conversion command.
type EVTXError struct {
	// Name is the file's name ("" for an unnamed stream).
	Name string
}

// Command returns the command that exports the file as XML readable here:
// wevtutil qe FILE /lf:true /f:xml > FILE.xml (names with spaces quoted).
func (e *EVTXError) Command() string {
	n := e.Name
	if n == "" {
		n = "FILE.evtx"
	}
	in, out := n, n+".xml"
	if strings.ContainsAny(n, " &()^;,") {
		in, out = `"`+in+`"`, `"`+out+`"`
	}
	return "wevtutil qe " + in + " /lf:true /f:xml > " + out
}

// Error names the file and gives the conversion command.
func (e *EVTXError) Error() string {
	n := e.Name
	if n == "" {
		n = "input"
	}
	return fmt.Sprintf("%s: binary .evtx event log: not read directly; export it as XML on Windows with: %s", n, e.Command())
}

// Is makes errors.Is(err, ErrNotEvents) true.
func (e *EVTXError) Is(target error) bool { return target == ErrNotEvents }

// SyntaxError is malformed input at a position: broken XML, nesting deeper
// than Options.MaxDepth, input that ends inside an event.
type SyntaxError struct {
	// Name is the input's name.
	Name string
	// Line is 1-based; Col is 1-based and 0 when unknown.
	Line, Col int
	// Offset is the byte offset.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

// Error returns "name:line:col: message".
func (e *SyntaxError) Error() string {
	n := e.Name
	if n == "" {
		n = "input"
	}
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", n, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", n, e.Line, e.Msg)
}

// Reader streams events from an XML or JSON export. It detects the format
// from the first bytes (after a UTF-8 or UTF-16 byte order mark; UTF-16
// without one is recognised too). Memory is bounded by Options.MaxEventBytes
// whatever the input size, and time is linear in the input.
type Reader struct {
	o     *Options
	src   io.Reader
	br    *bufio.Reader
	stats Stats
	init  bool
	err   error
	x     *xmlReader
	j     *jsonReader
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader, opts *Options) *Reader {
	return &Reader{o: opts.withDefaults(), src: r}
}

// Format returns the detected format (FormatUnknown before the first Next).
func (r *Reader) Format() Format { return r.stats.Format }

// Stats returns the counts and warnings so far.
func (r *Reader) Stats() Stats { return r.stats }

// Next returns the next event, or io.EOF after the last one. Any other
// error (*FormatError, *EVTXError, *SyntaxError, a read error) ends the
// read: Next then keeps returning it. Events returned before an error are
// valid.
func (r *Reader) Next() (*Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.init {
		r.init = true
		if err := r.detect(); err != nil {
			r.err = err
			return nil, err
		}
	}
	var ev *Event
	var err error
	if r.x != nil {
		ev, err = r.x.next()
	} else {
		ev, err = r.j.next()
	}
	if err == nil && ev == nil {
		err = io.EOF
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	r.stats.Events++
	return ev, nil
}

// All returns an iterator over the events; it yields a final non-nil error
// (never io.EOF) if the read ends early.
func (r *Reader) All() iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		for {
			ev, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// Scan reads all events of r, calling fn for each; it stops at the first
// error of fn, of the input or of ctx (checked every 256 events).
func Scan(ctx context.Context, r io.Reader, opts *Options, fn func(*Event) error) (Stats, error) {
	rd := NewReader(r, opts)
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return rd.Stats(), err
			}
		}
		ev, err := rd.Next()
		if err == io.EOF {
			return rd.Stats(), nil
		}
		if err != nil {
			return rd.Stats(), err
		}
		if err := fn(ev); err != nil {
			return rd.Stats(), err
		}
	}
}

// ScanFile is Scan of the named file, with Options.Name set to path.
func ScanFile(ctx context.Context, path string, opts *Options, fn func(*Event) error) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	o := opts.withDefaults()
	o.Name = path
	return Scan(ctx, f, o, fn)
}

const sniffLen = 4096

func (r *Reader) detect() error {
	raw := bufio.NewReaderSize(r.src, 64<<10)
	head, _ := raw.Peek(8)
	if bytes.HasPrefix(head, []byte("ElfFile\x00")) || bytes.HasPrefix(head, []byte("ElfChnk\x00")) {
		r.stats.Format = FormatEVTX
		return &EVTXError{Name: r.o.Name}
	}
	var src io.Reader = raw
	switch {
	case bytes.HasPrefix(head, []byte{0xef, 0xbb, 0xbf}):
		raw.Discard(3)
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		raw.Discard(2)
		src = &utf16Reader{r: raw}
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		raw.Discard(2)
		src = &utf16Reader{r: raw, be: true}
	case len(head) >= 4 && head[1] == 0 && head[3] == 0 && head[0] != 0:
		src = &utf16Reader{r: raw}
	case len(head) >= 4 && head[0] == 0 && head[2] == 0 && head[1] != 0:
		src = &utf16Reader{r: raw, be: true}
	}
	if src == raw {
		r.br = raw
	} else {
		r.br = bufio.NewReaderSize(src, 64<<10)
	}
	peek, _ := r.br.Peek(sniffLen)
	f, looks, hint := sniff(peek)
	r.stats.Format = f
	switch f {
	case FormatXML:
		r.x = newXMLReader(r.br, r.o, &r.stats)
	case FormatJSON:
		r.j = newJSONReader(r.br, r.o, &r.stats)
	default:
		if looks == "" {
			return io.EOF
		}
		return &FormatError{Name: r.o.Name, Looks: looks, Hint: hint}
	}
	return nil
}

// sniff decides the format from the first bytes; for other inputs it says
// what they look like. Empty input (or white space only) gives FormatUnknown
// and looks "".
func sniff(p []byte) (f Format, looks, hint string) {
	t := bytes.TrimLeft(p, " \t\r\n")
	if len(t) == 0 {
		if len(p) == sniffLen {
			return FormatUnknown, "white space only in the first 4 KiB", ""
		}
		return FormatUnknown, "", ""
	}
	const exportHint = "export as XML: wevtutil qe LOG /f:xml, or Event Viewer > Save All Events As > XML"
	switch {
	case t[0] == '<':
		return FormatXML, "", ""
	case t[0] == '-' && bytes.HasPrefix(bytes.TrimLeft(t[1:], " \t"), []byte("<")):
		return FormatXML, "", "" // XML copied from Internet Explorer's view ("- <Event ...>")
	case t[0] == '{' || t[0] == '[':
		return FormatJSON, "", ""
	case bytes.HasPrefix(t, []byte("PK\x03\x04")):
		return FormatUnknown, "a zip archive", "extract the export first"
	case bytes.HasPrefix(t, []byte{0x1f, 0x8b}):
		return FormatUnknown, "gzip-compressed data", "decompress it first"
	case bytes.HasPrefix(t, []byte("Log Name:")):
		return FormatUnknown, "Event Viewer \"Copy as text\" / Get-WinEvent | Format-List text", exportHint
	case bytes.HasPrefix(t, []byte("Event[")):
		return FormatUnknown, "wevtutil /f:text output", exportHint
	case bytes.HasPrefix(t, []byte("#TYPE ")) || bytes.HasPrefix(t, []byte(`"TimeCreated"`)) || bytes.HasPrefix(t, []byte(`"Message"`)):
		return FormatUnknown, "PowerShell Export-Csv of Get-WinEvent", exportHint
	case bytes.HasPrefix(t, []byte("Level,Date and Time")) || bytes.HasPrefix(t, []byte("Keywords,Date and Time")):
		return FormatUnknown, "Event Viewer CSV (Save As .csv)", exportHint
	case bytes.HasPrefix(t, []byte("#Software: Microsoft Internet Information Services")) || bytes.HasPrefix(t, []byte("#Fields:")):
		return FormatUnknown, "an IIS W3C log", "read it with diagnose/w3clog"
	}
	if bytes.IndexByte(t, 0) >= 0 || !utf8.Valid(trimPartialRune(t)) {
		return FormatUnknown, "binary data", ""
	}
	return FormatUnknown, "plain text", exportHint
}

// trimPartialRune drops an incomplete UTF-8 sequence cut by the sniff window.
func trimPartialRune(p []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(p) > 0; i++ {
		r, size := utf8.DecodeLastRune(p)
		if r != utf8.RuneError || size != 1 {
			return p
		}
		p = p[:len(p)-1]
	}
	return p
}

// utf16Reader transcodes UTF-16 (little-endian unless be) to UTF-8 as it is
// read; invalid surrogates become U+FFFD.
type utf16Reader struct {
	r    *bufio.Reader
	be   bool
	out  []byte
	hi   rune // pending high surrogate, or 0
	done bool
}

func (u *utf16Reader) unit() (rune, bool) {
	var b [2]byte
	if _, err := io.ReadFull(u.r, b[:]); err != nil {
		return 0, false
	}
	if u.be {
		return rune(b[0])<<8 | rune(b[1]), true
	}
	return rune(b[1])<<8 | rune(b[0]), true
}

// Read implements io.Reader.
func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) < len(p) && !u.done {
		c, ok := u.unit()
		if !ok {
			u.done = true
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
			}
			break
		}
		switch {
		case utf16.IsSurrogate(c) && c < 0xdc00:
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
			}
			u.hi = c
		case utf16.IsSurrogate(c):
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf16.DecodeRune(u.hi, c))
				u.hi = 0
			} else {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
			}
		default:
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.hi = 0
			}
			u.out = utf8.AppendRune(u.out, c)
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	if n == 0 && u.done {
		return 0, io.EOF
	}
	return n, nil
}
