package diagnose

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes allocated by reading text and decoding its
// tokens.
func allocated(text string) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if tr, err := ParseHTTPTrace("x", strings.NewReader(text)); err == nil {
		tr.Tokens(context.Background())
		analyzeTrace(tr)
		traceExchange(tr)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The reader's work is linear in its input: for shapes that repeat a
// construct k times (continuation lines, wrapped tokens, rows, stream
// lines, challenges), eight times the input allocates at most about eight
// times the memory. Building a value by repeated string concatenation, the
// classic way to make such a reader quadratic, fails this test.
func TestTraceReaderLinear(t *testing.T) {
	b64 := strings.Repeat("QUJD", 1)
	shapes := map[string]func(k int) string{
		"folded header": func(k int) string { return "GET / HTTP/1.1\nX-Long: a\n" + strings.Repeat(" b\n", k) },
		"wrapped token": func(k int) string {
			return "GET / HTTP/1.1\nAuthorization: Negotiate AAAA\n" + strings.Repeat("AAAAAAAAAAAA\n", k)
		},
		"spaces in a token": func(k int) string {
			return "GET / HTTP/1.1\nAuthorization: Negotiate " + strings.Repeat(b64+" ", k) + "\n"
		},
		"many headers": func(k int) string { return "GET / HTTP/1.1\n" + strings.Repeat("X-A: b\n", k) },
		"many messages": func(k int) string {
			return strings.Repeat("GET / HTTP/1.1\nAuthorization: NTLM [redacted]\n\nHTTP/1.1 401 x\nWWW-Authenticate: NTLM\n\n", k)
		},
		"many challenges": func(k int) string {
			return "HTTP/1.1 401 x\nWWW-Authenticate: " + strings.Repeat("Negotiate, ", k) + "\n"
		},
		"trace-ascii rows": func(k int) string { return traceASCIIRows(k) },
		"curl stream lines": func(k int) string {
			return "* [HTTP/2] [1] [:method: GET]\n" + strings.Repeat("* [HTTP/2] [1] [x-a: b]\n", k)
		},
		"header block": func(k int) string { return strings.Repeat("WWW-Authenticate: NTLM\n", k) },
		"powershell table": func(k int) string {
			return "Key Value\n--- -----\n" + strings.Repeat("WWW-Authenticate {Negotiate, NTLM}\n", k)
		},
		"wireshark subtree": func(k int) string {
			return "GET / HTTP/1.1\\r\\n\n" + strings.Repeat("        NTLM Secure Service Provider\n", k) + "Host: a\\r\\n\n"
		},
		"pseudo-headers":      func(k int) string { return strings.Repeat(":method: GET\n:path: /\n", k) },
		"one long line":       func(k int) string { return "GET / HTTP/1.1\nX: " + strings.Repeat("a", 64*k) + "\n" },
		"lines without a \\n": func(k int) string { return "GET / HTTP/1.1\r" + strings.Repeat("X: a\r", k) },
	}
	for name, f := range shapes {
		t.Run(name, func(t *testing.T) {
			const k = 512
			allocated(f(k)) // warm up
			small, large := allocated(f(k)), allocated(f(8*k))
			if small == 0 {
				small = 1
			}
			if ratio := float64(large) / float64(small); ratio > 14 {
				t.Errorf("8x the input allocates %.1fx the memory (%d -> %d bytes): not linear", ratio, small, large)
			}
		})
	}
}

// traceASCIIRows is one Recv header block whose single header is wrapped
// over k rows of 64 columns.
func traceASCIIRows(k int) string {
	var b strings.Builder
	line := "WWW-Authenticate: NTLM " + strings.Repeat("A", 64*k)
	b.WriteString("<= Recv header, 17 bytes (0x11)\n0000: HTTP/1.1 401 x\n")
	fmt.Fprintf(&b, "<= Recv header, %d bytes (0x%x)\n", len(line)+2, len(line)+2)
	for off := 0; off < len(line); off += 64 {
		fmt.Fprintf(&b, "%04x: %s\n", off, line[off:min(off+64, len(line))])
	}
	return b.String()
}
