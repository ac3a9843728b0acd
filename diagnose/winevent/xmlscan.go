package winevent

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"
)

// xscan is a small, lenient XML tokenizer for event exports. It reads each
// byte once (time linear in the input), stores at most limit bytes of any one
// token (memory bounded), never expands DTD entities (no entity bombs, no
// external entities), accepts any XML version declaration (python-evtx writes
// 1.1), single or double quotes, and character data outside the root element
// (the "- " collapse markers of XML copied from Internet Explorer).
type xscan struct {
	br    *bufio.Reader
	off   int64 // bytes consumed
	line  int   // 1-based
	col   int   // 0-based column of the next byte
	limit int
	ioErr error

	tok xtok
}

type tokKind int

const (
	tEOF tokKind = iota
	tStart
	tEnd
	tText
)

type xattr struct{ name, value string }

type xtok struct {
	kind      tokKind
	name      string // local name (prefix removed)
	attrs     []xattr
	selfClose bool
	text      []byte
	truncated bool
	line, col int
	off       int64
}

func newXScan(br *bufio.Reader, limit int) *xscan {
	return &xscan{br: br, line: 1, limit: limit}
}

func (s *xscan) pos() (int, int, int64) { return s.line, s.col + 1, s.off }

func (s *xscan) errf(line, col int, off int64, msg string) error {
	return &SyntaxError{Line: line, Col: col, Offset: off, Msg: msg}
}

func (s *xscan) advance(c byte) {
	s.off++
	if c == '\n' {
		s.line++
		s.col = 0
	} else {
		s.col++
	}
}

// get consumes one byte; ok is false at end of input or on a read error
// (kept in ioErr).
func (s *xscan) get() (byte, bool) {
	c, err := s.br.ReadByte()
	if err != nil {
		if err != io.EOF {
			s.ioErr = err
		}
		return 0, false
	}
	s.advance(c)
	return c, true
}

func (s *xscan) peek() (byte, bool) {
	b, err := s.br.Peek(1)
	if err != nil || len(b) == 0 {
		if err != nil && err != io.EOF {
			s.ioErr = err
		}
		return 0, false
	}
	return b[0], true
}

// hasPrefix reports whether the unread input starts with p (len(p) is small).
func (s *xscan) hasPrefix(p string) bool {
	b, _ := s.br.Peek(len(p))
	return string(b) == p
}

func (s *xscan) discard(n int) {
	for i := 0; i < n; i++ {
		if _, ok := s.get(); !ok {
			return
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *xscan) skipSpace() {
	for {
		c, ok := s.peek()
		if !ok || !isSpace(c) {
			return
		}
		s.get()
	}
}

// skipPast consumes input up to and including term; false at end of input.
func (s *xscan) skipPast(term string) bool {
	m := 0
	for {
		c, ok := s.get()
		if !ok {
			return false
		}
		m = step(term, m, c)
		if m == len(term) {
			return true
		}
	}
}

// step advances a matcher of term that has matched m bytes by c: the result
// is the length of the longest prefix of term that is a suffix of the input.
func step(term string, m int, c byte) int {
	if term[m] == c {
		return m + 1
	}
	// Try shorter borders of term[:m]+c (terms are 2-3 bytes: brute force).
	for k := m; k > 0; k-- {
		if term[k-1] == c && term[:k-1] == term[m-k+1:m] {
			return k
		}
	}
	return 0
}

func (s *xscan) appendLimited(buf []byte, truncated *bool, b ...byte) []byte {
	if len(buf)+len(b) > s.limit {
		*truncated = true
		return buf
	}
	return append(buf, b...)
}

// entity decodes the character or predefined entity reference whose '&' was
// just consumed, if the input holds a well-formed one; otherwise it returns
// "&" and consumes nothing more (lenient: a literal ampersand).
func (s *xscan) entity() []byte {
	b, _ := s.br.Peek(12)
	end := -1
	for i, c := range b {
		if c == ';' {
			end = i
			break
		}
	}
	if end <= 0 {
		return []byte{'&'}
	}
	name := string(b[:end])
	var r rune = -1
	switch name {
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "amp":
		r = '&'
	case "quot":
		r = '"'
	case "apos":
		r = '\''
	default:
		if len(name) > 1 && name[0] == '#' {
			var v uint64
			var err error
			if name[1] == 'x' || name[1] == 'X' {
				v, err = strconv.ParseUint(name[2:], 16, 32)
			} else {
				v, err = strconv.ParseUint(name[1:], 10, 32)
			}
			if err == nil && v <= utf8.MaxRune {
				r = rune(v)
			}
		}
	}
	if r < 0 {
		return []byte{'&'}
	}
	s.discard(end + 1)
	return utf8.AppendRune(nil, r)
}

// readName reads an XML name (anything up to white space, '/', '>', '=',
// '<' or a quote), storing at most 256 bytes, and returns its local part.
func (s *xscan) readName() string {
	var buf [256]byte
	n := 0
	for {
		c, ok := s.peek()
		if !ok || isSpace(c) || c == '/' || c == '>' || c == '=' || c == '<' || c == '"' || c == '\'' || c == '?' {
			break
		}
		s.get()
		if n < len(buf) {
			buf[n] = c
			n++
		}
	}
	name := buf[:n]
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == ':' {
			name = name[i+1:]
			break
		}
	}
	return string(name)
}

// next returns the next token. Character data is returned only when keep is
// true (else it is consumed and dropped); entity references in kept text and
// in attribute values are decoded.
func (s *xscan) next(keep bool) (*xtok, error) {
	t := &s.tok
	for {
		t.kind, t.name, t.attrs, t.selfClose, t.text, t.truncated = tEOF, "", t.attrs[:0], false, t.text[:0], false
		t.line, t.col, t.off = s.pos()
		c, ok := s.peek()
		if !ok {
			if s.ioErr != nil {
				return nil, s.ioErr
			}
			return t, nil
		}
		if c != '<' {
			for {
				c, ok := s.peek()
				if !ok || c == '<' {
					break
				}
				s.get()
				if !keep {
					continue
				}
				if c == '&' {
					t.text = s.appendLimited(t.text, &t.truncated, s.entity()...)
				} else {
					t.text = s.appendLimited(t.text, &t.truncated, c)
				}
			}
			if keep && len(t.text) > 0 {
				t.kind = tText
				return t, nil
			}
			continue
		}
		s.get() // '<'
		c, ok = s.peek()
		if !ok {
			return nil, s.errf(t.line, t.col, t.off, "input ends after '<'")
		}
		switch {
		case c == '?':
			if !s.skipPast("?>") {
				return nil, s.errf(t.line, t.col, t.off, "unterminated processing instruction <?...")
			}
			continue
		case c == '!':
			s.get()
			switch {
			case s.hasPrefix("--"):
				s.discard(2)
				if !s.skipPast("-->") {
					return nil, s.errf(t.line, t.col, t.off, "unterminated comment <!--")
				}
				continue
			case s.hasPrefix("[CDATA["):
				s.discard(7)
				m := 0
				for m < 3 {
					c, ok := s.get()
					if !ok {
						return nil, s.errf(t.line, t.col, t.off, "unterminated <![CDATA[ section")
					}
					m = step("]]>", m, c)
					if keep {
						t.text = s.appendLimited(t.text, &t.truncated, c)
					}
				}
				if n := len(t.text); n >= 3 && string(t.text[n-3:]) == "]]>" {
					t.text = t.text[:n-3]
				}
				if keep && len(t.text) > 0 {
					t.kind = tText
					return t, nil
				}
				continue
			default:
				// <!DOCTYPE ...> or another declaration: skipped, internal
				// subset included; entities declared there are not expanded.
				depth := 0
				var quote byte
				for {
					c, ok := s.get()
					if !ok {
						return nil, s.errf(t.line, t.col, t.off, "unterminated <! declaration")
					}
					switch {
					case quote != 0:
						if c == quote {
							quote = 0
						}
					case c == '"' || c == '\'':
						quote = c
					case c == '[':
						depth++
					case c == ']':
						depth--
					case c == '>' && depth <= 0:
						goto next
					}
				}
			next:
				continue
			}
		case c == '/':
			s.get()
			t.kind = tEnd
			t.name = s.readName()
			s.skipSpace()
			if c, ok := s.get(); !ok || c != '>' {
				return nil, s.errf(t.line, t.col, t.off, "malformed end tag </"+t.name)
			}
			return t, nil
		case isSpace(c) || c == '>' || c == '<' || c == '=' || c == '"' || c == '\'':
			return nil, s.errf(t.line, t.col, t.off, "'<' not followed by a tag name")
		}
		t.kind = tStart
		t.name = s.readName()
		stored := len(t.name)
		for {
			s.skipSpace()
			c, ok := s.get()
			if !ok {
				return nil, s.errf(t.line, t.col, t.off, "input ends inside tag <"+t.name)
			}
			if c == '>' {
				return t, nil
			}
			if c == '/' {
				if c, ok := s.get(); !ok || c != '>' {
					return nil, s.errf(t.line, t.col, t.off, "malformed empty-element tag <"+t.name)
				}
				t.selfClose = true
				return t, nil
			}
			if c == '<' {
				return nil, s.errf(s.line, s.col, s.off, "'<' inside tag <"+t.name)
			}
			// Attribute: name, '=', quoted (or, leniently, bare) value.
			s.br.UnreadByte()
			s.off--
			s.col--
			aname := s.readName()
			if aname == "" {
				s.get()
				return nil, s.errf(s.line, s.col, s.off, "malformed attribute in tag <"+t.name)
			}
			s.skipSpace()
			val := ""
			if c, ok := s.peek(); ok && c == '=' {
				s.get()
				s.skipSpace()
				q, ok := s.get()
				if !ok {
					return nil, s.errf(t.line, t.col, t.off, "input ends inside tag <"+t.name)
				}
				var vb []byte
				trunc := false
				if q == '"' || q == '\'' {
					for {
						c, ok := s.get()
						if !ok {
							return nil, s.errf(t.line, t.col, t.off, "unterminated attribute value in tag <"+t.name)
						}
						if c == q {
							break
						}
						if c == '<' {
							return nil, s.errf(s.line, s.col, s.off, "'<' in attribute value in tag <"+t.name)
						}
						if c == '&' {
							vb = s.appendLimited(vb, &trunc, s.entity()...)
						} else {
							vb = s.appendLimited(vb, &trunc, c)
						}
					}
				} else {
					vb = append(vb, q)
					for {
						c, ok := s.peek()
						if !ok || isSpace(c) || c == '>' || c == '/' {
							break
						}
						s.get()
						vb = s.appendLimited(vb, &trunc, c)
					}
				}
				val = string(vb)
			}
			stored += len(aname) + len(val)
			if stored <= s.limit && len(t.attrs) < 64 {
				t.attrs = append(t.attrs, xattr{aname, val})
			}
		}
	}
}
