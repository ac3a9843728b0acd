package negotiate

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
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
	Format KlistFormat `json:"format"`
	// Name is the file name given to ParseKlistFile (empty for ParseKlist).
	Name string `json:"name,omitempty"`
	// Encoding is the text encoding detected ("UTF-8", "UTF-16LE", ...).
	Encoding string `json:"encoding"`
	// LogonID is the Windows logon session ("0:0x3e7" is SYSTEM, the
	// identity IIS app pools running as a machine account use).
	LogonID string `json:"logon_id,omitempty"`
	// Cache is the MIT credential cache ("FILE:/tmp/krb5cc_0").
	Cache string `json:"cache,omitempty"`
	// Client is the default principal (MIT) or the client of the first
	// ticket (Windows), as "user@REALM".
	Client  string   `json:"client,omitempty"`
	Tickets []Ticket `json:"tickets"`
	// Failures are the klist, kvno or kinit commands in the output that
	// failed ("klist failed with 0x80090342/...", "kvno: Server not found in
	// Kerberos database ..."), in output order. A Klist with failures and no
	// tickets is valid: the client tried to obtain a ticket and could not,
	// which is not the same as a client that never used Kerberos.
	Failures []KlistFailure `json:"failures,omitempty"`
	// Notes records what the parser met but did not turn into tickets, such
	// as "No credentials cache found".
	Notes []string `json:"notes,omitempty"`
}

// KlistFailure is one failed klist (Windows or MIT), kvno or kinit command
// as its output shows it.
//
// Windows klist prints the status of the LSA call and then its own status:
//
//	C:\>klist get HOST/vm01.contoso.com
//	Current LogonId is 0:0xd6ed18
//	Error calling API LsaCallAuthenticationPackage (GetTicket substatus): 0x80090342
//	klist failed with 0xc00002fd/-1073741059: The encryption type requested is not supported by the KDC.
//
// which gives Command "klist get", Target "HOST/vm01.contoso.com",
// Substatus 0x80090342, Status 0xC00002FD, Name "SEC_E_KDC_UNKNOWN_ETYPE"
// and KerberosCode 14 (KDC_ERR_ETYPE_NOSUPP). MIT tools print one line
// ("kvno: Server not found in Kerberos database while getting credentials
// for HTTP/x@R"), which gives Command "kvno", Target "HTTP/x@R", Name
// "KDC_ERR_S_PRINCIPAL_UNKNOWN" and KerberosCode 7.
type KlistFailure struct {
	// Command is the command that failed, when the output shows it: "klist
	// get", "klist tgt", "klist" (from a prompt line such as "C:\>klist get
	// X", or from klist's own words: "GetTicket substatus" is klist get),
	// "kvno", "kinit". Empty when unknown.
	Command string `json:"command,omitempty"`
	// Target is the service principal the command asked for ("klist get
	// HOST/vm01.contoso.com", "... while getting credentials for
	// HTTP/x@R"), when shown.
	Target string `json:"target,omitempty"`
	// Status is the code of "klist failed with 0x...". Zero for MIT tools.
	Status Status `json:"status,omitzero"`
	// Substatus is the code of "Error calling API ... substatus): 0x...",
	// the status the Kerberos package returned. Zero when not shown.
	Substatus Status `json:"substatus,omitzero"`
	// API is what the substatus line names ("LsaCallAuthenticationPackage
	// (GetTicket substatus)").
	API string `json:"api,omitempty"`
	// MITCode is the MIT com_err code of an MIT message, when known
	// (-1765328189 KRB5_FCC_NOFILE, MITErrorBase+n for Kerberos code n).
	MITCode int64 `json:"mit_code,omitempty"`
	// Name and Meaning explain the failure: from Substatus when it is
	// known, else from Status, else from the MIT message. Name is a
	// symbolic name ("SEC_E_KDC_UNKNOWN_ETYPE", "KRB5_KDC_UNREACH"); both
	// are empty for a code iiskerb does not know (Text still says what
	// klist said).
	Name    string `json:"name,omitempty"`
	Meaning string `json:"meaning,omitempty"`
	// KerberosCode is the RFC 4120 error the failure corresponds to (14
	// KDC_ERR_ETYPE_NOSUPP, 7 KDC_ERR_S_PRINCIPAL_UNKNOWN), 0 when none.
	KerberosCode ErrorCode `json:"kerberos_code,omitempty"`
	// Text is the message as printed (at most 200 bytes): "The encryption
	// type requested is not supported by the KDC.", "Server not found in
	// Kerberos database while getting credentials for HTTP/x@R".
	Text string `json:"text,omitempty"`
	// Line is the 1-based line of the failure in the output (the "klist
	// failed with" line, or the substatus line when klist printed no
	// "klist failed" line after it).
	Line int `json:"line"`
}

// Codes returns the non-zero status codes of f: Substatus, then Status.
func (f KlistFailure) Codes() []Status {
	var out []Status
	for _, s := range []Status{f.Substatus, f.Status} {
		if s != 0 {
			out = append(out, s)
		}
	}
	return out
}

// String describes the failure in one line: command, target, codes, name
// and meaning.
func (f KlistFailure) String() string {
	var b strings.Builder
	b.WriteString(cmp.Or(f.Command, "klist"))
	if f.Target != "" {
		b.WriteString(" " + f.Target)
	}
	b.WriteString(" failed")
	for _, c := range f.Codes() {
		b.WriteString(" " + c.String())
	}
	if f.Name != "" {
		b.WriteString(" " + f.Name)
	}
	if f.Meaning != "" {
		b.WriteString(": " + f.Meaning)
	} else if f.Text != "" {
		b.WriteString(": " + f.Text)
	}
	return b.String()
}

// FindFailures returns the failures whose Target equals spn, ignoring case
// and an "@REALM" suffix on either side (as Find does for tickets).
func (k *Klist) FindFailures(spn string) []KlistFailure {
	want, wantRealm := splitPrincipal(spn)
	var out []KlistFailure
	for _, f := range k.Failures {
		name, realm := splitPrincipal(f.Target)
		if f.Target == "" || !strings.EqualFold(name, want) {
			continue
		}
		if wantRealm != "" && realm != "" && !strings.EqualFold(wantRealm, realm) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Status is a Windows status code as klist prints it: an HRESULT
// (0x80090342), an NTSTATUS (0xC00002FD) or a Win32 error code (0x51F).
// Its text form is "0x" and eight hex digits ("0x0000051F" for Win32).
type Status uint32

// String returns the code in hex ("0x80090342").
func (s Status) String() string { return fmt.Sprintf("0x%08X", uint32(s)) }

// MarshalText encodes the code as its String form (for JSON).
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Known reports whether the code is in iiskerb's table (see LookupStatus).
func (s Status) Known() bool { _, ok := statusTable[s]; return ok }

// Name returns the symbolic name ("SEC_E_KDC_UNKNOWN_ETYPE"), or "" for a
// code not in the table.
func (s Status) Name() string { return statusTable[s].name }

// Meaning explains the code in one line, or returns "" for a code not in
// the table.
func (s Status) Meaning() string { return statusTable[s].meaning }

// KerberosCode returns the RFC 4120 error the status stands for (14 for
// SEC_E_KDC_UNKNOWN_ETYPE), or 0 when it stands for none.
func (s Status) KerberosCode() ErrorCode { return statusTable[s].krb }

// LookupStatus returns the name, one-line meaning and Kerberos error code
// (0 when none) of a Windows status code that klist or IIS logs show. The
// hex, signed decimal (-2146893042) and unsigned decimal (2148074254) forms
// of a code are the same uint32.
func LookupStatus(code uint32) (name, meaning string, krb ErrorCode, ok bool) {
	e, ok := statusTable[Status(code)]
	return e.name, e.meaning, e.krb, ok
}

type statusInfo struct {
	name, meaning string
	krb           ErrorCode
}

// statusTable is the one table of Windows status codes for klist failures.
// Names and message texts are those of winerror.h and ntstatus.h (Windows
// SDK); the Kerberos correspondences are the ones Windows documents:
// 0x80090342/0xC00002FD for KDC_ERR_ETYPE_NOTSUPP (Windows Server docs,
// Kerberos encryption type troubleshooting, "klist get" output), and
// 0xC000018B from "klist get" when no account holds the SPN (Microsoft
// support article "Kerberos authentication troubleshooting guidance").
var statusTable = map[Status]statusInfo{
	0x80090342: {"SEC_E_KDC_UNKNOWN_ETYPE", "the encryption type requested is not supported by the KDC: no encryption type is common to the client's allowed types and the keys of the target account (KDC_ERR_ETYPE_NOTSUPP)", CodeETypeNoSupp},
	0xC00002FD: {"STATUS_KDC_UNKNOWN_ETYPE", "the encryption type requested is not supported by the KDC: no encryption type is common to the client's allowed types and the keys of the target account (KDC_ERR_ETYPE_NOTSUPP)", CodeETypeNoSupp},
	0x8009030E: {"SEC_E_NO_CREDENTIALS", "no Kerberos credentials (no TGT) in the logon session: a local or non-domain logon, or the TGT could not be obtained", 0},
	0xC000005E: {"STATUS_NO_LOGON_SERVERS", "no logon servers available (no domain controller reachable)", 0},
	0x0000051F: {"ERROR_NO_LOGON_SERVERS", "no logon servers available (no domain controller reachable)", 0},
	0x80090311: {"SEC_E_NO_AUTHENTICATING_AUTHORITY", "no authority could be contacted for authentication (no KDC reachable for the realm: DNS, network or trust)", 0},
	0x80090303: {"SEC_E_TARGET_UNKNOWN", "the target is unknown or unreachable: the KDC knows no account with this SPN (KDC_ERR_S_PRINCIPAL_UNKNOWN)", CodeSPrincipalUnknown},
	0xC000018B: {"STATUS_NO_TRUST_SAM_ACCOUNT", "no account holds the requested SPN (klist get reports KDC_ERR_S_PRINCIPAL_UNKNOWN this way); elsewhere: the computer's domain trust is broken", CodeSPrincipalUnknown},
	0x000006FB: {"ERROR_NO_TRUST_SAM_ACCOUNT", "no account holds the requested SPN (klist get reports KDC_ERR_S_PRINCIPAL_UNKNOWN this way); elsewhere: the computer's domain trust is broken", CodeSPrincipalUnknown},
	0x8009030C: {"SEC_E_LOGON_DENIED", "the logon attempt failed", 0},
	0xC000006D: {"STATUS_LOGON_FAILURE", "unknown user name or bad password", 0},
	0x0000052E: {"ERROR_LOGON_FAILURE", "unknown user name or bad password", 0},
	0x8009030D: {"SEC_E_UNKNOWN_CREDENTIALS", "the credentials supplied to the package were not recognised", 0},
	0x80090322: {"SEC_E_WRONG_PRINCIPAL", "the target principal name is incorrect: the ticket is for another account than the one the server runs as", 0},
	0x80090324: {"SEC_E_TIME_SKEW", "clock skew between the client and the server or KDC is too great", CodeSkew},
	0xC0000133: {"STATUS_TIME_DIFFERENCE_AT_DC", "the time at the domain controller differs too much from the time at the client", CodeSkew},
	0x80090308: {"SEC_E_INVALID_TOKEN", "the token supplied to the function is invalid", 0},
	0x80090302: {"SEC_E_UNSUPPORTED_FUNCTION", "the function requested is not supported", 0},
	0x80090346: {"SEC_E_BAD_BINDINGS", "the client's channel bindings are incorrect (extended protection; TLS inspected or terminated upstream)", 0},
	0xC0000022: {"STATUS_ACCESS_DENIED", "access denied (listing another logon session, as klist -li 0x3e7 does, needs an elevated prompt)", 0},
	0x00000005: {"ERROR_ACCESS_DENIED", "access denied (listing another logon session, as klist -li 0x3e7 does, needs an elevated prompt)", 0},
	0xC000005F: {"STATUS_NO_SUCH_LOGON_SESSION", "the logon session does not exist (wrong -li value, or the session ended)", 0},
	0x00000520: {"ERROR_NO_SUCH_LOGON_SESSION", "the logon session does not exist (wrong -li value, or the session ended)", 0},
}

// mitFailures are MIT krb5 com_err messages that are not RFC 4120 errors
// (krb5_err.et, k5e1_err.et); RFC 4120 errors are recognised with
// KDCErrorFromText.
var mitFailures = []struct {
	text, name, meaning string
	code                int64
}{
	{"no credentials cache found", "KRB5_FCC_NOFILE", "no Kerberos credentials cache: this user has no tickets (no TGT; run kinit)", -1765328189},
	{"credentials cache file", "KRB5_FCC_NOFILE", "no Kerberos credentials cache: this user has no tickets (no TGT; run kinit)", -1765328189},
	{"cannot contact any kdc for", "KRB5_KDC_UNREACH", "no KDC could be reached for the realm (DNS SRV records, krb5.conf [realms], or port 88 blocked)", -1765328228},
	{"cannot find kdc for", "KRB5_REALM_UNKNOWN", "no KDC is known for the realm (DNS SRV records or krb5.conf [realms])", 0},
}

// Ticket is one Kerberos service ticket: a line of klist output, or a ticket
// obtained by RequestTicket.
type Ticket struct {
	// Client is the client principal as "user@REALM".
	Client string `json:"client"`
	// Server is the service principal without the realm
	// ("HTTP/web.corp.example", "krbtgt/CORP.EXAMPLE").
	Server string `json:"server"`
	// Realm is the service principal's realm.
	Realm string `json:"realm"`
	// EncType is the ticket's encryption type by its MIT name
	// ("aes256-cts-hmac-sha1-96", "arcfour-hmac"); EncTypeID its number
	// (0 when klist did not show it: MIT klist without -e).
	EncType   string `json:"enctype,omitempty"`
	EncTypeID int32  `json:"enctype_id,omitempty"`
	// SessionKeyType is the session key's encryption type (MIT name).
	SessionKeyType string `json:"session_key_enctype,omitempty"`
	// Flags are ticket flag names as Windows prints them ("forwardable",
	// "renewable", "initial", "pre_authent", "name_canonicalize",
	// "ok_as_delegate", ...); MIT flag letters are mapped to the same names.
	Flags      []string `json:"flags,omitempty"`
	FlagsValue uint32   `json:"flags_value,omitempty"` // Windows "Ticket Flags 0x..." (0 for MIT)
	// Start, End and Renew are the times klist printed. klist prints local
	// time without a zone; they are returned as that wall-clock time in UTC.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Renew time.Time `json:"renew,omitzero"`
	// TimeIssue is set when Start, End or Renew may not be the time klist
	// meant: a date it could not read (that field is then zero), or a
	// numeric date whose day/month order nothing in the output settles
	// (read as month/day for "/" dates, day/month otherwise). The order is
	// taken from the whole output: one date such as 24/11/2026 settles it
	// for all. StartText, EndText and RenewText then hold the times as
	// printed.
	TimeIssue string `json:"time_issue,omitempty"`
	StartText string `json:"start_text,omitempty"`
	EndText   string `json:"end_text,omitempty"`
	RenewText string `json:"renew_text,omitempty"`
	// KVNO is the key version number when known (RequestTicket; klist does
	// not print it).
	KVNO int `json:"kvno,omitempty"`
	// CacheFlags and KDCCalled are Windows klist extras.
	CacheFlags string `json:"cache_flags,omitempty"`
	KDCCalled  string `json:"kdc_called,omitempty"`
	// Line is the 1-based line of the ticket in the klist output.
	Line int `json:"line,omitempty"`
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

// maxKlistLine bounds one line of klist output. klist prints lines of at
// most a few hundred bytes (the "klist tgt" encoded ticket is a hex dump of
// short lines), so a longer line is no klist output: it is a *KlistError
// wrapping ErrMalformed, with its line number, and is never held whole.
const maxKlistLine = 64 << 10

func parseKlist(name string, r io.Reader) (*Klist, error) {
	tr, enc, err := textenc.NewReader(r)
	if err != nil {
		return nil, &KlistError{Name: name, Err: err}
	}
	lr := textenc.NewLineReader(tr, maxKlistLine)
	p := &klistParser{k: &Klist{Encoding: enc.String()}, name: name}
	for lr.Scan() {
		p.line = lr.Line()
		if lr.Long() {
			// Rejected as soon as the limit is passed: the rest of the
			// line is never read.
			return nil, &KlistError{Name: name, Line: p.line, Err: fmt.Errorf("%w: line longer than %d bytes", ErrMalformed, maxKlistLine)}
		}
		if err := p.feed(strings.TrimRight(string(lr.Bytes()), "\r")); err != nil {
			return nil, err
		}
	}
	if err := lr.Err(); err != nil {
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
	// command and target come from the last prompt line ("C:\>klist get
	// HTTP/x"); they are given to the failures that follow it.
	command, target string
	// sub is a Windows substatus line waiting for its "klist failed" line.
	sub *KlistFailure
	// dates are the times of all tickets, read in finish once the whole
	// output shows which day/month order it uses.
	dates []klistDate
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
		p.setTime(fieldStart, val)
	case "EndTime":
		p.setTime(fieldEnd, val)
	case "RenewUntil":
		p.setTime(fieldRenew, val)
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

type timeField int

const (
	fieldStart timeField = iota
	fieldEnd
	fieldRenew
)

// klistDate is a time klist printed for one field of one ticket.
type klistDate struct {
	ticket int
	field  timeField
	text   string
}

// setTime records the time text for a field of the current ticket (the
// last one); finish reads it.
func (p *klistParser) setTime(f timeField, val string) {
	val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "(local)"))
	p.dates = append(p.dates, klistDate{ticket: len(p.k.Tickets) - 1, field: f, text: val})
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

	// Windows failures: "Error calling API LsaCallAuthenticationPackage
	// (GetTicket substatus): 0x80090342" and "klist failed with
	// 0xc00002fd/-1073741059: text". winFailAny is the same line in other
	// languages: klist, then a hex/decimal code pair.
	winSubstatus = regexp.MustCompile(`^Error calling API (.+?):\s*(0x[0-9a-fA-F]{1,8})\b`)
	winFailed    = regexp.MustCompile(`^klist failed with (0x[0-9a-fA-F]{1,8})(?:/-?\d+)?\s*:?\s*(.*)$`)
	winFailAny   = regexp.MustCompile(`^klist\b.*?\b(0x[0-9a-fA-F]{1,8})/-?\d+\s*:?\s*(.*)$`)
	// MIT: "kvno: Server not found in Kerberos database while getting
	// credentials for HTTP/x@R"; "HTTP/x@R: kvno = 3" is kvno's success.
	mitFailure = regexp.MustCompile(`^(klist|kvno|kinit):\s*(.*)$`)
	mitKvnoOK  = regexp.MustCompile(`^\S+: kvno = \d+$`)
	mitFor     = regexp.MustCompile(`(?i)\bwhile getting (?:credentials|initial credentials) for (\S+)`)
	// A command line copied with the output: "C:\>klist get HTTP/x",
	// "PS C:\> klist tgt", "$ kvno HTTP/x@R", or the bare command.
	promptLine = regexp.MustCompile(`^(?:PS\s+[^>]*>\s*|[A-Za-z]:[^>]*>\s*|[$#>]\s*|\S+@\S+[:~][^$#]*[$#]\s*)?((?i:klist)(?:\.exe)?|kvno|kinit)((?:\s.*)?)$`)
)

func (p *klistParser) feed(raw string) error {
	line := strings.TrimSpace(raw)
	if line == "" {
		return nil
	}
	if p.failure(line) {
		if p.k.Format == KlistUnknown {
			if strings.Contains(line, ":") && mitFailure.MatchString(line) {
				p.k.Format = KlistMIT
			} else {
				p.k.Format = KlistWindows
			}
		}
		return nil
	}
	if p.prompt(line) {
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

// klistSubcommands are Windows klist's commands (klist /?).
var klistSubcommands = []string{"tickets", "tgt", "purge", "get", "sessions", "kcd_cache", "query_bind", "purge_bind", "add_bind", "cloud_debug"}

// prompt recognises a command line copied with the output and remembers
// the command and its target for the failures that follow.
func (p *klistParser) prompt(line string) bool {
	m := promptLine.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	p.flushSub()
	prog := strings.ToLower(strings.TrimSuffix(strings.ToLower(m[1]), ".exe"))
	args := strings.Fields(m[2])
	p.command, p.target = prog, ""
	switch prog {
	case "klist":
		// Windows: klist [-lh N] [-li N] [tickets|tgt|purge|get SPN|...].
		// MIT: klist [-e] [-f] [cache].
		for i := 0; i < len(args); i++ {
			a := args[i]
			if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "/") {
				if la := strings.ToLower(a); (la == "-li" || la == "-lh" || la == "/li" || la == "/lh") && i+1 < len(args) {
					i++
				}
				continue
			}
			if sub := strings.ToLower(a); slices.Contains(klistSubcommands, sub) {
				p.command = "klist " + sub
				if sub == "get" && i+1 < len(args) {
					p.target = args[i+1]
				}
			}
			break
		}
	case "kvno":
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				p.target = a
				break
			}
		}
	}
	// A new command ends the ticket block of the previous one.
	p.cur, p.tgt = nil, false
	return true
}

// failure recognises a line of a failed command (both formats) and
// records it. It reports whether the line was one.
func (p *klistParser) failure(line string) bool {
	k := p.k
	if m := winSubstatus.FindStringSubmatch(line); m != nil {
		p.flushSub()
		v, _ := strconv.ParseUint(m[2][2:], 16, 32)
		f := KlistFailure{Command: p.command, Target: p.target, Substatus: Status(v), API: strings.TrimSpace(m[1]), Line: p.line}
		if f.Command == "" && strings.Contains(f.API, "(GetTicket ") {
			f.Command = "klist get"
		}
		p.sub = &f
		k.Notes = append(k.Notes, clip(line))
		return true
	}
	m := winFailed.FindStringSubmatch(line)
	if m == nil {
		m = winFailAny.FindStringSubmatch(line)
	}
	if m != nil {
		v, _ := strconv.ParseUint(m[1][2:], 16, 32)
		var f KlistFailure
		if p.sub != nil {
			f, p.sub = *p.sub, nil
		} else {
			f = KlistFailure{Command: p.command, Target: p.target}
		}
		f.Status, f.Text, f.Line = Status(v), clipN(strings.TrimSpace(m[2]), 200), p.line
		p.addFailure(f)
		k.Notes = append(k.Notes, clip(line))
		p.cur, p.tgt = nil, false
		return true
	}
	m = mitFailure.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	p.flushSub()
	text := strings.TrimSpace(m[2])
	f := KlistFailure{Command: m[1], Text: clipN(text, 200), Line: p.line}
	if f.Command == p.command || strings.HasPrefix(p.command, f.Command+" ") {
		f.Command, f.Target = p.command, p.target
	}
	if t := mitFor.FindStringSubmatch(text); t != nil {
		f.Target = strings.Trim(t[1], "'\".,")
	}
	low := strings.ToLower(text)
	for _, mf := range mitFailures {
		if strings.Contains(low, mf.text) {
			f.Name, f.Meaning, f.MITCode = mf.name, mf.meaning, mf.code
			break
		}
	}
	if f.Name == "" {
		if e := KDCErrorFromText(text); e != nil {
			f.Name, f.Meaning, f.KerberosCode = e.Name, e.Meaning, ErrorCode(e.Code)
			f.MITCode = MITErrorBase + int64(e.Code)
		}
	}
	p.addFailure(f)
	if m[1] == "klist" {
		k.Notes = append(k.Notes, line)
	}
	return true
}

// flushSub records a substatus line that no "klist failed" line followed.
func (p *klistParser) flushSub() {
	if p.sub != nil {
		p.addFailure(*p.sub)
		p.sub = nil
	}
}

// addFailure fills Name, Meaning and KerberosCode from the status codes
// (substatus first) and appends the failure.
func (p *klistParser) addFailure(f KlistFailure) {
	for _, c := range f.Codes() {
		if c.Known() {
			f.Name, f.Meaning, f.KerberosCode = c.Name(), c.Meaning(), c.KerberosCode()
			break
		}
	}
	p.k.Failures = append(p.k.Failures, f)
}

// detect recognises the format from the first meaningful lines.
func (p *klistParser) detect(line string) error {
	switch {
	case strings.HasPrefix(line, "Current LogonId is"), winCached.MatchString(line), winTicketStart.MatchString(line), line == "Cached TGT:":
		p.k.Format = KlistWindows
		return p.windows(line)
	case strings.HasPrefix(line, "Ticket cache:"), strings.HasPrefix(line, "Default principal:"),
		strings.HasPrefix(line, "Credentials cache:"):
		p.k.Format = KlistMIT
		return p.mit(line)
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
		// Text before the first ticket: keep klist's own messages ("A
		// ticket to ... has been retrieved successfully."); other lines are
		// dropped, never echoed.
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
		p.setTime(fieldStart, val)
	case "End Time":
		p.setTime(fieldEnd, val)
	case "Renew Time":
		p.setTime(fieldRenew, val)
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
	case mitKvnoOK.MatchString(line):
		return nil
	}
	if m := mitTicketLine.FindStringSubmatch(line); m != nil {
		p.mitTicket(m[1], m[2], m[3])
		return nil
	}
	if m := mitTextDate.FindStringSubmatch(line); m != nil {
		p.mitTicket(m[1], m[2], m[3])
		return nil
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
			p.setTime(fieldRenew, strings.TrimPrefix(part, "renew until"))
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

func (p *klistParser) mitTicket(start, end, princ string) {
	server, realm := splitPrincipal(princ)
	p.k.Tickets = append(p.k.Tickets, Ticket{Client: p.k.Client, Server: server, Realm: realm, Line: p.line})
	p.cur = &p.k.Tickets[len(p.k.Tickets)-1]
	p.setTime(fieldStart, start)
	p.setTime(fieldEnd, end)
}

func (p *klistParser) finish() error {
	p.flushSub()
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
	p.readDates()
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

func clipN(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}

// numericDate is a date such as "11/24/2026 9:01:02", "24.11.2026
// 09:01:02", "2026-11-24 09:01:02" or "06/07/04 19:49:21 PM".
var numericDate = regexp.MustCompile(`^(\d{1,4})([-/.])(\d{1,2})[-/.](\d{1,4})\.?\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s*([AaPp][Mm]))?$`)

// Day/month orders of numeric dates.
const (
	orderUnknown = iota
	orderMDY
	orderDMY
)

// readDates sets the tickets' times. Windows klist prints the locale's
// short date and MIT klist strftime's %x, so "06/07/04" may be June 7 or
// July 6: the order is taken from the dates of the whole output (a first
// number above 12 means day first, a second above 12 month first). Dates
// the output does not settle, or cannot be read, are flagged with the
// text kept (Ticket.TimeIssue).
func (p *klistParser) readDates() {
	dmy, mdy := false, false
	for _, d := range p.dates {
		m := numericDate.FindStringSubmatch(strings.Join(strings.Fields(d.text), " "))
		if m == nil || len(m[1]) == 4 {
			continue
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[3])
		switch {
		case a > 12 && b <= 12:
			dmy = true
		case b > 12 && a <= 12:
			mdy = true
		}
	}
	order := orderUnknown
	switch {
	case dmy && !mdy:
		order = orderDMY
	case mdy && !dmy:
		order = orderMDY
	}
	for _, d := range p.dates {
		if d.ticket < 0 || d.ticket >= len(p.k.Tickets) {
			continue
		}
		t := &p.k.Tickets[d.ticket]
		tm, issue := parseKlistTime(d.text, order, dmy && mdy)
		switch d.field {
		case fieldStart:
			t.Start = tm
		case fieldEnd:
			t.End = tm
		default:
			t.Renew = tm
		}
		if issue != "" && t.TimeIssue == "" {
			t.TimeIssue = issue
		}
	}
	// Keep every printed time of a flagged ticket.
	for _, d := range p.dates {
		if d.ticket < 0 || d.ticket >= len(p.k.Tickets) || p.k.Tickets[d.ticket].TimeIssue == "" {
			continue
		}
		t := &p.k.Tickets[d.ticket]
		switch d.field {
		case fieldStart:
			t.StartText = clip(d.text)
		case fieldEnd:
			t.EndText = clip(d.text)
		default:
			t.RenewText = clip(d.text)
		}
	}
}

// textLayouts are klist date forms without a numeric day/month question.
var textLayouts = []string{"Jan 2 15:04:05 2006", "Mon Jan 2 15:04:05 2006"}

// parseKlistTime reads a klist time with the output's day/month order
// (orderUnknown when the output does not show it; conflict when it shows
// both). It returns the wall-clock time in UTC and, when the time may be
// wrong or could not be read (zero time), why.
func parseKlistTime(s string, order int, conflict bool) (time.Time, string) {
	s = strings.Join(strings.Fields(s), " ")
	m := numericDate.FindStringSubmatch(s)
	if m == nil {
		for _, l := range textLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, ""
			}
		}
		return time.Time{}, fmt.Sprintf("unrecognised date/time %q: kept as text", clip(s))
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	hour, minute, sec := n(5), n(6), n(7)
	if ampm := strings.ToUpper(m[8]); ampm != "" {
		if hour < 1 || hour > 12 {
			return time.Time{}, fmt.Sprintf("unreadable time %q: kept as text", s)
		}
		hour %= 12
		if ampm == "PM" {
			hour += 12
		}
	}
	var year, month, day int
	issue := ""
	switch {
	case len(m[1]) == 4: // 2026-11-24, 2026/11/24
		year, month, day = n(1), n(3), n(4)
	default:
		a, b := n(1), n(3)
		year = n(4)
		if len(m[4]) <= 2 {
			// As Go's "06": 69-99 are 19xx.
			if year >= 69 {
				year += 1900
			} else {
				year += 2000
			}
		}
		switch {
		case a > 12 || (order == orderDMY && b <= 12):
			day, month = a, b
		case b > 12 || order == orderMDY:
			month, day = a, b
		default:
			// Nothing settles the order: month first for "/" (en-US and
			// MIT's C locale), day first for "." and "-".
			if m[2] == "/" {
				month, day = a, b
			} else {
				day, month = a, b
			}
			if a != b {
				how := "month/day"
				if day == a {
					how = "day/month"
				}
				if conflict {
					issue = fmt.Sprintf("the output mixes day/month and month/day dates: %q read as %s", s, how)
				} else {
					issue = fmt.Sprintf("day/month order of %q not settled by the output: read as %s", s, how)
				}
			}
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, fmt.Sprintf("unreadable date/time %q: kept as text", s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, min(sec, 59), 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Sprintf("unreadable date/time %q: kept as text", s)
	}
	return t, issue
}
