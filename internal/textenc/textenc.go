// Package textenc turns evidence files as Windows writes them into UTF-8 text.
//
// Customers send setspn, klist and log output saved by cmd.exe (the OEM or ANSI
// code page, usually ASCII for this content), by PowerShell redirection
// (UTF-16LE with a byte-order mark) or by editors (UTF-8, with or without a
// BOM). [NewReader] detects the encoding from the first bytes and returns a
// reader of UTF-8; line endings are left alone (parsers trim a trailing \r).
package textenc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding names what NewReader detected.
type Encoding int

// Encodings NewReader recognises.
const (
	UTF8    Encoding = iota // UTF-8 or ASCII without a byte-order mark
	UTF8BOM                 // UTF-8 with a byte-order mark (EF BB BF)
	UTF16LE                 // UTF-16 little-endian (with FF FE, or detected from NUL bytes)
	UTF16BE                 // UTF-16 big-endian (with FE FF, or detected from NUL bytes)
)

func (e Encoding) String() string {
	switch e {
	case UTF8BOM:
		return "UTF-8 with BOM"
	case UTF16LE:
		return "UTF-16LE"
	case UTF16BE:
		return "UTF-16BE"
	}
	return "UTF-8"
}

// ErrOddLength reports UTF-16 input that ends in the middle of a code unit.
var ErrOddLength = errors.New("textenc: UTF-16 input ends with an odd byte")

// NewReader returns a reader that yields the UTF-8 text of r and the encoding
// it detected. Detection looks at a byte-order mark, or, without one, at NUL
// bytes in the first bytes (text evidence never contains NUL). Invalid UTF-16
// (unpaired surrogates) becomes U+FFFD, as does invalid UTF-8 left as is.
func NewReader(r io.Reader) (io.Reader, Encoding, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, UTF8, fmt.Errorf("textenc: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br, UTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br, le: true}, UTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br}, UTF16BE, nil
	}
	if len(head) >= 2 {
		var evenNUL, oddNUL int
		for i, b := range head {
			if b == 0 {
				if i%2 == 0 {
					evenNUL++
				} else {
					oddNUL++
				}
			}
		}
		half := len(head) / 2
		if oddNUL > half/2 && evenNUL*4 < oddNUL {
			return &utf16Reader{r: br, le: true}, UTF16LE, nil
		}
		if evenNUL > half/2 && oddNUL*4 < evenNUL {
			return &utf16Reader{r: br}, UTF16BE, nil
		}
	}
	return br, UTF8, nil
}

// utf16Reader transcodes UTF-16 to UTF-8 as it reads. It decodes what its
// bufio.Reader holds (at most 4 KiB) at a time, so it holds no more than
// that whatever the input.
type utf16Reader struct {
	r    *bufio.Reader
	le   bool
	pend []byte // encoded UTF-8 not yet returned: pend[off:]
	off  int
	hi   rune // pending high surrogate, or 0
	err  error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if u.off < len(u.pend) {
			c := copy(p[n:], u.pend[u.off:])
			u.off += c
			n += c
			continue
		}
		u.pend, u.off = u.pend[:0], 0
		if u.err != nil {
			break
		}
		if u.r.Buffered() < 2 {
			if n > 0 {
				break // return what is decoded rather than wait for input
			}
			if _, err := u.r.Peek(2); err != nil {
				k := u.r.Buffered()
				_, _ = u.r.Discard(k)
				if u.hi != 0 {
					u.emit(utf8.RuneError)
					u.hi = 0
				}
				if k == 1 {
					u.err = ErrOddLength
				} else {
					u.err = err
				}
				continue
			}
		}
		b, _ := u.r.Peek(u.r.Buffered() &^ 1)
		for i := 0; i+1 < len(b); i += 2 {
			var cu uint16
			if u.le {
				cu = uint16(b[i]) | uint16(b[i+1])<<8
			} else {
				cu = uint16(b[i+1]) | uint16(b[i])<<8
			}
			u.unit(rune(cu))
		}
		_, _ = u.r.Discard(len(b))
	}
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}

// unit decodes one UTF-16 code unit.
func (u *utf16Reader) unit(r rune) {
	switch {
	case r < 0x80 && u.hi == 0:
		u.pend = append(u.pend, byte(r))
	case utf16.IsSurrogate(r) && r < 0xDC00: // high surrogate
		if u.hi != 0 {
			u.emit(utf8.RuneError)
		}
		u.hi = r
	case utf16.IsSurrogate(r): // low surrogate
		if u.hi != 0 {
			u.emit(utf16.DecodeRune(u.hi, r))
			u.hi = 0
		} else {
			u.emit(utf8.RuneError)
		}
	default:
		if u.hi != 0 {
			u.emit(utf8.RuneError)
			u.hi = 0
		}
		u.emit(r)
	}
}

func (u *utf16Reader) emit(r rune) {
	u.pend = utf8.AppendRune(u.pend, r)
}

// ReadAll reads all of r as text with NewReader and returns it as a string.
// It is the one function of this package that holds a whole input: limit
// bounds the UTF-8 size (at most limit+1 bytes are ever read), and a larger
// input yields an error that wraps ErrTooLarge rather than a silently
// truncated text. Line-oriented readers use [LineReader] instead.
func ReadAll(r io.Reader, limit int64) (string, Encoding, error) {
	tr, enc, err := NewReader(r)
	if err != nil {
		return "", enc, err
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(tr, limit+1))
	if err != nil {
		return "", enc, fmt.Errorf("textenc: %w", err)
	}
	if n > limit {
		return "", enc, fmt.Errorf("textenc: text larger than %d bytes: %w", limit, ErrTooLarge)
	}
	return buf.String(), enc, nil
}

// ErrTooLarge reports input beyond the caller's limit.
var ErrTooLarge = errors.New("input too large")

// LineReader splits UTF-8 text (such as [NewReader] returns) into lines and
// keeps at most a fixed number of bytes of any line. Scan returns a longer
// line as soon as it has read one byte past the limit, marked
// [LineReader.Long]; the next Scan drops the rest of that line unread into
// memory. A caller that rejects the line stops there; one that skips it
// calls Scan again. Input without line breaks thus costs at most the limit
// in memory and time linear in the bytes read. Unlike bufio.Scanner it never
// fails with bufio.ErrTooLong: the caller decides what an over-long line
// means.
type LineReader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	n    int // bytes of the current line read, without its line feed
	line int
	skip bool  // the current line is long: drop its rest before the next
	err  error // sticky: io.EOF or a read error
}

// lineChunk is the read buffer of a LineReader; it matches NewReader's, so
// UTF-8 input is not buffered twice.
const lineChunk = 4096

// NewLineReader returns a LineReader over r that keeps at most limit bytes
// of a line (limit < 1 means 1).
func NewLineReader(r io.Reader, limit int) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, lineChunk), max: max(limit, 1)}
}

// Scan advances to the next line and reports whether there is one: a final
// line without a line feed counts, an empty input has none. After false,
// Err tells whether the input ended or failed.
func (l *LineReader) Scan() bool {
	for l.skip && l.err == nil {
		_, err := l.br.ReadSlice('\n')
		switch {
		case err == nil:
			l.skip = false
		case !errors.Is(err, bufio.ErrBufferFull):
			l.err = err
		}
	}
	l.skip = false
	if l.err != nil {
		return false
	}
	l.buf, l.n = l.buf[:0], 0
	for {
		b, err := l.br.ReadSlice('\n')
		if err == nil {
			b = b[:len(b)-1]
		}
		room := l.max - len(l.buf)
		if len(b) > room {
			// One byte past the limit marks the line long; the rest of
			// what was read is dropped, and the rest of the line later.
			l.buf = append(l.buf, b[:room]...)
			l.n = l.max + 1
			l.line++
			l.skip = err != nil
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				l.err, l.skip = err, false
			}
			return true
		}
		l.buf = append(l.buf, b...)
		l.n = len(l.buf)
		switch {
		case err == nil:
			l.line++
			return true
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		}
		l.err = err
		if l.n > 0 {
			l.line++
			return true
		}
		return false
	}
}

// Bytes returns the current line without its line feed (a carriage return
// before it is kept), cut to the first max bytes when [LineReader.Long]. It
// is valid until the next Scan.
func (l *LineReader) Bytes() []byte { return l.buf }

// Long reports whether the current line is longer than max bytes; Bytes
// then holds only its first max bytes, and the rest of the line is never
// kept.
func (l *LineReader) Long() bool { return l.n > l.max }

// Line returns the 1-based number of the current line (0 before the first
// Scan); after Scan returns false it is the number of the last line.
func (l *LineReader) Line() int { return l.line }

// Err returns the error that ended the input, or nil at its normal end.
func (l *LineReader) Err() error {
	if errors.Is(l.err, io.EOF) {
		return nil
	}
	return l.err
}

// IsASCII reports whether s holds only 7-bit ASCII bytes, for which
// lower-casing byte by byte is what strings.ToLower and strings.EqualFold do.
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
