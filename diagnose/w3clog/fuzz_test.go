package w3clog

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// FuzzAnalyze feeds arbitrary bytes to both paths: neither may panic, both
// must agree on the error, and on success produce the same summary, in
// which every non-empty line is a directive, a request or reported.
func FuzzAnalyze(f *testing.F) {
	testenv.ShortFuzzMinimize()
	// Small chunks: small inputs cross many chunk boundaries, and small
	// inputs keep each execution and the minimization of new inputs fast.
	defer func(m int64) { minChunkSize = m }(minChunkSize)
	minChunkSize = 61
	testenv.ShortFuzzMinimize()
	f.Add([]byte(handLog))
	f.Add([]byte("#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n1 /a 401 1 2148074254\n1 /a 200 0 0\n"))
	f.Add([]byte("#Fields:\n#Fields: sc-status\n401\n-\n99999999999\n"))
	f.Add([]byte("<event date='x'><![CDATA[y]]></event>\n"))
	f.Add([]byte{0xFF, 0xFE, '#', 0, 'F', 0})
	// Cut last lines: in the last field, with only the "\n" lost, a bad
	// win32 status.
	f.Add([]byte("#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n1 /a 401 1 2148074254\n1 /a 200 0 0\n1 /a 401 1 21480"))
	f.Add([]byte("#Fields: c-ip sc-status sc-win32-status\r\n1 401 -7\r\n1 200 0\r"))
	data, _ := generate(f, gen.Config{Seed: 5, Size: 1200, HeaderEvery: 400, GarbleEvery: 10, Layouts: [][]string{gen.Default, gen.Odd}})
	f.Add(data)
	// What customers paste: the real-world files (testdata/realworld),
	// headerless excerpts crossing chunk boundaries with field set
	// changes, blanks around lines, template placeholders.
	files, _ := filepath.Glob("testdata/realworld/*.log")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	data, _ = generate(f, gen.Config{Seed: 6, Size: 1200, HeaderEvery: 400, GarbleEvery: 10, NoHeader: true, Layouts: [][]string{gen.Default, gen.NoReferer, gen.IIS6}})
	f.Add(data)
	f.Add([]byte(" #Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status \n 1 /a 401 1 2148074254  \n\t1 /a 200 0 0\t\n"))
	f.Add([]byte("#Fields: date time c-ip sc-status\nDate Time IP 401\n2026-11-24 09:00:00 IP 401\n"))
	f.Add([]byte("\n\n2026-11-24 09:00:00 10.0.0.1 GET / - 80 - ::1 - - 401 1 2148074254 1\n2026-11-24 09:00:00 10.0.0.1 GET / - 80 u ::1 - 200 0 0\n#Fields: sc-status\n401"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, err := stream(t, "f", in, &Options{HandshakeWindow: 3})
		// The parallel path of AnalyzeFile, on the bytes in memory (no
		// file per execution: the fuzzer stays fast).
		a := NewAnalyzer(&Options{HandshakeWindow: 3, ChunkSize: int64(61 + 256*(len(in)%3)), Workers: 2})
		err2 := a.AddReaderAt(context.Background(), "f", bytes.NewReader(in), int64(len(in)))
		if (err == nil) != (err2 == nil) || errors.Is(err, ErrNotW3C) != errors.Is(err2, ErrNotW3C) {
			t.Fatalf("stream error %v, parallel error %v", err, err2)
		}
		if err != nil {
			var fe, fe2 *FormatError
			if errors.As(err, &fe) && (!errors.As(err2, &fe2) || *fe != *fe2) {
				t.Fatalf("stream error %v, parallel error %v", err, err2)
			}
			return
		}
		if got := a.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("paths differ:\n got %s\nwant %s", brief(got), brief(want))
		}
		if want.Handshake+want.Failed != want.Unauthorized {
			t.Fatalf("handshake %d + failed %d != 401s %d", want.Handshake, want.Failed, want.Unauthorized)
		}
		// Every non-empty line is a directive, a request or reported:
		// no line is dropped silently.
		if want.Unread > want.WarningCount || want.Assumed > want.Requests {
			t.Fatalf("unread %d warnings %d assumed %d requests %d", want.Unread, want.WarningCount, want.Assumed, want.Requests)
		}
		if n, ok := nonBlankLines(in); ok && want.Directives+want.Requests+want.Unread != n {
			t.Fatalf("%d non-empty lines, %d directives + %d requests + %d unread", n, want.Directives, want.Requests, want.Unread)
		}
	})
}

// nonBlankLines counts the lines of UTF-8 input (without BOM or NUL bytes)
// that are not empty once their blanks are ignored; ok is false for other
// input.
func nonBlankLines(in []byte) (n int64, ok bool) {
	if bytes.IndexByte(in, 0) >= 0 || bytes.HasPrefix(in, []byte{0xEF, 0xBB, 0xBF}) ||
		bytes.HasPrefix(in, []byte{0xFF, 0xFE}) || bytes.HasPrefix(in, []byte{0xFE, 0xFF}) {
		return 0, false
	}
	for len(in) > 0 {
		line := in
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, in = in[:i], in[i+1:]
		} else {
			in = nil
		}
		if len(line) > maxLine || len(bytes.Trim(bytes.TrimSuffix(line, []byte("\r")), " \t")) > 0 {
			n++
		}
	}
	return n, true
}
