package negotiate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// KlistFormat says which program wrote klist output.
type KlistFormat int

// Klist formats.
const (
	KlistUnknown KlistFormat = iota
	KlistWindows             // Windows klist.exe ("Current LogonId is ...", "#0> Client: ...")
	KlistMIT                 // MIT Kerberos klist, klist -e, klist -f ("Ticket cache: ...")
)

// String returns "windows", "mit" or "unknown".
func (f KlistFormat) String() string {
	switch f {
	case KlistWindows:
		return "windows"
	case KlistMIT:
		return "mit"
	}
	return "unknown"
}

// MarshalText encodes the format as its String form (for JSON).
func (f KlistFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Klist is parsed klist output: the tickets cached for one logon session
// (Windows) or one credential cache (MIT).
type Klist struct {
	Format KlistFormat
	// Name is the file name given to ParseKlistFile (empty for ParseKlist).
	Name string `json:",omitempty"`
	// Encoding is the text encoding detected ("UTF-8", "UTF-16LE", ...).
	Encoding string
	// LogonID is the Windows logon session ("0:0x3e7" is SYSTEM, the
	// identity IIS app pools running as a machine account use).
	LogonID string `json:",omitempty"`
	// Cache is the MIT credential cache ("FILE:/tmp/krb5cc_0").
	Cache string `json:",omitempty"`
	// Client is the default principal (MIT) or the client of the first
	// ticket (Windows), as "user@REALM".
	Client  string `json:",omitempty"`
	Tickets []Ticket
	// Notes records what the parser met but did not turn into tickets, such
	// as "No credentials cache found".
	Notes []string `json:",omitempty"`
}

// Ticket is one Kerberos service ticket: a line of klist output, or a ticket
// obtained by RequestTicket.
type Ticket struct {
	// Client is the client principal as "user@REALM".
	Client string
	// Server is the service principal without the realm
	// ("HTTP/web.corp.example", "krbtgt/CORP.EXAMPLE").
	Server string
	// Realm is the service principal's realm.
	Realm string
	// EncType is the ticket's encryption type by its MIT name
	// ("aes256-cts-hmac-sha1-96", "arcfour-hmac"); EncTypeID its number
	// (0 when klist did not show it: MIT klist without -e).
	EncType   string `json:",omitempty"`
	EncTypeID int32  `json:",omitempty"`
	// SessionKeyType is the session key's encryption type (MIT name).
	SessionKeyType string `json:",omitempty"`
	// Flags are ticket flag names as Windows prints them ("forwardable",
	// "renewable", "initial", "pre_authent", "name_canonicalize",
	// "ok_as_delegate", ...); MIT flag letters are mapped to the same names.
	Flags      []string `json:",omitempty"`
	FlagsValue uint32   `json:",omitempty"` // Windows "Ticket Flags 0x..." (0 for MIT)
	// Start, End and Renew are the times klist printed. klist prints local
	// time without a zone; they are returned as that wall-clock time in UTC.
	Start time.Time
	End   time.Time
	Renew time.Time `json:",omitzero"`
	// KVNO is the key version number when known (RequestTicket; klist does
	// not print it).
	KVNO int `json:",omitempty"`
	// CacheFlags and KDCCalled are Windows klist extras.
	CacheFlags string `json:",omitempty"`
	KDCCalled  string `json:",omitempty"`
	// Line is the 1-based line of the ticket in the klist output.
	Line int `json:",omitempty"`
}

// SPN returns Server, which for a service ticket is the SPN the client asked
// for (the name klist shows).
func (t Ticket) SPN() string { return t.Server }

// IsTGT reports whether the ticket is a ticket-granting ticket (krbtgt/...).
func (t Ticket) IsTGT() bool {
	return strings.HasPrefix(strings.ToLower(t.Server), "krbtgt/")
}

// Find returns the tickets whose server principal equals spn, ignoring case
// and an "@REALM" suffix on either side.
func (k *Klist) Find(spn string) []Ticket {
	want, wantRealm := splitPrincipal(spn)
	var out []Ticket
	for _, t := range k.Tickets {
		if !strings.EqualFold(t.Server, want) {
			continue
		}
		if wantRealm != "" && t.Realm != "" && !strings.EqualFold(wantRealm, t.Realm) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// ParseKlistFile parses the klist output in the named file (see ParseKlist).
func ParseKlistFile(path string) (*Klist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &KlistError{Name: path, Err: err}
	}
	defer f.Close()
	k, err := parseKlist(path, f)
	if k != nil {
		k.Name = path
	}
	return k, err
}

// ParseKlist parses the output of Windows klist.exe (klist, klist tickets,
// klist tgt) or MIT klist (klist, klist -e, klist -f, klist -ef), recognising which from
// the content. The text may be UTF-8 (with or without a byte-order mark) or
// UTF-16LE as PowerShell redirection writes it, with LF or CRLF line ends.
//
// Text that is neither format gives a *KlistError wrapping
// ErrUnknownFormat; a recognised file with a line that cannot be read gives
// a *KlistError with its line number. An empty cache ("Cached Tickets: (0)",
// "No credentials cache found") is a Klist without tickets.
func ParseKlist(r io.Reader) (*Klist, error) { return parseKlist("", r) }

const maxKlistLine = 64 << 10

func parseKlist(name string, r io.Reader) (*Klist, error) {
	tr, enc, err := textenc.NewReader(r)
	if err != nil {
		return nil, &KlistError{Name: name, Err: err}
	}
	sc := bufio.NewScanner(tr)
	sc.Buffer(make([]byte, 0, 4096), maxKlistLine)
	p := &klistParser{k: &Klist{Encoding: enc.String()}, name: name}
	for sc.Scan() {
		p.line++
		if err := p.feed(strings.TrimRight(sc.Text(), "\r")); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &KlistError{Name: name, Line: p.line + 1, Err: fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, maxKlistLine)}
		}
		return nil, &KlistError{Name: name, Line: p.line, Err: err}
	}
	if p.k.Format == KlistUnknown {
		return nil, &KlistError{Name: name, Err: ErrUnknownFormat}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.k, nil
}

type klistParser struct {
	k    *Klist
	name string
	line int
	cur  *Ticket // ticket being filled (Windows) or last ticket (MIT)
	// Windows: "Cached Tickets: (N)" count to check against.
	declared int
	// tgt: Windows "klist tgt" output (key : value lines).
	tgt bool
}

func isKlistMessage(line string) bool {
	for _, p := range []string{"Error ", "klist failed", "A ticket to ", "Failed ", "The "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

var (
	hexDumpLine = regexp.MustCompile(`^[0-9a-fA-F]{4}\s{2}`)
	tgtKeyType  = regexp.MustCompile(`KeyType\s+0x([0-9a-fA-F]+)`)
	tgtFlags    = regexp.MustCompile(`^0x([0-9a-fA-F]+)\s*(?:->\s*(.*))?$`)
)

// windowsTGT reads a line of Windows "klist tgt" output. The session key
// and the encoded ticket it prints are skipped and never kept.
func (p *klistParser) windowsTGT(line string) error {
	if strings.HasPrefix(line, ":") || hexDumpLine.MatchString(line) {
		return nil // continuation of Session Key, or the EncodedTicket hex dump
	}
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		return nil
	}
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	t := p.cur
	switch key {
	case "ServiceName":
		t.Server = val
	case "ClientName":
		t.Client = val
	case "DomainName":
		if t.Client != "" && !strings.Contains(t.Client, "@") {
			t.Client += "@" + val
		}
		if p.k.Client == "" {
			p.k.Client = t.Client
		}
	case "TargetDomainName":
		t.Realm = val
		if strings.EqualFold(t.Server, "krbtgt") {
			t.Server = "krbtgt/" + val
		}
	case "Ticket Flags":
		if m := tgtFlags.FindStringSubmatch(val); m != nil {
			return p.setFlags(t, m[1], m[2])
		}
	case "Session Key":
		if m := tgtKeyType.FindStringSubmatch(val); m != nil {
			if v, err := strconv.ParseInt(m[1], 16, 32); err == nil {
				t.SessionKeyType = EncTypeName(int32(v))
			}
		}
	case "StartTime":
		return p.setTime(&t.Start, key, val)
	case "EndTime":
		return p.setTime(&t.End, key, val)
	case "RenewUntil":
		return p.setTime(&t.Renew, key, val)
	}
	return nil
}

// setFlags sets a ticket's flags from a Windows "Ticket Flags" value: the
// hex number, and the names klist printed after "->" (named from the bits
// when it printed none).
func (p *klistParser) setFlags(t *Ticket, hexValue, names string) error {
	v, err := strconv.ParseUint(hexValue, 16, 32)
	if err != nil {
		return p.errf(ErrMalformed, "ticket flags %q", hexValue)
	}
	t.FlagsValue = uint32(v)
	if strings.TrimSpace(names) != "" {
		t.Flags = strings.Fields(names)
	} else {
		t.Flags = klistTicketFlags(uint32(v))
	}
	return nil
}

// setTime sets *dst from a Windows klist time value ("11/25/2026 0:04:54
// (local)"); key names the field in the error.
func (p *klistParser) setTime(dst *time.Time, key, val string) error {
	tm, err := parseKlistTime(strings.TrimSpace(strings.TrimSuffix(val, "(local)")))
	if err != nil {
		return p.errf(ErrMalformed, "%s %q: %v", key, val, err)
	}
	*dst = tm
	return nil
}

func (p *klistParser) errf(cause error, format string, a ...any) error {
	return &KlistError{Name: p.name, Line: p.line, Err: fmt.Errorf("%w: "+format, append([]any{cause}, a...)...)}
}

var (
	winTicketStart = regexp.MustCompile(`^#(\d+)>\s*Client:\s*(.*)$`)
	winCached      = regexp.MustCompile(`^Cached Tickets:\s*\((\d+)\)`)
	winFlags       = regexp.MustCompile(`^Ticket Flags\s+0x([0-9a-fA-F]+)\s*(?:->\s*(.*))?$`)
	mitTicketLine  = regexp.MustCompile(`^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\s+\d{1,2}:\d{2}:\d{2}(?:\s*[AaPp][Mm])?)\s+(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\s+\d{1,2}:\d{2}:\d{2}(?:\s*[AaPp][Mm])?)\s+(\S+)$`)
	mitTextDate    = regexp.MustCompile(`^([A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s+([A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}\s+\d{4})\s+(\S+)$`)
)

func (p *klistParser) feed(raw string) error {
	line := strings.TrimSpace(raw)
	if line == "" {
		return nil
	}
	switch p.k.Format {
	case KlistUnknown:
		return p.detect(line)
	case KlistWindows:
		return p.windows(line)
	default:
		return p.mit(line)
	}
}

// detect recognises the format from the first meaningful lines.
func (p *klistParser) detect(line string) error {
	switch {
	case strings.HasPrefix(line, "Current LogonId is"), winCached.MatchString(line), winTicketStart.MatchString(line), line == "Cached TGT:":
		p.k.Format = KlistWindows
		return p.windows(line)
	case strings.HasPrefix(line, "Ticket cache:"), strings.HasPrefix(line, "Default principal:"),
		strings.HasPrefix(line, "Credentials cache:"),
		strings.HasPrefix(line, "klist: No credentials cache found"), strings.HasPrefix(line, "klist: Credentials cache"):
		p.k.Format = KlistMIT
		return p.mit(line)
	case strings.HasPrefix(line, "klist ") || strings.HasPrefix(line, "$ klist") || strings.HasPrefix(line, "> klist") ||
		strings.HasPrefix(line, "C:\\") || strings.HasPrefix(line, "PS "):
		// A command prompt copied along with the output.
		return nil
	}
	return nil
}

func (p *klistParser) windows(line string) error {
	k := p.k
	if v, ok := strings.CutPrefix(line, "Current LogonId is"); ok {
		k.LogonID = strings.TrimSpace(v)
		return nil
	}
	if m := winCached.FindStringSubmatch(line); m != nil {
		n, _ := strconv.Atoi(m[1])
		p.declared = n
		return nil
	}
	if m := winTicketStart.FindStringSubmatch(line); m != nil {
		k.Tickets = append(k.Tickets, Ticket{Client: joinAt(m[2]), Line: p.line})
		p.cur = &k.Tickets[len(k.Tickets)-1]
		if k.Client == "" {
			k.Client = p.cur.Client
		}
		return nil
	}
	if line == "Cached TGT:" {
		// klist tgt: one key : value block for the TGT.
		k.Tickets = append(k.Tickets, Ticket{Line: p.line})
		p.cur = &k.Tickets[len(k.Tickets)-1]
		p.tgt = true
		p.declared = len(k.Tickets)
		return nil
	}
	if p.tgt {
		return p.windowsTGT(line)
	}
	if p.cur == nil {
		// Text before the first ticket: keep klist's own messages ("Error
		// calling API LsaCallAuthenticationPackage ...", "klist failed with
		// 0x...", "A ticket to ... has been retrieved successfully."); other
		// lines are dropped, never echoed.
		if isKlistMessage(line) {
			k.Notes = append(k.Notes, clip(line))
		}
		return nil
	}
	t := p.cur
	key, val, ok := strings.Cut(line, ":")
	if m := winFlags.FindStringSubmatch(line); m != nil {
		return p.setFlags(t, m[1], m[2])
	}
	if !ok {
		return p.errf(ErrMalformed, "unexpected line %q in ticket #%d", clip(line), len(k.Tickets)-1)
	}
	val = strings.TrimSpace(val)
	switch strings.TrimSpace(key) {
	case "Server":
		t.Server, t.Realm = splitWinPrincipal(val)
	case "KerbTicket Encryption Type":
		t.EncType, t.EncTypeID = normEncType(val)
	case "Session Key Type":
		t.SessionKeyType, _ = normEncType(val)
	case "Start Time":
		return p.setTime(&t.Start, key, val)
	case "End Time":
		return p.setTime(&t.End, key, val)
	case "Renew Time":
		return p.setTime(&t.Renew, key, val)
	case "Cache Flags":
		t.CacheFlags = val
	case "Kdc Called":
		t.KDCCalled = val
	default:
		// Newer klist versions add lines (e.g. "Ticket Flags" variants,
		// "Session Key Type" for compound identity); keep going.
	}
	return nil
}

func (p *klistParser) mit(line string) error {
	k := p.k
	switch {
	case strings.HasPrefix(line, "Ticket cache:"), strings.HasPrefix(line, "Credentials cache:"):
		_, v, _ := strings.Cut(line, ":")
		k.Cache = strings.TrimSpace(v)
		return nil
	case strings.HasPrefix(line, "Default principal:"):
		k.Client = strings.TrimSpace(strings.TrimPrefix(line, "Default principal:"))
		return nil
	case strings.HasPrefix(line, "Valid starting"):
		return nil
	case strings.HasPrefix(line, "klist:"):
		k.Notes = append(k.Notes, line)
		return nil
	}
	if m := mitTicketLine.FindStringSubmatch(line); m != nil {
		return p.mitTicket(m[1], m[2], m[3])
	}
	if m := mitTextDate.FindStringSubmatch(line); m != nil {
		return p.mitTicket(m[1], m[2], m[3])
	}
	if p.cur == nil {
		return p.errf(ErrMalformed, "unexpected line %q before the first ticket", clip(line))
	}
	// Continuation lines: "renew until DATE, Flags: FRI", "Flags: FI, Etype
	// (skey, tkt): a, b", "Etype (skey, tkt): a, b", "for client x@R",
	// "Addresses: (none)".
	t := p.cur
	rest := line
	for rest != "" {
		var part string
		switch {
		case strings.HasPrefix(rest, "Etype (skey, tkt):"):
			part, rest = strings.TrimPrefix(rest, "Etype (skey, tkt):"), ""
			sk, tk, ok := strings.Cut(part, ",")
			if !ok {
				return p.errf(ErrMalformed, "Etype line %q without two types", clip(line))
			}
			t.SessionKeyType, _ = normEncType(sk)
			t.EncType, t.EncTypeID = normEncType(tk)
			continue
		case strings.HasPrefix(rest, "Addresses:"), strings.HasPrefix(rest, "Ticket server:"):
			rest = ""
			continue
		}
		part, rest, _ = strings.Cut(rest, ",")
		part, rest = strings.TrimSpace(part), strings.TrimSpace(rest)
		switch {
		case strings.HasPrefix(part, "renew until"):
			tm, err := parseKlistTime(strings.TrimSpace(strings.TrimPrefix(part, "renew until")))
			if err != nil {
				return p.errf(ErrMalformed, "renew until %q: %v", part, err)
			}
			t.Renew = tm
		case strings.HasPrefix(part, "Flags:"):
			t.Flags = mitFlagNames(strings.TrimSpace(strings.TrimPrefix(part, "Flags:")))
		case strings.HasPrefix(part, "for client"):
			t.Client = strings.TrimSpace(strings.TrimPrefix(part, "for client"))
		default:
			return p.errf(ErrMalformed, "unexpected ticket detail %q", clip(part))
		}
	}
	return nil
}

func (p *klistParser) mitTicket(start, end, princ string) error {
	st, err := parseKlistTime(start)
	if err != nil {
		return p.errf(ErrMalformed, "valid starting %q: %v", start, err)
	}
	en, err := parseKlistTime(end)
	if err != nil {
		return p.errf(ErrMalformed, "expires %q: %v", end, err)
	}
	server, realm := splitPrincipal(princ)
	p.k.Tickets = append(p.k.Tickets, Ticket{Client: p.k.Client, Server: server, Realm: realm, Start: st, End: en, Line: p.line})
	p.cur = &p.k.Tickets[len(p.k.Tickets)-1]
	return nil
}

func (p *klistParser) finish() error {
	k := p.k
	if k.Format == KlistWindows {
		for i, t := range k.Tickets {
			if t.Server == "" {
				return &KlistError{Name: p.name, Line: t.Line, Err: fmt.Errorf("%w: ticket #%d has no Server line", ErrMalformed, i)}
			}
		}
		if p.declared != len(k.Tickets) {
			k.Notes = append(k.Notes, fmt.Sprintf("klist declared %d cached tickets but %d were listed", p.declared, len(k.Tickets)))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// joinAt turns Windows "user @ REALM" into "user@REALM".
func joinAt(s string) string {
	a, b := splitWinPrincipal(s)
	if b == "" {
		return a
	}
	return a + "@" + b
}

// splitWinPrincipal splits Windows "HTTP/web.corp.example @ CORP.EXAMPLE".
func splitWinPrincipal(s string) (name, realm string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, " @ "); i >= 0 {
		return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+3:])
	}
	return splitPrincipal(s)
}

// splitPrincipal splits "name@REALM" at the last unescaped '@'.
func splitPrincipal(s string) (name, realm string) {
	s = strings.TrimSpace(s)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' && (i == 0 || s[i-1] != '\\') {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// normEncType maps a klist encryption type text to the MIT name and number.
// Unknown names are kept as printed with number 0.
func normEncType(s string) (string, int32) {
	s = strings.TrimSpace(s)
	if id, ok := EncTypeID(s); ok {
		return EncTypeName(id), id
	}
	// Windows prints unknown types as "Unknown (n)" or "(n)".
	if i := strings.LastIndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
		if v, err := strconv.ParseInt(strings.TrimSpace(s[i+1:len(s)-1]), 0, 32); err == nil {
			return EncTypeName(int32(v)), int32(v)
		}
	}
	return s, 0
}

// klistTicketFlags names the TicketFlags bits of a klist "Ticket Flags 0x..."
// value with the same table as tickets from RequestTicket (ticketFlagNames).
func klistTicketFlags(v uint32) []string {
	return ticketFlagNames([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}, 32)
}

// mitFlagNames maps MIT klist -f letters to the Windows flag names.
func mitFlagNames(letters string) []string {
	m := map[rune]string{
		'F': "forwardable", 'f': "forwarded", 'P': "proxiable", 'p': "proxy", 'D': "may_postdate",
		'd': "postdated", 'R': "renewable", 'I': "initial", 'i': "invalid", 'H': "hw_authent",
		'A': "pre_authent", 'T': "transited", 'O': "ok_as_delegate", 'a': "anonymous",
	}
	var out []string
	for _, c := range letters {
		if n, ok := m[c]; ok {
			out = append(out, n)
		}
	}
	return out
}

// klistLayouts are the date/time forms klist prints: Windows uses the
// locale's short date with a 24-hour clock; MIT uses strftime %x %X, which
// is "11/25/26 00:04:54" in the C locale.
var klistLayouts = []string{
	"1/2/2006 15:04:05", "1/2/06 15:04:05", "2006-01-02 15:04:05", "2.1.2006 15:04:05", "2/1/2006 15:04:05",
	"1/2/2006 3:04:05 PM", "1/2/06 3:04:05 PM", "Jan 2 15:04:05 2006", "01/02/2006 15:04:05", "02.01.06 15:04:05",
}

func parseKlistTime(s string) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	for _, l := range klistLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date/time %q", s)
}
