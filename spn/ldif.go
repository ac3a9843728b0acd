package spn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// LDIFExport is a parsed LDIF file such as
//
//	ldifde -f x.ldf -r "(servicePrincipalName=*)" -l servicePrincipalName,sAMAccountName,userAccountControl,msDS-SupportedEncryptionTypes,objectClass
//
// writes. Account names are bare sAMAccountNames (an export does not show the
// NetBIOS domain name, and the first DC= of a DN is not it); call
// [Account.SetDomain] with the real NetBIOS name, or give it as
// [OfflineInput.Domain].
type LDIFExport struct {
	// Name is the file name given to ParseLDIF.
	Name string
	// Encoding is how the file was encoded.
	Encoding textenc.Encoding
	// Accounts has one account per entry, in file order.
	Accounts []Account
	// Warnings lists lines that were skipped or show missing data.
	Warnings []Warning
	// EncTypesSeen is true when at least one entry carries
	// msDS-SupportedEncryptionTypes, which shows that the export requested
	// the attribute: its absence on the other entries is then real
	// (Account.EncTypesUnknown false). When no entry carries it the export
	// may simply not have asked for it (ldifde -l without it), so every
	// account is marked EncTypesUnknown and no RC4 conclusion is drawn.
	EncTypesSeen bool
	// Incomplete is non-empty when the file itself shows that entries are
	// missing: an ldapsearch "result:" other than 0 (size or time limit), a
	// search reference ("ref:") that was not followed, a ranged attribute.
	// [NewOfflineDirectory] never treats such an export as complete.
	Incomplete string
}

// ParseLDIF reads a whole LDIF export into memory. See [ScanLDIF] for the
// syntax it accepts.
func ParseLDIF(name string, r io.Reader) (*LDIFExport, error) {
	out := &LDIFExport{Name: name}
	var sc ldifScanner
	enc, warns, err := scanLDIF(context.Background(), &sc, name, r, func(a *Account) error {
		c := *a
		c.SPNs = append([]string(nil), a.SPNs...)
		out.Accounts = append(out.Accounts, c)
		return nil
	})
	out.Encoding, out.Warnings, out.Incomplete = enc, warns, sc.incomplete
	if err != nil {
		return nil, err
	}
	out.EncTypesSeen = sc.encSeen
	for i := range out.Accounts {
		out.Accounts[i].EncTypesUnknown = !sc.encSeen && !out.Accounts[i].EncTypesSet
	}
	return out, nil
}

// ScanLDIF streams the entries of an LDIF file (RFC 2849; as ldifde writes
// it) to fn, one [Account] per entry; *a is reused and only valid during the
// call. It handles line folding (continuation lines start with one space),
// base64 values ("attr:: ..."), comments, "version: 1", attribute options
// ("servicePrincipalName;range=0-1499" is reported as a warning because the
// values are truncated) and changetype lines: "add" entries are read,
// modify/delete/modrdn records are skipped with a warning. Text may be UTF-8
// or UTF-16LE (ldifde -u). Syntax errors stop the scan with a [*ParseError]
// (a line, physical or unfolded, over 1 MiB wraps [ErrLineTooLong] and is
// never held whole); an error from fn stops it and is returned unchanged.
// Warnings list the first 1000, then one that counts the rest.
//
// Output of OpenLDAP's ldapsearch is accepted too: its "search:" and
// "result:" trailer lines are read (a result other than "0 Success" means the
// export is truncated and becomes a warning), and search references ("ref:")
// are reported as warnings.
//
// Streaming cannot look ahead, so an entry without
// msDS-SupportedEncryptionTypes is reported with EncTypesUnknown true unless
// an earlier entry (or this one) carried the attribute; [ParseLDIF] decides
// for the whole file (see [LDIFExport.EncTypesSeen]).
func ScanLDIF(ctx context.Context, name string, r io.Reader, fn func(a *Account) error) (textenc.Encoding, []Warning, error) {
	var s ldifScanner
	return scanLDIF(ctx, &s, name, r, fn)
}

func scanLDIF(ctx context.Context, s *ldifScanner, name string, r io.Reader, fn func(a *Account) error) (textenc.Encoding, []Warning, error) {
	tr, enc, err := textenc.NewReader(r)
	if err != nil {
		return enc, nil, &ParseError{File: name, Err: err}
	}
	*s = ldifScanner{name: name, fn: fn, ctx: ctx}
	lr := textenc.NewLineReader(tr, maxLine)
	for lr.Scan() {
		s.line = lr.Line()
		if lr.Long() {
			return enc, s.warnings(), &ParseError{File: name, Line: s.line, Err: lineTooLong()}
		}
		if err := s.physical(strings.TrimRight(string(lr.Bytes()), "\r")); err != nil {
			return enc, s.warnings(), err
		}
	}
	if err := lr.Err(); err != nil {
		return enc, s.warnings(), &ParseError{File: name, Line: s.line + 1, Err: err}
	}
	if err := s.endLogical(); err != nil {
		return enc, s.warnings(), err
	}
	if err := s.endRecord(); err != nil {
		return enc, s.warnings(), err
	}
	if s.records == 0 && s.incomplete == "" {
		return enc, s.warnings(), &ParseError{File: name, Line: 1, Err: fmt.Errorf("no LDIF entries: %w", ErrUnrecognized)}
	}
	return enc, s.warnings(), nil
}

type ldifScanner struct {
	name         string
	fn           func(*Account) error
	ctx          context.Context
	line         int
	warns        []Warning
	moreWarnings int // warnings past maxWarnings, counted only

	logical     strings.Builder // current unfolded line
	logicalLine int             // its first physical line; 0 when none
	comment     bool            // the current logical line is a comment

	inRecord   bool
	skip       bool // record is not an add
	recLine    int
	acct       Account
	records    int
	valueBuf   []string
	incomplete string // why the file shows entries are missing
	encSeen    bool   // an entry carried msDS-SupportedEncryptionTypes
	lower      map[string]string
}

func (s *ldifScanner) warn(line int, format string, a ...any) {
	if len(s.warns) >= maxWarnings {
		s.moreWarnings++
		return
	}
	s.warns = append(s.warns, Warning{File: s.name, Line: line, Message: fmt.Sprintf(format, a...)})
}

// warnings returns the warnings, with the count of unlisted ones last.
func (s *ldifScanner) warnings() []Warning {
	if s.moreWarnings > 0 {
		s.warns = append(s.warns, moreWarnings(s.name, s.line, s.moreWarnings))
		s.moreWarnings = 0
	}
	return s.warns
}

// lowerName returns strings.ToLower(name) for an attribute name, from a
// small cache: an export spells a handful of names millions of times.
func (s *ldifScanner) lowerName(name string) string {
	if l, ok := s.lower[name]; ok {
		return l
	}
	l := strings.ToLower(name)
	if len(s.lower) < 64 {
		if s.lower == nil {
			s.lower = map[string]string{}
		}
		s.lower[strings.Clone(name)] = l
	}
	return l
}

func (s *ldifScanner) markIncomplete(reason string) {
	if s.incomplete == "" {
		s.incomplete = reason
	}
}

func (s *ldifScanner) physical(l string) error {
	if strings.HasPrefix(l, " ") {
		if s.logicalLine == 0 {
			return &ParseError{File: s.name, Line: s.line, Err: errors.New("continuation line without a line to continue")}
		}
		if !s.comment {
			if s.logical.Len()+len(l)-1 > maxLine {
				// Folding must not build an unbounded value either.
				return &ParseError{File: s.name, Line: s.logicalLine, Err: lineTooLong()}
			}
			s.logical.WriteString(l[1:])
		}
		return nil
	}
	if err := s.endLogical(); err != nil {
		return err
	}
	if l == "" {
		return s.endRecord()
	}
	s.logicalLine = s.line
	s.comment = strings.HasPrefix(l, "#")
	s.logical.Reset()
	if !s.comment {
		s.logical.WriteString(l)
	}
	return nil
}

func (s *ldifScanner) endLogical() error {
	if s.logicalLine == 0 {
		return nil
	}
	line, text, comment := s.logicalLine, s.logical.String(), s.comment
	s.logicalLine, s.comment = 0, false
	s.logical.Reset()
	if comment {
		return nil
	}
	return s.attrLine(line, text)
}

func (s *ldifScanner) attrLine(line int, text string) error {
	i := strings.IndexByte(text, ':')
	if i <= 0 {
		if text == "-" && s.inRecord {
			return nil // modify-record separator
		}
		return &ParseError{File: s.name, Line: line, Err: fmt.Errorf("want \"attribute: value\", got %q", clip(text))}
	}
	attr, rest := text[:i], text[i+1:]
	var value string
	switch {
	case strings.HasPrefix(rest, ":"):
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest[1:]))
		if err != nil {
			return &ParseError{File: s.name, Line: line, Err: fmt.Errorf("base64 value of %s: %w", attr, err)}
		}
		value = string(b)
	case strings.HasPrefix(rest, "<"):
		s.warn(line, "URL value of %s not read", attr)
		return nil
	default:
		value = strings.TrimLeft(rest, " ")
	}
	base, opts, _ := strings.Cut(attr, ";")
	lower := s.lowerName(base)

	if !s.inRecord {
		switch lower {
		case "version", "search", "control", "pagedresults", "text", "matcheddn":
			return nil
		case "result":
			if v := strings.TrimSpace(value); !strings.HasPrefix(v, "0 ") && v != "0" {
				s.warn(line, "the export ended with result %q: entries are missing", v)
				s.markIncomplete("ldapsearch result " + v)
			}
			return nil
		case "ref":
			s.warn(line, "search reference %s was not followed: entries under it are missing", value)
			s.markIncomplete("unfollowed search reference " + value)
			return nil
		case "dn":
			s.inRecord, s.skip, s.recLine = true, false, line
			s.acct = Account{SPNs: s.acct.SPNs[:0]}
			s.acct.DN = value
			return nil
		}
		return &ParseError{File: s.name, Line: line, Err: fmt.Errorf("record must start with dn:, got %q", clip(attr))}
	}
	if s.skip {
		return nil
	}
	if lower == "changetype" {
		if ct := strings.ToLower(strings.TrimSpace(value)); ct != "add" {
			s.warn(line, "changetype %s record for %q skipped", ct, clip(s.acct.DN))
			s.skip = true
		}
		return nil
	}
	if lower == "dn" {
		return &ParseError{File: s.name, Line: line, Err: errors.New("second dn: in one record (missing blank line?)")}
	}
	if opts != "" && strings.Contains(strings.ToLower(opts), "range=") {
		s.warn(line, "%s has a ranged (truncated) value list; re-export with a larger MaxValRange", base)
		s.markIncomplete(base + " values of " + s.acct.DN + " are ranged (truncated)")
	}
	if !utf8.ValidString(value) {
		value = strings.ToValidUTF8(value, "\uFFFD")
	}
	switch lower {
	case "objectclass":
		// objectClass is multi-valued: accumulate, kind = most specific.
		if k := KindFromObjectClass([]string{value}); k > s.acct.Kind {
			s.acct.Kind = k
		}
		return nil
	}
	if lower == "msds-supportedencryptiontypes" {
		s.encSeen = true
	}
	s.valueBuf = append(s.valueBuf[:0], value)
	if err := s.acct.SetAttribute(lower, s.valueBuf); err != nil {
		return &ParseError{File: s.name, Line: line, Err: err}
	}
	return nil
}

func (s *ldifScanner) endRecord() error {
	if !s.inRecord {
		return nil
	}
	s.inRecord = false
	s.records++
	if s.skip {
		return nil
	}
	if err := s.ctx.Err(); err != nil {
		return &IncompleteError{Reason: fmt.Sprintf("LDIF scan of %s stopped at line %d", s.name, s.recLine), Err: err}
	}
	s.acct.SetDomain("")
	s.acct.EncTypesUnknown = !s.encSeen && !s.acct.EncTypesSet
	return s.fn(&s.acct)
}
