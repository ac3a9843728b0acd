package textenc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func enc16(s string, le, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		if le {
			b.Write([]byte{0xFF, 0xFE})
		} else {
			b.Write([]byte{0xFE, 0xFF})
		}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if le {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		} else {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		}
	}
	return b.Bytes()
}

func TestNewReader(t *testing.T) {
	text := "Registered ServicePrincipalNames for CN=WEB01,OU=Servers,DC=corp,DC=example:\r\n\tHTTP/web01.corp.example\r\n\tHOST/WEB01 — é 😀\r\n"
	cases := []struct {
		name string
		in   []byte
		want Encoding
	}{
		{"utf8", []byte(text), UTF8},
		{"utf8bom", append([]byte{0xEF, 0xBB, 0xBF}, text...), UTF8BOM},
		{"utf16le-bom", enc16(text, true, true), UTF16LE},
		{"utf16be-bom", enc16(text, false, true), UTF16BE},
		{"utf16le-nobom", enc16(text, true, false), UTF16LE},
		{"utf16be-nobom", enc16(text, false, false), UTF16BE},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, e, err := NewReader(bytes.NewReader(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if e != c.want {
				t.Errorf("encoding %v, want %v", e, c.want)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != text {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestOddAndSurrogates(t *testing.T) {
	in := append(enc16("ab", true, true), 'c')
	r, _, _ := NewReader(bytes.NewReader(in))
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrOddLength) || string(got) != "ab" {
		t.Fatalf("got %q, %v", got, err)
	}
	// unpaired high surrogate followed by a letter
	in = []byte{0xFF, 0xFE, 0x3D, 0xD8, 'x', 0}
	r, _, _ = NewReader(bytes.NewReader(in))
	got, _ = io.ReadAll(r)
	if string(got) != "\uFFFDx" {
		t.Fatalf("got %q", got)
	}
}

func TestReadAllLimit(t *testing.T) {
	s, _, err := ReadAll(strings.NewReader("hello"), 5)
	if err != nil || s != "hello" {
		t.Fatal(s, err)
	}
	if _, _, err := ReadAll(strings.NewReader("hello!"), 5); !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
}

func FuzzNewReader(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add([]byte("plain"))
	f.Add(enc16("wide text", true, true))
	f.Add([]byte{0xFE, 0xFF, 0xD8})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		out, _ := io.ReadAll(r)
		if len(out) > 3*len(b)+8 {
			t.Fatalf("output %d bytes from %d", len(out), len(b))
		}
	})
}
