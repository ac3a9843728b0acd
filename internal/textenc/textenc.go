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

// utf16Reader transcodes UTF-16 to UTF-8 as it reads.
type utf16Reader struct {
	r    *bufio.Reader
	le   bool
	pend []byte // encoded UTF-8 not yet returned
	hi   rune   // pending high surrogate, or 0
	err  error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(u.pend) > 0 {
			c := copy(p[n:], u.pend)
			u.pend = u.pend[c:]
			n += c
			continue
		}
		if u.err != nil {
			break
		}
		var b [2]byte
		k, err := io.ReadFull(u.r, b[:])
		if err != nil {
			if u.hi != 0 {
				u.emit(utf8.RuneError)
				u.hi = 0
			}
			if errors.Is(err, io.ErrUnexpectedEOF) || (k == 1) {
				u.err = ErrOddLength
			} else {
				u.err = err
			}
			continue
		}
		var cu uint16
		if u.le {
			cu = uint16(b[0]) | uint16(b[1])<<8
		} else {
			cu = uint16(b[1]) | uint16(b[0])<<8
		}
		r := rune(cu)
		switch {
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
		// Return promptly once something is buffered and the caller's
		// buffer has data, so small reads do not block on more input.
		if n > 0 && u.r.Buffered() == 0 {
			break
		}
	}
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}

func (u *utf16Reader) emit(r rune) {
	u.pend = utf8.AppendRune(u.pend, r)
}

// ReadAll reads all of r as text with NewReader and returns it as a string.
// limit bounds the UTF-8 size; a larger input yields an error that wraps
// ErrTooLarge rather than a silently truncated text.
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
