package textenc

import (
	"bytes"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestLineReaderLongLine(t *testing.T) {
	const limit = 1 << 20
	in := io.MultiReader(strings.NewReader("one\r\ntwo\n"), &testenv.Endless{N: 3 << 20, B: 'a'}, strings.NewReader("\nthree"))
	lr := NewLineReader(in, limit)
	var got []string
	for lr.Scan() {
		if lr.Long() {
			if len(lr.Bytes()) != limit || lr.Line() != 3 {
				t.Fatalf("long line: %d bytes kept, line %d", len(lr.Bytes()), lr.Line())
			}
			got = append(got, "LONG")
			continue
		}
		got = append(got, string(lr.Bytes()))
	}
	if lr.Err() != nil || strings.Join(got, "|") != "one\r|two|LONG|three" || lr.Line() != 4 {
		t.Fatalf("lines %q, line %d, err %v", got, lr.Line(), lr.Err())
	}
	// Exactly the limit is not long; the final line without a line feed counts.
	lr = NewLineReader(strings.NewReader(strings.Repeat("b", 10)+"\n"+strings.Repeat("c", 11)), 10)
	if !lr.Scan() || lr.Long() || !lr.Scan() || !lr.Long() || lr.Scan() || lr.Err() != nil {
		t.Fatal("limit boundary")
	}
}

// A rejected line is never read past the limit, and a skipped one is never
// held: memory stays near the limit whatever the line's length.
func TestLineReaderMemory(t *testing.T) {
	const limit = 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	src := &testenv.Endless{N: 64 << 20, B: 'a'}
	lr := NewLineReader(src, limit)
	if !lr.Scan() || !lr.Long() {
		t.Fatal("no long line")
	}
	if read := 64<<20 - src.N; read > limit+lineChunk {
		t.Errorf("read %d bytes before reporting the long line", read)
	}
	if lr.Scan() || lr.Err() != nil { // drops the rest: 63 MiB
		t.Fatal("more lines")
	}
	runtime.ReadMemStats(&after)
	if a := after.TotalAlloc - before.TotalAlloc; a > 8<<20 {
		t.Errorf("allocated %d bytes for a 64 MiB line", a)
	}
}

// The UTF-16 decoder gives the same text whatever the read sizes.
func TestUTF16ReaderChunking(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 200 {
		var units []uint16
		for range rng.Intn(3000) {
			switch rng.Intn(6) {
			case 0:
				units = append(units, uint16(0xD800+rng.Intn(0x800))) // lone or paired surrogates
			case 1:
				units = append(units, uint16(rng.Intn(0x10000)))
			default:
				units = append(units, uint16('a'+rng.Intn(26)))
			}
		}
		want := string(utf16.Decode(units))
		raw := []byte{0xFF, 0xFE}
		for _, u := range units {
			raw = append(raw, byte(u), byte(u>>8))
		}
		for _, wrap := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, func(r io.Reader) io.Reader { return r }} {
			r, enc, err := NewReader(wrap(bytes.NewReader(raw)))
			if err != nil || enc != UTF16LE {
				t.Fatal(enc, err)
			}
			var got bytes.Buffer
			if _, err := got.ReadFrom(iotest.OneByteReader(r)); err != nil {
				t.Fatal(err)
			}
			if got.String() != want {
				t.Fatalf("decoded %q, want %q", got.String(), want)
			}
		}
	}
}

// Reading twice the input takes about twice the time.
func TestLineReaderLinear(t *testing.T) {
	testenv.CheckLinear(t, "LineReader", 8, func(n int) func() {
		line := strings.Repeat("x", 2<<20) + "\n" + strings.Repeat("short\n", 1000)
		in := strings.Repeat(line, n)
		return func() {
			lr := NewLineReader(strings.NewReader(in), 1<<20)
			for lr.Scan() {
			}
		}
	})
}
