package iisconfig

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// source keeps what Line needs: the (password-redacted) bytes and the tree.
// The element-to-line table is built on the first Line call only.
type source struct {
	data []byte
	doc  *etree.Document

	once  sync.Once
	index map[*etree.Element]int32 // element -> document-order number
	lines []int32                  // document-order number -> 1-based line
}

func passthroughCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }

func newScanner(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = passthroughCharset
	return d
}

func (s *source) build() {
	// Number elements in document order (pre-order), as etree built them.
	s.index = map[*etree.Element]int32{}
	var n int32
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, tok := range e.Child {
			ch, ok := tok.(*etree.Element)
			if !ok {
				continue
			}
			s.index[ch] = n
			n++
			walk(ch)
		}
	}
	walk(&s.doc.Element)
	// Find each start tag's offset with the same tokenizer etree uses.
	d := newScanner(s.data)
	line, pos := int32(1), 0
	for {
		off := int(d.InputOffset())
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		if _, ok := tok.(xml.StartElement); ok {
			line += int32(bytes.Count(s.data[pos:off], []byte{'\n'}))
			pos = off
			s.lines = append(s.lines, line)
		}
	}
}

// Line returns the 1-based line of the element l identifies, or 0 for the
// zero Locator. The first call builds a table for the whole document (one
// extra tokenizer pass); later calls are map lookups.
//
// Locators of elements of an attached web.config ([Config.WithWebConfigs])
// resolve to lines of that file.
func (c *Config) Line(l Locator) int {
	if l.el == nil {
		return 0
	}
	src, _ := c.sourceOf(l)
	if src == nil {
		return 0
	}
	src.once.Do(src.build)
	i, ok := src.index[l.el]
	if !ok || int(i) >= len(src.lines) {
		return 0
	}
	return int(src.lines[i])
}

// sourceOf returns the source holding l's element and the name to cite it
// by: an attached web.config's, else the applicationHost.config's.
func (c *Config) sourceOf(l Locator) (*source, string) {
	if len(c.web) > 0 && l.el != nil {
		root := l.el
		for root.Parent() != nil {
			root = root.Parent()
		}
		for _, w := range c.web {
			if w.src != nil && &w.src.doc.Element == root {
				return w.src, w.Name
			}
		}
	}
	return c.src, c.FileName()
}

// FileName returns the base name of the source ("applicationHost.config" when
// the Config was parsed without a name).
func (c *Config) FileName() string {
	name := c.Name
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return "applicationHost.config"
	}
	return name
}

// Position returns "file:line" for l ("applicationHost.config:412"), or the
// file name alone for the zero Locator.
//
// An element of an attached web.config is cited by the name given to
// [ParseWebConfig].
func (c *Config) Position(l Locator) string {
	_, name := c.sourceOf(l)
	if n := c.Line(l); n > 0 {
		return name + ":" + strconv.Itoa(n)
	}
	return name
}

// Describe renders an origin for a report:
// `applicationHost.config:412 (location "Default Web Site/Altiris")`,
// `applicationHost.config:880 (server level)`, `schema default`, or for a
// web.config `webconfig/Default Web Site/app/web.config:7 (web.config for
// "Default Web Site/app")`.
func (c *Config) Describe(o Origin) string {
	switch o.Kind {
	case SchemaDefault:
		return "schema default"
	case ServerLevel:
		if o.LocationPath != "" {
			return c.Position(o.Locator) + " (server level, location " + strconv.Quote(o.LocationPath) + ")"
		}
		return c.Position(o.Locator) + " (server level)"
	case Location:
		return c.Position(o.Locator) + " (location " + strconv.Quote(o.LocationPath) + ")"
	case WebConfigFile:
		return c.Position(o.Locator) + " (web.config for " + strconv.Quote(o.LocationPath) + ")"
	}
	return "unknown origin"
}

// errorPosition re-tokenizes data to find where parsing fails, mirroring
// etree's checks (tokenizer errors, mismatched end tags, unclosed elements,
// depth). It runs only on the error path.
func errorPosition(data []byte) (line int, offset int64) {
	d := newScanner(data)
	var stack []xml.Name
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			if se, ok := err.(*xml.SyntaxError); ok {
				return se.Line, d.InputOffset()
			}
			if err == io.EOF && len(stack) == 0 {
				return 0, -1
			}
			off = d.InputOffset()
			return lineAt(data, off), off
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name)
			if len(stack) > MaxConfigDepth {
				return lineAt(data, off), off
			}
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != t.Name {
				return lineAt(data, off), off
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// firstElementPosition returns the position of the first element (or 1, 0).
func firstElementPosition(data []byte) (int, int64) {
	d := newScanner(data)
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			return 1, 0
		}
		if _, ok := tok.(xml.StartElement); ok {
			return lineAt(data, off), off
		}
	}
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}
