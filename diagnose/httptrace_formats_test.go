package diagnose

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/negotiate"
)

// Tokens used to build traces: public test vectors already in testdata/http
// (see its PROVENANCE).
type testTokens struct {
	ntlm1, ntlm2, ntlm3 string // NTLM NEGOTIATE, CHALLENGE, AUTHENTICATE
	krbInit, krbResp    string // SPNEGO with a Kerberos AP-REQ; NegTokenResp with an AP-REP
}

func loadTestTokens(t *testing.T) testTokens {
	t.Helper()
	value := func(path, prefix string) string {
		for _, l := range strings.Split(readFile(t, path), "\n") {
			l = strings.TrimRight(l, "\r")
			if i := strings.Index(l, prefix); i >= 0 {
				return l[i+len(prefix):]
			}
		}
		t.Fatalf("%s: no %q", path, prefix)
		return ""
	}
	var tt testTokens
	proxy := "testdata/http/proxy-ntlm.txt"
	tt.ntlm1 = value(proxy, "Authorization: NTLM ")
	tt.ntlm2 = value(proxy, "WWW-Authenticate: NTLM ")
	lines := strings.Split(readFile(t, proxy), "\n")
	tt.ntlm3 = strings.TrimPrefix(strings.TrimRight(lines[10], "\r"), "Authorization: NTLM ")
	tt.krbInit = value("testdata/http/curl-kerberos.txt", "Authorization: Negotiate ")
	tt.krbResp = value("testdata/http/curl-kerberos.txt", "WWW-Authenticate: Negotiate ")
	return tt
}

// curlTraceASCII formats data as curl --trace-ascii does
// (src/tool_cb_dbg.c: 64 columns, a new row after each CRLF).
func curlTraceASCII(kind, data string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d bytes (0x%x)\n", kind, len(data), len(data))
	const width = 0x40
	for i := 0; i < len(data); i += width {
		fmt.Fprintf(&b, "%04x: ", i)
		for c := 0; c < width && i+c < len(data); c++ {
			if i+c+1 < len(data) && data[i+c] == '\r' && data[i+c+1] == '\n' {
				i += c + 2 - width
				break
			}
			ch := data[i+c]
			if ch < 0x20 || ch >= 0x80 {
				ch = '.'
			}
			b.WriteByte(ch)
			if i+c+2 < len(data) && data[i+c+1] == '\r' && data[i+c+2] == '\n' {
				i += c + 3 - width
				break
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func parseTrace(t *testing.T, name, text string) *HTTPTrace {
	t.Helper()
	tr, err := ParseHTTPTrace(name, strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// kinds lists the decoded token kinds of a trace.
func kinds(t *testing.T, tr *HTTPTrace) (string, []EvidenceWarning) {
	t.Helper()
	toks, warns := tr.Tokens(context.Background())
	var ks []string
	for _, tk := range toks {
		k := tk.Token.Kind.String()
		if tk.Token.InnerKind != negotiate.UnknownToken {
			k += "/" + tk.Token.InnerKind.String()
		}
		ks = append(ks, tk.Header+"="+k)
	}
	return strings.Join(ks, ", "), warns
}

func shape(tr *HTTPTrace) string {
	var parts []string
	for _, m := range tr.Messages {
		s := fmt.Sprintf("%d:", m.Line)
		if m.IsRequest() {
			s += strings.TrimSpace(m.Method + " " + m.Target)
		} else {
			s += fmt.Sprint(m.Status)
		}
		if m.Proto != "" {
			s += " " + m.Proto
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

func TestTraceFormats(t *testing.T) {
	tt := loadTestTokens(t)
	tests := []struct {
		name, text string
		shape      string // messages: line:request or status, proto
		kinds      string // decoded tokens
		format     string // one of the formats recognised
		offered    string // analyzeTrace's offer
	}{
		{
			name: "curl --trace-ascii",
			text: "== Info:   Trying 10.0.0.5:80...\n== Info: Connected to web01 (10.0.0.5) port 80 (#0)\n" +
				curlTraceASCII("=> Send header", "GET /app/ HTTP/1.1\r\nHost: web01\r\nUser-Agent: curl/7.81.0\r\nAccept: */*\r\n\r\n") +
				curlTraceASCII("<= Recv header", "HTTP/1.1 401 Unauthorized\r\n") +
				curlTraceASCII("<= Recv header", "WWW-Authenticate: Negotiate\r\n") +
				curlTraceASCII("<= Recv header", "WWW-Authenticate: NTLM\r\n") +
				curlTraceASCII("<= Recv header", "\r\n") +
				curlTraceASCII("<= Recv data", "hello") +
				curlTraceASCII("=> Send header", "GET /app/ HTTP/1.1\r\nHost: web01\r\nAuthorization: Negotiate "+tt.krbInit+"\r\nAccept: */*\r\n\r\n") +
				curlTraceASCII("<= Recv header", "HTTP/1.1 200 OK\r\n") +
				curlTraceASCII("<= Recv header", "WWW-Authenticate: Negotiate "+tt.krbResp+"\r\n") +
				curlTraceASCII("<= Recv header", "\r\n") +
				"== Info: Connection #0 to host web01 left intact\n",
			shape:   "4:GET /app/ HTTP/1.1 | 10:401 HTTP/1.1 | 20:GET /app/ HTTP/1.1 | 56:200 HTTP/1.1",
			kinds:   "Authorization=SPNEGO NegTokenInit/Kerberos AP-REQ, WWW-Authenticate=SPNEGO NegTokenResp/Kerberos AP-REP",
			format:  "curl --trace-ascii",
			offered: "Negotiate, NTLM",
		},
		{
			name: "curl -v HTTP/2",
			text: "* ALPN: server accepted h2\n* using HTTP/2\n* [HTTP/2] [1] OPENED stream for https://web01/app/\n" +
				"* [HTTP/2] [1] [:method: GET]\n* [HTTP/2] [1] [:scheme: https]\n* [HTTP/2] [1] [:authority: web01]\n* [HTTP/2] [1] [:path: /app/]\n" +
				"* [HTTP/2] [1] [user-agent: curl/8.4.0]\n> GET /app/ HTTP/2\n> Host: web01\n> User-Agent: curl/8.4.0\n> Accept: */*\n>\n" +
				"< HTTP/2 401 \n< content-type: text/html\n< www-authenticate: Negotiate\n< www-authenticate: NTLM\n<\n" +
				"* [HTTP/2] [3] OPENED stream for https://web01/app/\n* [HTTP/2] [3] [:method: GET]\n* [HTTP/2] [3] [authorization: NTLM " + tt.ntlm1 + "]\n" +
				"> GET /app/ HTTP/2\n> Host: web01\n> Authorization: NTLM " + tt.ntlm1 + "\n>\n< HTTP/2 401 \n< www-authenticate: NTLM " + tt.ntlm2 + "\n<\n",
			shape:   "9:GET /app/ HTTP/2 | 14:401 HTTP/2 | 22:GET /app/ HTTP/2 | 26:401 HTTP/2",
			kinds:   "Authorization=NTLM NEGOTIATE, WWW-Authenticate=NTLM CHALLENGE",
			format:  "curl -v",
			offered: "Negotiate, NTLM",
		},
		{
			name: "old curl h2h3 lines without > lines",
			text: "* Using HTTP2, server supports multiplexing\n* h2h3 [:method: GET]\n* h2h3 [:path: /app/]\n* h2h3 [:scheme: https]\n* h2h3 [:authority: web01]\n" +
				"* h2h3 [authorization: NTLM " + tt.ntlm1 + "]\n< HTTP/2 401\n< www-authenticate: NTLM " + tt.ntlm2 + "\n",
			shape:  "2:GET /app/ HTTP/2 | 7:401 HTTP/2",
			kinds:  "Authorization=NTLM NEGOTIATE, WWW-Authenticate=NTLM CHALLENGE",
			format: "curl HTTP/2 stream lines",
		},
		{
			name: "browser devtools HTTP/2 pseudo-headers",
			text: ":authority: web01.corp.example\n:method: GET\n:path: /Altiris/NS/\n:scheme: https\naccept: text/html\nauthorization: Negotiate " + tt.krbInit + "\n\n" +
				":status: 200\ncontent-type: text/html\nwww-authenticate: Negotiate " + tt.krbResp + "\npersistent-auth: true\n",
			shape:  "1:GET /Altiris/NS/ HTTP/2 | 8:200 HTTP/2",
			kinds:  "Authorization=SPNEGO NegTokenInit/Kerberos AP-REQ, WWW-Authenticate=SPNEGO NegTokenResp/Kerberos AP-REP",
			format: "HTTP/2 pseudo-headers",
		},
		{
			name:    "browser devtools HTTP/1.1 copy, CRLF",
			text:    "GET /Altiris/NS/ HTTP/1.1\r\nAccept: text/html\r\nHost: web01\r\n\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n",
			shape:   "1:GET /Altiris/NS/ HTTP/1.1 | 5:401 HTTP/1.1",
			format:  "raw HTTP",
			offered: "Negotiate, NTLM",
		},
		{
			name:    "response headers pasted alone (Chrome, HTTP/2)",
			text:    "content-length: 1293\ncontent-type: text/html\nserver: Microsoft-IIS/10.0\nwww-authenticate: Negotiate\nwww-authenticate: NTLM\n",
			shape:   "1:0",
			format:  "header block",
			offered: "Negotiate, NTLM",
		},
		{
			name:   "request and response headers pasted alone",
			text:   "Host: web01\nAuthorization: NTLM " + tt.ntlm1 + "\nWWW-Authenticate: NTLM " + tt.ntlm2 + "\n",
			shape:  "1: | 3:0",
			kinds:  "Authorization=NTLM NEGOTIATE, WWW-Authenticate=NTLM CHALLENGE",
			format: "header block",
		},
		{
			name: "Wireshark packet details",
			text: "Hypertext Transfer Protocol\n    GET /app/ HTTP/1.1\\r\\n\n        [Expert Info (Chat/Sequence): GET /app/ HTTP/1.1\\r\\n]\n" +
				"            [GET /app/ HTTP/1.1\\r\\n]\n        Request Method: GET\n        Request URI: /app/\n    Host: web01\\r\\n\n" +
				"    Authorization: NTLM " + tt.ntlm1 + "\\r\\n\n        NTLM Secure Service Provider\n            NTLMSSP identifier: NTLMSSP\n" +
				"    Connection: Keep-Alive\\r\\n\n    \\r\\n\n    [Full request URI: http://web01/app/]\n\n" +
				"Hypertext Transfer Protocol\n    HTTP/1.1 401 Unauthorized\\r\\n\n        Status Code: 401\n    WWW-Authenticate: NTLM " + tt.ntlm2 + "\\r\\n\n" +
				"        NTLM Secure Service Provider\n    Content-Length: 0\\r\\n\n    \\r\\n\n",
			shape:  "2:GET /app/ HTTP/1.1 | 16:401 HTTP/1.1",
			kinds:  "Authorization=NTLM NEGOTIATE, WWW-Authenticate=NTLM CHALLENGE",
			format: "Wireshark packet details",
		},
		{
			name: "PowerShell 5.1 -Verbose and a header table",
			text: "PS C:\\> Invoke-WebRequest https://web01/Altiris/NS/ -UseDefaultCredentials -Verbose\nVERBOSE: GET https://web01/Altiris/NS/ with 0-byte payload\n" +
				"Invoke-WebRequest : The remote server returned an error: (401) Unauthorized.\nAt line:1 char:1\n" +
				"    + CategoryInfo          : InvalidOperation: (System.Net.HttpWebRequest:HttpWebRequest) [Invoke-WebRequest], WebException\n" +
				"PS C:\\> $Error[0].Exception.Response.Headers | % { $_ }\n\nKey              Value\n---              -----\nWWW-Authenticate {Negotiate, NTLM}\nContent-Length   1293\n\n",
			shape:   "2:GET https://web01/Altiris/NS/ | 3:401",
			format:  "PowerShell header table",
			offered: "Negotiate, NTLM",
		},
		{
			name: "PowerShell 7 -Verbose",
			text: "VERBOSE: GET https://web01/Altiris/NS/\nVERBOSE: Requested HTTP/1.1 GET with 0-byte payload\nVERBOSE: Received HTTP/1.1 1293-byte response of content type text/html\n" +
				"Invoke-WebRequest: Response status code does not indicate success: 401 (Unauthorized).\n",
			shape:  "2:GET https://web01/Altiris/NS/ HTTP/1.1 | 3:401 HTTP/1.1",
			format: "PowerShell -Verbose",
		},
		{
			name: "Fiddler raw with a token wrapped by a mail client and a folded header",
			text: "GET http://web01/app/ HTTP/1.1\nHost: web01\nAuthorization: Negotiate " + wrap(tt.krbInit, 76) + "\nX-Folded: a\n  b\n\n" +
				"HTTP/1.1 200 OK\nWWW-Authenticate:\n Negotiate " + tt.krbResp + "\n\n",
			shape:  "1:GET http://web01/app/ HTTP/1.1 | " + fmt.Sprint(6+len(wrapLines(tt.krbInit, 76))) + ":200 HTTP/1.1",
			kinds:  "Authorization=SPNEGO NegTokenInit/Kerberos AP-REQ, WWW-Authenticate=SPNEGO NegTokenResp/Kerberos AP-REP",
			format: "raw HTTP",
		},
		{
			name: "an ASP.NET error page quoting PowerShell's words is a body",
			text: "GET /app/ HTTP/1.1\nHost: web01\n\nHTTP/1.1 500 Internal Server Error\nContent-Type: text/html\n\n<html><body>\n" +
				"WebException: The remote server returned an error: (401) Unauthorized.\nResponse status code does not indicate success: 401 (Unauthorized).\n</body></html>\n",
			shape:  "1:GET /app/ HTTP/1.1 | 4:500 HTTP/1.1",
			format: "raw HTTP",
		},
		{
			name:   "indented paste (markdown code block)",
			text:   "    GET /app/ HTTP/1.1\n    Host: web01\n    Authorization: NTLM " + tt.ntlm1 + "\n\n    HTTP/1.1 401 Unauthorized\n    WWW-Authenticate: NTLM " + tt.ntlm2 + "\n",
			shape:  "1:GET /app/ HTTP/1.1 | 5:401 HTTP/1.1",
			kinds:  "Authorization=NTLM NEGOTIATE, WWW-Authenticate=NTLM CHALLENGE",
			format: "raw HTTP",
		},
		{
			name:   "UTF-16LE with BOM (a Windows tool's export)",
			text:   utf16le("GET /app/ HTTP/1.1\r\nAuthorization: NTLM " + tt.ntlm1 + "\r\n\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM " + tt.ntlm2 + "\r\n"),
			shape:  "1:GET /app/ HTTP/1.1 | 4:401 HTTP/1.1",
			kinds:  "Authorization=NTLM NEGOTIATE, WWW-Authenticate=NTLM CHALLENGE",
			format: "raw HTTP",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := parseTrace(t, "x.txt", tc.text)
			if got := shape(tr); got != tc.shape {
				t.Errorf("messages %s\nwant     %s", got, tc.shape)
			}
			got, warns := kinds(t, tr)
			if got != tc.kinds {
				t.Errorf("tokens %q\nwant   %q", got, tc.kinds)
			}
			for _, w := range warns {
				if !strings.Contains(w.Message, "wrapped text") && !strings.Contains(w.Message, "no Authorization or WWW-Authenticate header") {
					t.Errorf("warning %s", w)
				}
			}
			if !strings.Contains(strings.Join(tr.Formats, ";"), tc.format) {
				t.Errorf("formats %v, want %s", tr.Formats, tc.format)
			}
			if got := strings.Join(analyzeTrace(tr).offered, ", "); got != tc.offered {
				t.Errorf("offered %q, want %q", got, tc.offered)
			}
		})
	}
}

func wrapLines(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func wrap(s string, n int) string { return strings.Join(wrapLines(s, n), "\n") }

func utf16le(s string) string {
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

// What a trace shows about cut, redacted or shortened tokens becomes a
// warning that names the cause and the line, never the token.
func TestTraceTokenProblems(t *testing.T) {
	tt := loadTestTokens(t)
	tests := []struct{ name, text, want string }{
		{"cut by a pager", "GET / HTTP/1.1\nAuthorization: Negotiate " + tt.krbInit[:60] + "...\n", `x.txt:2: Authorization header not understood: negotiate: header at byte 10: Negotiate token is cut off: it ends with "..." after 60 base64 characters`},
		{"cut mid-quantum", "GET / HTTP/1.1\nAuthorization: Negotiate " + tt.krbInit[:61] + "\n", "x.txt:2: Authorization header not understood: negotiate: header at byte 10: Negotiate token is truncated base64: 61 characters"},
		{"cut at a quantum", "GET / HTTP/1.1\nAuthorization: Negotiate " + tt.krbInit[:60] + "\n", "x.txt:2: Authorization Negotiate token not decoded: negotiate: decode"},
		{"Wireshark [truncated]", "    GET / HTTP/1.1\\r\\n\n    [truncated]Authorization: Negotiate " + tt.krbInit[:200] + "\n    \\r\\n\n", "x.txt:2: Authorization header not understood"},
		{"PowerShell table ellipsis", "Key              Value\n---              -----\nWWW-Authenticate Negotiate " + tt.krbResp[:40] + "\u2026\n", "x.txt:3: WWW-Authenticate header not understood: negotiate: header at byte 10: Negotiate token is cut off"},
		{"not base64", "HTTP/1.1 401 Unauthorized\nWWW-Authenticate: NTLM TlRM*TVNT\n", "x.txt:2: WWW-Authenticate header not understood: negotiate: header at byte 9: NTLM token is not base64: '*' is not a base64 character"},
		{"redacted", "GET / HTTP/1.1\nAuthorization: Negotiate <token>\n\nHTTP/1.1 200 OK\n", "x.txt:2: Authorization Negotiate token was redacted"},
		{"no auth header", "GET / HTTP/1.1\nHost: x\n\nHTTP/1.1 200 OK\n", "no Authorization or WWW-Authenticate header in 2 HTTP messages"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, warns := parseTrace(t, "x.txt", tc.text).Tokens(context.Background())
			w := warningsText(warns)
			if !strings.Contains(w, tc.want) {
				t.Errorf("warnings:\n%s\nwant %q", w, tc.want)
			}
			if strings.Contains(w, tt.krbInit[:20]) || strings.Contains(strings.ToLower(w), strings.ToLower(tt.krbInit[:20])) {
				t.Errorf("a warning echoes the token:\n%s", w)
			}
		})
	}
}

// curl --trace-ascii blocks that show fewer bytes than they announce mean
// the trace was cut.
func TestTraceASCIICut(t *testing.T) {
	full := curlTraceASCII("=> Send header", "GET /app/ HTTP/1.1\r\nHost: web01\r\nAccept: */*\r\n\r\n")
	cut := full[:strings.Index(full, "Host")+4]
	tr := parseTrace(t, "x.txt", cut)
	if !tr.Truncated || len(tr.Notes) == 0 || !strings.Contains(tr.Notes[0].Message, "announces 48 bytes and shows 24") {
		t.Errorf("truncated %v notes %+v", tr.Truncated, tr.Notes)
	}
	if tr := parseTrace(t, "x.txt", full); tr.Truncated {
		t.Errorf("whole block marked truncated: %+v", tr.Notes)
	}
}

// A 401 that carries the NTLM CHALLENGE on a closing connection, and
// Windows authentication over HTTP/2, are NEG002 findings with the line.
func TestTraceHandshakeTransport(t *testing.T) {
	tt := loadTestTokens(t)
	tests := []struct{ name, text, want, line string }{
		{"Connection: close", "GET / HTTP/1.1\nAuthorization: NTLM " + tt.ntlm1 + "\n\nHTTP/1.1 401 Unauthorized\nWWW-Authenticate: NTLM " + tt.ntlm2 + "\nConnection: close\n",
			"closed the connection (Connection: close)", "6"},
		{"Negotiate-wrapped challenge", "GET / HTTP/1.1\nAuthorization: Negotiate " + tt.ntlm1 + "\n\nHTTP/1.1 401 Unauthorized\nConnection: Close\nWWW-Authenticate: Negotiate " + tt.ntlm2 + "\n",
			"NTLM handshake cannot complete", "5"},
		{"HTTP/1.0", "GET / HTTP/1.1\nAuthorization: NTLM " + tt.ntlm1 + "\n\nHTTP/1.0 401 Unauthorized\nWWW-Authenticate: NTLM " + tt.ntlm2 + "\n",
			"an HTTP/1.0 response without keep-alive", "4"},
		{"HTTP/2 answered", "> GET / HTTP/2\n> authorization: Negotiate " + tt.krbInit + "\n>\n< HTTP/2 401\n< www-authenticate: Negotiate\n<\n",
			"The client sent Negotiate credentials carrying Kerberos AP-REQ over HTTP/2. IIS does not support", "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := traceChecks(t, traceEvidence(t, parseTrace(t, "x.txt", tc.text))).FindingsOf("TRC002")
			if len(fs) != 1 || !strings.Contains(fs[0].Message, tc.want) || fs[0].Evidence[0].Locator != tc.line || fs[0].Severity != Warning {
				t.Errorf("findings:\n%s", findingsText(fs))
			}
			if strings.Contains(fs[0].Message, "does not show whether") {
				t.Errorf("the response is in the trace: %s", fs[0].Message)
			}
		})
	}
	// Keep-alive NTLM is the normal handshake: nothing to report.
	ok := "GET / HTTP/1.1\nAuthorization: NTLM " + tt.ntlm1 + "\n\nHTTP/1.1 401 Unauthorized\nWWW-Authenticate: NTLM " + tt.ntlm2 + "\nConnection: keep-alive\n\n" +
		"GET / HTTP/1.1\nAuthorization: NTLM " + tt.ntlm3 + "\n\nHTTP/1.1 200 OK\n"
	if fs := traceChecks(t, traceEvidence(t, parseTrace(t, "x.txt", ok))).Findings; len(fs) != 0 {
		t.Errorf("findings on a normal NTLM handshake:\n%s", findingsText(fs))
	}
}
