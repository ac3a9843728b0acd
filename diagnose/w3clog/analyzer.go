package w3clog

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// Options tunes an Analyzer or AnalyzeFile. The zero value (or nil) gives
// the defaults.
type Options struct {
	// HandshakeWindow is how many lines after an NTLM challenge leg
	// (401 1 SEC_E_NO_CREDENTIALS) the same client's next request to the
	// same URI may appear and still complete the handshake. Default 10000.
	HandshakeWindow int
	// MaxWarnings bounds the warnings kept with their locators; all are
	// counted. Default 100.
	MaxWarnings int
	// Workers is the parallelism of AnalyzeFile. Default GOMAXPROCS.
	Workers int
	// ChunkSize is the unit of work of AnalyzeFile in bytes. Default 4 MiB.
	ChunkSize int64
	// MaxGroups bounds memory however many distinct groups a log has: at
	// most this many groups are kept individually. When a new group
	// arrives at the limit, the least frequent half of the groups kept
	// (the latest first among equal counts) is folded: their 401s, and
	// all later ones of the same URI/client/user/status, are counted in
	// folded groups (Group.Folded; URI, ClientIP and User "*"), one per
	// status, substatus and win32 status. The counts of the groups kept
	// are exact (a group is never kept with part of its requests), and so
	// are all totals; which groups are kept can differ between the
	// streaming and the parallel path. Default 10000.
	MaxGroups int
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.HandshakeWindow <= 0 {
		r.HandshakeWindow = 10000
	}
	if r.MaxWarnings <= 0 {
		r.MaxWarnings = 100
	}
	if r.ChunkSize <= 0 {
		r.ChunkSize = 4 << 20
	}
	if r.MaxGroups <= 0 {
		r.MaxGroups = 10000
	}
	if r.ChunkSize < minChunkSize {
		r.ChunkSize = minChunkSize
	}
	return r
}

// minChunkSize is the smallest Options.ChunkSize; tests lower it to cross
// many chunk boundaries with small inputs.
var minChunkSize int64 = 4096

// ErrNotW3C is matched (errors.Is) by a FormatError: the input is not a
// W3C extended log.
var ErrNotW3C = errors.New("not a W3C extended log")

// FormatError reports input that is not a W3C extended log file: its first
// non-empty line is neither a directive nor a log line of a default IIS
// field set (see "Lines without #Fields" in the package doc).
type FormatError struct {
	File   string
	Line   int64
	Reason string
}

// Error formats the error with its file and line.
func (e *FormatError) Error() string {
	return fmt.Sprintf("w3clog: %s:%d: not a W3C extended log: %s", e.File, e.Line, e.Reason)
}

// Is makes errors.Is(err, ErrNotW3C) true.
func (e *FormatError) Is(target error) bool { return target == ErrNotW3C }

// Warning is a line that could not be read (truncated, garbled, wrapped,
// too long, a template with placeholders, a last line without line
// terminator, a line before any #Fields that fits no default IIS field
// set), a field set assumed for lines without #Fields, a field value that
// is not a number, or an odd directive. Warnings never stop the analysis.
type Warning struct {
	File    string
	Line    int64
	Message string
}

// String formats the warning as "file:line: message".
func (w Warning) String() string { return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message) }

// Group is a set of 401 responses sharing URI, client, user, status,
// substatus and win32 status.
type Group struct {
	URI      string
	ClientIP string // empty for handshake groups (grouped per URI only)
	User     string // empty when not logged ("-") and for handshake groups
	Status   int
	// SubStatus is the IIS substatus, -1 when the log has no sc-substatus.
	SubStatus int
	Win32     uint32
	// Win32Name is the symbolic name ("SEC_E_LOGON_DENIED"), "" when the
	// log has no sc-win32-status or its value is not a number (a Warning).
	Win32Name string
	// Meaning explains the group: the substatus and the SSPI status, or
	// why it is part of the normal handshake.
	Meaning string
	Count   int
	// First and Last are the earliest and latest request times (UTC);
	// zero when the log has no date/time fields.
	First, Last time.Time
	// Handshake marks the normal Negotiate/NTLM handshake: 401 2 5 (the
	// anonymous first request) and NTLM challenge legs (401 1
	// SEC_E_NO_CREDENTIALS) followed by a success from the same client to
	// the same URI.
	Handshake bool
	// Unanswered marks NTLM challenge legs NOT followed by a success from
	// the same client and URI (within the handshake window).
	Unanswered bool
	// Locator is "file:line" of the first request in the group.
	Locator string
	// Folded marks the 401s of groups not kept individually (over
	// Options.MaxGroups distinct groups): URI, ClientIP and User are "*",
	// Count, First, Last and Locator cover all of them.
	Folded bool
}

// Summary is the result of analysing one or more W3C log files.
type Summary struct {
	Files      int
	Lines      int64 // physical lines read
	Directives int64 // directive lines (#Software, #Fields, ...)
	Requests   int64 // data lines parsed
	// Unread counts the non-empty lines that are neither directives nor
	// requests: lines that could not be read, each reported as a Warning
	// with its line number. Requests == 0 with Unread > 0 means nothing
	// could be read, not that nothing failed.
	Unread int64
	// Assumed counts the requests read from lines without a #Fields
	// directive before them, with a default IIS field set that the
	// shapes of their values fit. AssumedLayouts lists those field sets
	// (as #Fields would, names separated by spaces) in order of first
	// use; a Warning at the first line read with each says so too.
	Assumed        int64
	AssumedLayouts []string
	// ByStatus counts requests by HTTP status (100-599).
	ByStatus map[int]int64
	// Unauthorized counts 401 responses; Handshake + Failed == Unauthorized.
	Unauthorized int64
	Handshake    int64
	Failed       int64
	// Groups holds every 401 group: failures first (by count, descending),
	// then handshake groups. Beyond MaxGroups distinct groups, the least
	// frequent are counted in folded groups (Group.Folded).
	Groups []Group
	// MaxGroups is the Options.MaxGroups the summary was made with.
	MaxGroups int
	// Warnings are the first Options.MaxWarnings warnings in file order;
	// WarningCount counts all of them.
	Warnings     []Warning
	WarningCount int64
}

// Failures returns the groups that are not part of the normal handshake.
func (s *Summary) Failures() []Group {
	var out []Group
	for _, g := range s.Groups {
		if !g.Handshake {
			out = append(out, g)
		}
	}
	return out
}

// Analyzer accumulates the analysis of several log files. It is not safe
// for concurrent use.
type Analyzer struct {
	opts  Options
	t     *tally
	files int
}

// NewAnalyzer returns an Analyzer; opts may be nil.
func NewAnalyzer(opts *Options) *Analyzer {
	return &Analyzer{opts: opts.withDefaults(), t: newTally()}
}

// Add streams one log file. name is used in warnings and locators. The
// input may be UTF-8 (with or without BOM) or UTF-16. A file that is not
// a W3C log yields a *FormatError and contributes nothing; I/O errors and
// cancellation are returned wrapped.
func (a *Analyzer) Add(ctx context.Context, name string, r io.Reader) error {
	return a.add(streamTally(ctx, name, a.files, r, &a.opts))
}

// add merges the tally of one more file, or returns err.
func (a *Analyzer) add(t *tally, err error) error {
	if err != nil {
		return err
	}
	a.files++
	a.t.merge(t, 0, a.opts.MaxWarnings, a.opts.MaxGroups)
	return nil
}

// AddFile analyses the file at path with the parallel fast path (see
// AnalyzeFile) and adds it to the Analyzer.
func (a *Analyzer) AddFile(ctx context.Context, path string) error {
	return a.add(fileTally(ctx, path, a.files, &a.opts))
}

func streamTally(ctx context.Context, name string, order int, r io.Reader, o *Options) (*tally, error) {
	tr, _, err := textenc.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("w3clog: %s: %w", name, err)
	}
	br := bufio.NewReaderSize(tr, maxLine+1)
	p := newProc(name, order, o, nil)
	skipping := false
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("w3clog: %s: %w", name, err)
			}
		}
		b, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !skipping {
				p.tooLong()
			}
			skipping = true
			continue
		case skipping:
			skipping = false
		case len(b) > 0:
			if b[len(b)-1] == '\n' {
				p.line(b[:len(b)-1])
			} else {
				p.lastLine(b) // ReadSlice found no '\n' before EOF
			}
			if p.err != nil {
				return nil, p.err
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, textenc.ErrOddLength) {
				p.warn(p.ln, "UTF-16 text ends with an odd byte (truncated file)")
				break
			}
			return nil, fmt.Errorf("w3clog: %s: %w", name, err)
		}
	}
	p.finish()
	return p.t, nil
}

// merge adds o into t. Line numbers of o are shifted by lineOff (chunks).
// t keeps at most maxGroups groups (see tally.evict); a group kept in t
// that o folded, or the reverse, is folded, so that the count of every
// group kept is exact.
func (t *tally) merge(o *tally, lineOff int64, maxWarn, maxGroups int) {
	t.lines += o.lines
	t.requests += o.requests
	t.directives += o.directives
	t.unread += o.unread
	t.assumed += o.assumed
	for _, f := range o.assumedLay {
		t.addAssumed(f)
	}
	for i, c := range o.status {
		t.status[i] += c
	}
	t.otherCode += o.otherCode
	t.n401 += o.n401
	t.hs += o.hs
	t.failed += o.failed
	if o.evicted != nil {
		for k, g := range t.groups {
			if !g.folded && o.evicted.has(g.hash) {
				t.evictKey(k, g)
			}
		}
		if t.evicted == nil {
			t.evicted = newBloom()
		}
		t.evicted.or(o.evicted)
	}
	add := func(k string, g *gacc) {
		g.line += lineOff
		switch e := t.groups[k]; {
		case g.folded:
			t.fold(g)
		case e != nil:
			e.mergeFrom(g)
		default:
			t.insert(k, g, maxGroups)
		}
	}
	if t.kept+o.kept <= maxGroups {
		for k, g := range o.groups {
			add(k, g)
		}
	} else {
		// Which groups are evicted depends on the order: the file's.
		if len(o.sorted) != len(o.groups) {
			o.sortGroups()
		}
		for _, e := range o.sorted {
			add(e.k, e.g)
		}
	}
	for _, w := range o.warns {
		if len(t.warns) >= maxWarn {
			break
		}
		w.Line += lineOff
		t.warns = append(t.warns, w)
	}
	t.nwarn += o.nwarn
}

// Result returns the summary of everything added so far.
func (a *Analyzer) Result() *Summary {
	s := a.t.summary(&a.opts)
	s.Files = a.files
	return s
}

func (t *tally) summary(o *Options) *Summary {
	maxWarn := o.MaxWarnings
	s := &Summary{
		MaxGroups:    o.MaxGroups,
		Lines:        t.lines,
		Directives:   t.directives,
		Requests:     t.requests,
		Unread:       t.unread,
		Assumed:      t.assumed,
		ByStatus:     make(map[int]int64),
		Unauthorized: t.n401,
		Handshake:    t.hs,
		Failed:       t.failed,
		WarningCount: t.nwarn,
	}
	for i, c := range t.status {
		if c > 0 {
			s.ByStatus[i] = c
		}
	}
	s.AssumedLayouts = append([]string(nil), t.assumedLay...)
	for _, g := range t.groups {
		s.Groups = append(s.Groups, g.group())
	}
	slices.SortFunc(s.Groups, func(a, b Group) int {
		if a.Handshake != b.Handshake {
			if a.Handshake {
				return 1
			}
			return -1
		}
		return cmp.Or(
			cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.URI, b.URI),
			cmp.Compare(a.ClientIP, b.ClientIP),
			cmp.Compare(a.User, b.User),
			cmp.Compare(a.SubStatus, b.SubStatus),
			cmp.Compare(a.Win32, b.Win32),
			cmp.Compare(a.Win32Name, b.Win32Name),
			boolCmp(a.Unanswered, b.Unanswered),
			boolCmp(a.Folded, b.Folded),
		)
	})
	n := min(len(t.warns), maxWarn)
	s.Warnings = append([]Warning(nil), t.warns[:n]...)
	return s
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (g *gacc) group() Group {
	out := Group{
		URI: g.uri, ClientIP: g.ip, User: g.user, Status: g.status, SubStatus: g.sub,
		Win32: g.win32, Count: int(g.count), Handshake: g.hs, Unanswered: g.unanswered,
		Locator: g.file + ":" + strconv.FormatInt(g.line, 10), Folded: g.folded,
	}
	if g.win32Logged {
		out.Win32Name = Win32Name(g.win32)
	}
	if g.hasTime {
		out.First = time.Unix(g.first, 0).UTC()
		out.Last = time.Unix(g.last, 0).UTC()
	}
	out.Meaning = meaning(g)
	return out
}

func meaning(g *gacc) string {
	switch {
	case g.hs && g.sub == 2:
		return "normal handshake: anonymous first request, the server answers with its WWW-Authenticate challenge (401.2, ERROR_ACCESS_DENIED)"
	case g.hs:
		return "normal NTLM handshake: challenge leg (SEC_E_NO_CREDENTIALS) followed by a success from the same client"
	case g.unanswered:
		return "NTLM challenge leg (SEC_E_NO_CREDENTIALS) not followed by a success from the same client and URI: the handshake was abandoned, failed on another connection, or the client could not answer the challenge"
	}
	sub := SubStatusMeaning(g.sub)
	if g.sub < 0 {
		sub = "401 (no substatus logged; cannot tell handshake from failure)"
	} else if sub == "" {
		sub = fmt.Sprintf("401.%d", g.sub)
	} else {
		sub = fmt.Sprintf("401.%d %s", g.sub, sub)
	}
	if !g.win32Logged {
		return sub
	}
	if m := Win32Meaning(g.win32); m != "" {
		return sub + "; " + Win32Name(g.win32) + ": " + m
	}
	return sub + "; " + Win32Name(g.win32)
}
