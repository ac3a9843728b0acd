package negotiate

import (
	"context"
	"crypto/tls"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/iiskerb/iiskerb/internal/jsonorder"
)

// Resolver looks up the canonical name of a host; *net.Resolver satisfies it.
type Resolver interface {
	LookupCNAME(ctx context.Context, host string) (string, error)
}

// NTLMCredentials are the account Probe uses for NTLM. The password never
// appears in String, %v or JSON output.
type NTLMCredentials struct {
	Domain   string `json:"domain"` // NetBIOS or DNS domain of the user ("EXAMPLE")
	User     string `json:"user"`   // user name without the domain
	Password string `json:"-"`
	// Workstation is sent in the NTLM messages, where any observer can read
	// it; empty sends none.
	Workstation string `json:"workstation,omitempty"`
}

// String describes the credentials without the password.
func (c NTLMCredentials) String() string { return "NTLM " + c.Domain + `\` + c.User }

// GoString is String, so that %#v does not print the password either.
func (c NTLMCredentials) GoString() string { return c.String() }

// ProbeOptions configure Probe. The zero value probes anonymously: it shows
// what the server offers without authenticating, and keeps raw tokens out of
// the transcript.
//
// In JSON (to record how a probe was run) the Kerberos client, resolver and
// transport are left out, Timeout is in seconds and passwords never appear.
type ProbeOptions struct {
	// Client is the Kerberos client (see NewClient); nil means Kerberos is
	// not attempted.
	Client *client.Client `json:"-"`
	// SPN overrides the service principal name. Empty chooses it like a
	// browser: "HTTP/" + the canonical name of the URL host after CNAME
	// resolution, without the port unless IncludePort is set.
	SPN string `json:"spn,omitempty"`
	// IncludePort adds a non-default port to the chosen SPN (Edge/Chrome
	// policy EnableAuthNegotiatePort, IE FEATURE_INCLUDE_PORT_IN_SPN).
	IncludePort bool `json:"include_port,omitempty"`
	// Resolver finds the canonical name for the SPN; nil uses
	// net.DefaultResolver. A failed lookup keeps the URL host (noted).
	Resolver Resolver `json:"-"`
	// NTLM enables NTLM when Kerberos is not possible or fails.
	NTLM *NTLMCredentials `json:"ntlm,omitempty"`
	// NTLMRaw sends NTLM messages inside "Negotiate" without the SPNEGO
	// wrapping, as Windows clients do after Kerberos fails. The default
	// wraps them in SPNEGO (what MIT/Heimdal clients send).
	NTLMRaw bool `json:"ntlm_raw,omitempty"`
	// Transport replaces the HTTP transport. The default one uses a single
	// TCP connection (so the reuse check is meaningful), HTTP/1.1, no proxy,
	// and verifies TLS unless InsecureSkipVerify.
	Transport http.RoundTripper `json:"-"`
	// ConnectTo dials this "host:port" instead of the URL's host (like curl
	// --connect-to); the Host header, TLS server name and SPN still come
	// from the URL. Ignored with a custom Transport.
	ConnectTo string `json:"connect_to,omitempty"`
	// InsecureSkipVerify turns off TLS certificate verification (explicit
	// opt-out; the transcript notes it). Ignored with a custom Transport.
	InsecureSkipVerify bool `json:"insecure_skip_verify,omitempty"`
	// Timeout bounds the whole probe; 0 means 60 s. ctx can end it sooner.
	Timeout time.Duration `json:"timeout_seconds,omitempty"` // JSON: seconds
	// Method is the HTTP method; empty means GET.
	Method string `json:"method,omitempty"`
	// Header adds request headers (for example User-Agent) to every round.
	Header http.Header `json:"header,omitempty"` // JSON: [{name, value}]
	// SkipReuseCheck does not send the extra unauthenticated request on
	// the authenticated connection.
	SkipReuseCheck bool `json:"skip_reuse_check,omitempty"`
	// KeepTokens keeps the raw Authorization values (the base64 tokens) in
	// the transcript's request headers. By default they are replaced with a
	// placeholder naming the scheme and the token's length (the decoded
	// tokens stay in Round.Sent either way): a raw NTLM AUTHENTICATE allows
	// offline guessing of the user's password, and a raw Kerberos AP-REQ
	// carries a service ticket that allows offline guessing of the service
	// account's password ("Kerberoasting"). Set it only when the transcript
	// stays on the machine and the raw tokens are needed.
	KeepTokens bool `json:"keep_tokens,omitempty"`
	// RedactTokens is what KeepTokens replaces; true still forces
	// redaction, even with KeepTokens.
	//
	// Deprecated: tokens are redacted by default; leave it unset, and set
	// KeepTokens to keep them.
	RedactTokens bool `json:"-"`
}

// MarshalJSON encodes Timeout in seconds and Header as a list of
// {name, value} lines.
func (o ProbeOptions) MarshalJSON() ([]byte, error) {
	type plain ProbeOptions
	return jsonorder.Marshal[ProbeOptions](struct {
		plain
		Timeout float64      `json:"timeout_seconds,omitempty"`
		Header  []HeaderLine `json:"header,omitempty"`
	}{plain(o), o.Timeout.Seconds(), HeaderLines(o.Header)})
}

// keepTokens reports whether raw tokens stay in the transcript.
func (o ProbeOptions) keepTokens() bool { return o.KeepTokens && !o.RedactTokens }

// HeaderLine is one HTTP header field as the package's JSON shows headers:
// a list of lines in the order name, then value as sent (header names are
// data, not JSON keys).
type HeaderLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HeaderLines lists h as lines sorted by name, each name's values in order;
// nil for an empty header.
func HeaderLines(h http.Header) []HeaderLine {
	if len(h) == 0 {
		return nil
	}
	names := make([]string, 0, len(h))
	n := 0
	for k, vs := range h {
		names = append(names, k)
		n += len(vs)
	}
	sort.Strings(names)
	out := make([]HeaderLine, 0, n)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, HeaderLine{Name: k, Value: v})
		}
	}
	return out
}

// ConnInfo identifies the TCP connection a round used.
type ConnInfo struct {
	Local  string `json:"local,omitempty"`
	Remote string `json:"remote,omitempty"`
	Reused bool   `json:"reused"` // the connection had carried an earlier request
}

// Round is one HTTP request and its response. In JSON the headers are
// lists of {name, value} lines and Duration is in seconds.
type Round struct {
	// Step names the purpose: "initial", "kerberos", "ntlm-negotiate",
	// "ntlm-authenticate" or "reuse-check".
	Step    string      `json:"step"`
	Method  string      `json:"method"`
	Request http.Header `json:"request_headers"` // headers sent, Authorization included (token redacted unless KeepTokens); cookies redacted
	// Sent is the decoded token of the Authorization header, if any.
	Sent       *Token      `json:"sent,omitempty"`
	Status     int         `json:"status,omitempty"`
	Header     http.Header `json:"response_headers,omitempty"` // response headers; cookies redacted
	Challenges []Challenge `json:"challenges,omitempty"`       // parsed WWW-Authenticate
	// Tokens are the decoded challenge tokens, index-aligned with
	// Challenges (nil where a challenge carries no token or it did not decode).
	Tokens       []*Token      `json:"tokens,omitempty"`
	DecodeErrors []string      `json:"decode_errors,omitempty"`
	Conn         ConnInfo      `json:"conn"`
	Duration     time.Duration `json:"duration_seconds"` // JSON: seconds
	Err          string        `json:"error,omitempty"`
}

// MarshalJSON encodes the headers as {name, value} lines and Duration in
// seconds.
func (r Round) MarshalJSON() ([]byte, error) {
	type plain Round
	req := HeaderLines(r.Request)
	if req == nil {
		req = []HeaderLine{}
	}
	return jsonorder.Marshal[Round](struct {
		plain
		Request  []HeaderLine `json:"request_headers"`
		Header   []HeaderLine `json:"response_headers,omitempty"`
		Duration float64      `json:"duration_seconds"`
	}{plain(r), req, HeaderLines(r.Header), r.Duration.Seconds()})
}

// Transcript is what Probe saw, round by round, and what it concludes. In
// JSON Elapsed is in seconds.
type Transcript struct {
	URL       string  `json:"url"`
	SPN       string  `json:"spn"`
	SPNSource string  `json:"spn_source"` // how the SPN was chosen
	Rounds    []Round `json:"rounds"`
	// Offered lists the schemes of the first 401 challenge, in order.
	Offered          []string `json:"offered,omitempty"`
	NegotiateOffered bool     `json:"negotiate_offered"`
	NTLMOffered      bool     `json:"ntlm_offered"` // the NTLM scheme itself was offered
	// Mechanism is what authenticated the request: "Kerberos", "NTLM",
	// "anonymous" (no authentication asked), or "" (failed).
	Mechanism     string `json:"mechanism"`
	Authenticated bool   `json:"authenticated"`
	// KerberosAttempted reports that a service ticket was requested.
	KerberosAttempted bool `json:"kerberos_attempted"`
	// KerberosFailure says why Kerberos did not authenticate (empty when
	// it did): not attempted, no ticket (KDC error), or rejected by the server.
	KerberosFailure string `json:"kerberos_failure,omitempty"`
	// KerberosError is the Kerberos error behind KerberosFailure, from the
	// KDC or (Service set) from the server's KRB-ERROR token.
	KerberosError *KDCError `json:"kerberos_error,omitempty"`
	// KDCUnreachable is set when Kerberos failed because no KDC answered
	// (the realm and the addresses tried): no ticket could be requested.
	KDCUnreachable *KDCUnreachableError `json:"kdc_unreachable,omitempty"`
	// Ticket is the service ticket the probe presented.
	Ticket      *Ticket `json:"ticket,omitempty"`
	NTLMUsed    bool    `json:"ntlm_used"`
	NTLMFailure string  `json:"ntlm_failure,omitempty"`
	// FellBackToNTLM: Kerberos was attempted, failed, and NTLM succeeded.
	FellBackToNTLM bool `json:"fell_back_to_ntlm"`
	// MutualAuth: the server returned a Kerberos AP-REP; MutualAuthVerified:
	// it decrypted with the session key and matched the authenticator.
	MutualAuth         bool `json:"mutual_auth"`
	MutualAuthVerified bool `json:"mutual_auth_verified"`
	// ReauthOnSameConnection is true when an unauthenticated request on the
	// same kept-alive connection was challenged again (IIS
	// authPersistNonNTLM=false / Apache GssapiConnectionBound Off), false
	// when it was served; nil when not tested (ReuseNote says why).
	ReauthOnSameConnection *bool  `json:"reauth_on_same_connection,omitempty"`
	ReuseNote              string `json:"reuse_note,omitempty"`
	Persistent             bool   `json:"persistent"` // Persistent-Auth: true on the authenticated response
	PersistentAuthHeader   string `json:"persistent_auth_header,omitempty"`
	FinalStatus            int    `json:"final_status"` // status of the last authentication round
	// ObserverSees is what a proxy or identity-aware firewall on the path
	// can read from the token that authenticated (Token.Visible): the user
	// for NTLM, only the service for Kerberos.
	ObserverSees string        `json:"observer_sees,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
	Elapsed      time.Duration `json:"elapsed_seconds"` // JSON: seconds
}

// MarshalJSON encodes Elapsed in seconds.
func (t Transcript) MarshalJSON() ([]byte, error) {
	type plain Transcript
	return jsonorder.Marshal[Transcript](struct {
		plain
		Elapsed float64 `json:"elapsed_seconds"`
	}{plain(t), t.Elapsed.Seconds()})
}

// ProbeError is returned when the probe could not complete (bad URL,
// connection or TLS failure, timeout). The Transcript returned with it holds
// the rounds done so far.
type ProbeError struct {
	URL  string `json:"url"`
	Step string `json:"step"`
	Err  error  `json:"error"` // JSON: its text
}

// MarshalJSON encodes Err as its text.
func (e ProbeError) MarshalJSON() ([]byte, error) {
	type plain ProbeError
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return jsonorder.Marshal[ProbeError](struct {
		plain
		Err string `json:"error"`
	}{plain(e), msg})
}

// Error describes the failed step and its cause.
func (e *ProbeError) Error() string {
	return fmt.Sprintf("negotiate: probe %s: %s: %v", e.URL, e.Step, e.Err)
}

// Unwrap returns the underlying error.
func (e *ProbeError) Unwrap() error { return e.Err }

// Probe drives a real Windows Integrated Authentication handshake against
// rawURL and records it: an anonymous first request (as browsers send),
// Kerberos through SPNEGO when the server offers Negotiate and opts.Client
// is set (with mutual authentication requested and the AP-REP verified),
// NTLM when Kerberos is not possible or fails and opts.NTLM is set, and
// finally one unauthenticated request on the same kept-alive connection to
// see whether the server challenges again.
//
// Authentication failures are findings in the Transcript, not errors; the
// error (a *ProbeError) is for probes that could not run. A Transcript is
// returned in both cases. Passwords never enter the Transcript, and raw
// tokens only with opts.KeepTokens (the decoded tokens always do).
//
// gokrb5 has no context support: a ticket request still running when ctx
// ends is abandoned (it finishes in the background within gokrb5's own
// network timeouts) and Probe returns at once.
func Probe(ctx context.Context, rawURL string, opts ProbeOptions) (*Transcript, error) {
	start := time.Now()
	t := &Transcript{URL: rawURL}
	defer func() { t.Elapsed = time.Since(start) }()
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, which may hold a password: keep only the cause
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.Contains(rawURL, "@") {
			t.URL = "(URL not shown: it may contain credentials)"
		}
		return t, &ProbeError{URL: t.URL, Step: "url", Err: err}
	}
	if u.User != nil {
		// net/http would send these as Basic credentials: never
		t.URL = u.Redacted()
		u.User = nil
		t.Notes = append(t.Notes, "credentials in the URL were ignored")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return t, &ProbeError{URL: t.URL, Step: "url", Err: errors.New("want an http:// or https:// URL with a host")}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	t.SPN, t.SPNSource = chooseSPN(ctx, u, opts, t)

	rt := opts.Transport
	if rt == nil {
		tr := probeTransport(u, opts)
		defer tr.CloseIdleConnections()
		rt = tr
		if opts.InsecureSkipVerify && u.Scheme == "https" {
			t.Notes = append(t.Notes, "TLS certificate verification was turned off (InsecureSkipVerify)")
		}
	}
	p := &prober{ctx: ctx, u: u, opts: opts, t: t,
		hc: &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	first, err := p.round("initial", "")
	if err != nil {
		return t, err
	}
	t.FinalStatus = first.Status
	if first.Status != http.StatusUnauthorized {
		if first.Status < 400 {
			t.Mechanism, t.Authenticated = "anonymous", true
		}
		t.KerberosFailure = "not attempted: the server did not ask for authentication (status " + strconv.Itoa(first.Status) + ")"
		return t, nil
	}
	for _, c := range first.Challenges {
		t.Offered = append(t.Offered, c.Scheme)
		switch {
		case c.Is("Negotiate"):
			t.NegotiateOffered = true
		case c.Is("NTLM"):
			t.NTLMOffered = true
		}
	}
	last := first
	if err := p.kerberos(&last); err != nil {
		return t, err
	}
	if !t.Authenticated {
		if err := p.ntlm(&last); err != nil {
			return t, err
		}
	}
	if t.Authenticated {
		if last.Sent != nil {
			t.ObserverSees = last.Sent.Visible().Summary
		}
		if persistent, ok := PersistentAuth(last.Header); ok {
			t.PersistentAuthHeader = strconv.FormatBool(persistent)
			t.Persistent = persistent
		}
		if !opts.SkipReuseCheck {
			if err := p.reuseCheck(last); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

type prober struct {
	ctx  context.Context
	u    *url.URL
	opts ProbeOptions
	t    *Transcript
	hc   *http.Client
}

// chooseSPN picks the SPN as a browser would, unless opts.SPN is set.
func chooseSPN(ctx context.Context, u *url.URL, opts ProbeOptions, t *Transcript) (spn, source string) {
	if opts.SPN != "" {
		return opts.SPN, "explicit"
	}
	host := strings.ToLower(u.Hostname())
	source = "URL host"
	if net.ParseIP(host) == nil {
		r := opts.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		cname, err := r.LookupCNAME(ctx, host)
		cname = strings.ToLower(strings.TrimSuffix(cname, "."))
		switch {
		case err != nil:
			t.Notes = append(t.Notes, fmt.Sprintf("CNAME lookup of %s failed (%v); using the URL host for the SPN", host, err))
		case cname != "" && cname != host:
			source = "canonical name of " + host + " (CNAME)"
			host = cname
		default:
			source = "URL host (no CNAME)"
		}
	} else {
		t.Notes = append(t.Notes, "the URL host is an IP address: clients cannot build a Kerberos SPN for it and use NTLM")
	}
	if opts.IncludePort && u.Port() != "" {
		host += ":" + u.Port()
		source += ", port included"
	}
	return "HTTP/" + host, source
}

// probeTransport is a single-connection HTTP/1.1 transport.
func probeTransport(u *url.URL, opts ProbeOptions) *http.Transport {
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if opts.ConnectTo != "" {
				addr = opts.ConnectTo
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{
			ServerName:         u.Hostname(),
			InsecureSkipVerify: opts.InsecureSkipVerify, //nolint:gosec // explicit caller opt-out, noted in the transcript
			MinVersion:         tls.VersionTLS12,
		},
		TLSHandshakeTimeout:    15 * time.Second,
		MaxResponseHeaderBytes: 256 << 10,
		ResponseHeaderTimeout:  30 * time.Second,
		MaxIdleConns:           1,
		MaxIdleConnsPerHost:    1,
		MaxConnsPerHost:        1,
		IdleConnTimeout:        60 * time.Second,
		DisableCompression:     true,
		ForceAttemptHTTP2:      false,
		// a non-nil empty map turns HTTP/2 off: Windows authentication is per connection
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}

// round sends one request with the given Authorization value ("" for none).
func (p *prober) round(step, authorization string) (Round, error) {
	method := p.opts.Method
	if method == "" {
		method = http.MethodGet
	}
	r := Round{Step: step, Method: method}
	req, err := http.NewRequestWithContext(p.ctx, method, p.u.String(), nil)
	if err != nil {
		return r, &ProbeError{URL: p.t.URL, Step: step, Err: err}
	}
	for k, vs := range p.opts.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
		if c, err := ParseAuthorization(authorization); err == nil && len(c.Token) > 0 {
			if tok, err := DecodeToken(c.Token); err == nil {
				r.Sent = tok
			}
		}
	}
	var conn ConnInfo
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		conn.Reused = info.Reused
		if info.Conn != nil {
			conn.Local = info.Conn.LocalAddr().String()
			conn.Remote = info.Conn.RemoteAddr().String()
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(p.ctx, trace))
	r.Request = redactHeader(req.Header)
	if !p.opts.keepTokens() && authorization != "" {
		scheme, tok, _ := strings.Cut(authorization, " ")
		r.Request.Set("Authorization", fmt.Sprintf("%s (token of %d base64 characters redacted)", scheme, len(tok)))
	}
	start := time.Now()
	resp, err := p.hc.Do(req)
	r.Duration = time.Since(start)
	r.Conn = conn
	if err != nil {
		r.Err = err.Error()
		p.t.Rounds = append(p.t.Rounds, r)
		return r, &ProbeError{URL: p.t.URL, Step: step, Err: err}
	}
	// drain a bounded amount so the connection can be reused
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	r.Status = resp.StatusCode
	r.Header = redactHeader(resp.Header)
	cs, err := ParseChallenges(resp.Header)
	if err != nil {
		r.DecodeErrors = append(r.DecodeErrors, err.Error())
	}
	r.Challenges = cs
	if len(cs) > 0 {
		r.Tokens = make([]*Token, len(cs))
		for i, c := range cs {
			if len(c.Token) == 0 {
				continue
			}
			tok, err := DecodeToken(c.Token)
			if err != nil {
				r.DecodeErrors = append(r.DecodeErrors, fmt.Sprintf("%s challenge: %v", c.Scheme, err))
				continue
			}
			r.Tokens[i] = tok
		}
	}
	p.t.Rounds = append(p.t.Rounds, r)
	return r, nil
}

// redactHeader copies h with cookie values and non-token credentials
// (Basic, Digest, Bearer...) replaced.
func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Authorization", "Proxy-Authorization"} {
		vs := out.Values(k)
		for i, v := range vs {
			scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
			if !tokenScheme(scheme) {
				vs[i] = scheme + " (redacted)"
			}
		}
	}
	for _, k := range []string{"Cookie", "Set-Cookie"} {
		if vs := out.Values(k); len(vs) > 0 {
			out.Del(k)
			for range vs {
				out.Add(k, "(redacted)")
			}
		}
	}
	return out
}

// challengeToken returns the token of the first challenge with scheme.
func challengeToken(r Round, scheme string) ([]byte, *Token, bool) {
	for i, c := range r.Challenges {
		if c.Is(scheme) {
			var tok *Token
			if i < len(r.Tokens) {
				tok = r.Tokens[i]
			}
			return c.Token, tok, true
		}
	}
	return nil, nil, false
}

// kerberos attempts Kerberos through Negotiate.
func (p *prober) kerberos(last *Round) error {
	t := p.t
	switch {
	case !t.NegotiateOffered:
		t.KerberosFailure = "not attempted: the server does not offer Negotiate (only " + strings.Join(t.Offered, ", ") + ")"
		return nil
	case p.opts.Client == nil:
		t.KerberosFailure = "not attempted: no Kerberos client configured"
		return nil
	}
	t.KerberosAttempted = true
	cl := p.opts.Client
	tkt, key, err := serviceTicket(p.ctx, cl, t.SPN)
	if err != nil {
		if p.ctx.Err() != nil {
			return &ProbeError{URL: t.URL, Step: "kerberos ticket", Err: err}
		}
		var le *loginError
		login := errors.As(err, &le)
		what := "no service ticket for " + t.SPN
		if login {
			what = fmt.Sprintf("could not log in as %s@%s (no TGT)", cl.Credentials.UserName(), cl.Credentials.Domain())
		}
		if ku := asKDCUnreachable(cl.Config, cl.Credentials.Domain(), err); ku != nil {
			t.KDCUnreachable = ku
			t.KerberosFailure = fmt.Sprintf("%s: %s", what, strings.TrimPrefix(ku.Error(), "kerberos: "))
			return nil
		}
		if ke, ok := AsKDCError(err); ok {
			if ke.SPN == "" {
				ke.SPN = t.SPN
				if login {
					ke.SPN = "krbtgt/" + cl.Credentials.Domain()
				}
			}
			t.KerberosError = ke
			t.KerberosFailure = fmt.Sprintf("%s: %s: %s", what, ke.Name, ke.Meaning)
		} else {
			t.KerberosFailure = fmt.Sprintf("%s: %v", what, err)
		}
		return nil
	}
	t.Ticket = ticketFrom(cl, tkt)
	ap, err := buildKerberosInit(cl, tkt, key)
	if err != nil {
		t.KerberosFailure = "could not build the Kerberos token: " + err.Error()
		return nil
	}
	r, err := p.round("kerberos", "Negotiate "+base64.StdEncoding.EncodeToString(ap.token))
	if err != nil {
		return err
	}
	*last = r
	t.FinalStatus = r.Status
	raw, tok, _ := challengeToken(r, "Negotiate")
	var krbErr *KRBError
	var apRep []byte
	if tok != nil {
		if tok.Kerberos != nil && tok.Kerberos.Error != nil {
			krbErr = tok.Kerberos.Error
		}
		if tok.Kerberos != nil && tok.Kerberos.APRep != nil {
			t.MutualAuth = true
			apRep = raw
			if tok.SPNEGO != nil && len(tok.SPNEGO.ResponseToken) > 0 {
				apRep = tok.SPNEGO.ResponseToken
			}
		}
	}
	if r.Status < 400 {
		t.Authenticated, t.Mechanism = true, "Kerberos"
		if apRep != nil {
			if err := ap.verifyAPRep(apRep); err != nil {
				t.Notes = append(t.Notes, "the server's AP-REP did not verify: "+err.Error())
			} else {
				t.MutualAuthVerified = true
			}
		} else {
			t.Notes = append(t.Notes, "the server accepted Kerberos but returned no AP-REP (no mutual authentication)")
		}
		return nil
	}
	if krbErr != nil {
		ke := NewServiceError(krbErr.Code, krbErr.EText, t.SPN)
		t.KerberosError = ke
		t.KerberosFailure = fmt.Sprintf("the server rejected the Kerberos ticket for %s (HTTP %d): %s: %s", t.SPN, r.Status, ke.Name, ke.Meaning)
		return nil
	}
	if r.Status == http.StatusUnauthorized {
		t.KerberosFailure = fmt.Sprintf("the server rejected the Kerberos ticket for %s (HTTP 401 without a Kerberos error token): its key does not open the ticket, or Kerberos is not accepted there", t.SPN)
	} else {
		t.KerberosFailure = fmt.Sprintf("the server answered HTTP %d to the Kerberos ticket", r.Status)
	}
	return nil
}

// loginError marks a failure to obtain the TGT (before any SPN is involved).
type loginError struct{ err error }

func (e *loginError) Error() string { return e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }

// serviceTicket logs in if needed and gets a ticket with gokrb5, abandoning
// both when ctx ends. A login failure is a *loginError.
func serviceTicket(ctx context.Context, cl *client.Client, spn string) (tkt messages.Ticket, key types.EncryptionKey, err error) {
	type result struct {
		tkt messages.Ticket
		key types.EncryptionKey
		err error
	}
	ch := make(chan result, 1)
	go func() {
		if err := cl.AffirmLogin(); err != nil {
			ch <- result{err: &loginError{err}}
			return
		}
		tkt, key, err := cl.GetServiceTicket(spn)
		ch <- result{tkt, key, err}
	}()
	select {
	case <-ctx.Done():
		return tkt, key, ctx.Err()
	case r := <-ch:
		return r.tkt, r.key, r.err
	}
}

// ntlm runs the NTLM handshake through Negotiate (preferred, like browsers)
// or the NTLM scheme.
func (p *prober) ntlm(last *Round) error {
	t := p.t
	creds := p.opts.NTLM
	if creds == nil {
		if t.NegotiateOffered || t.NTLMOffered {
			t.NTLMFailure = "not attempted: no NTLM credentials configured"
		}
		return nil
	}
	scheme := "Negotiate"
	switch {
	case t.NegotiateOffered:
	case t.NTLMOffered:
		scheme = "NTLM"
	default:
		t.NTLMFailure = "not attempted: the server offers neither Negotiate nor NTLM"
		return nil
	}
	wrap := scheme == "Negotiate" && !p.opts.NTLMRaw
	neg, err := ntlmssp.NewNegotiateMessage("", creds.Workstation)
	if err != nil {
		t.NTLMFailure = "could not build the NTLM NEGOTIATE message: " + err.Error()
		return nil
	}
	if wrap {
		if neg, err = spnegoInit([]asn1.ObjectIdentifier{OIDNTLM}, neg); err != nil {
			t.NTLMFailure = "could not wrap NTLM in SPNEGO: " + err.Error()
			return nil
		}
	}
	r, err := p.round("ntlm-negotiate", scheme+" "+base64.StdEncoding.EncodeToString(neg))
	if err != nil {
		return err
	}
	*last = r
	t.FinalStatus = r.Status
	raw, tok, ok := challengeToken(r, scheme)
	if r.Status != http.StatusUnauthorized || !ok || len(raw) == 0 {
		t.NTLMFailure = fmt.Sprintf("the server did not answer the NTLM NEGOTIATE with a challenge (HTTP %d)", r.Status)
		return nil
	}
	challenge := raw
	if tok != nil && tok.SPNEGO != nil {
		challenge = tok.SPNEGO.ResponseToken
	}
	if tok == nil || tok.NTLM == nil || tok.NTLM.MessageType != 2 || len(challenge) == 0 {
		t.NTLMFailure = "the server's answer to the NTLM NEGOTIATE is not an NTLM CHALLENGE"
		return nil
	}
	user := creds.User
	if creds.Domain != "" {
		user = creds.Domain + `\` + creds.User
	}
	auth, err := ntlmssp.NewAuthenticateMessage(challenge, user, creds.Password, &ntlmssp.AuthenticateMessageOptions{WorkstationName: creds.Workstation})
	if err != nil {
		t.NTLMFailure = "could not answer the NTLM CHALLENGE: " + err.Error()
		return nil
	}
	if wrap {
		if auth, err = spnegoResp(auth); err != nil {
			t.NTLMFailure = "could not wrap NTLM in SPNEGO: " + err.Error()
			return nil
		}
	}
	r, err = p.round("ntlm-authenticate", scheme+" "+base64.StdEncoding.EncodeToString(auth))
	if err != nil {
		return err
	}
	*last = r
	t.FinalStatus = r.Status
	if r.Status >= 400 {
		t.NTLMFailure = fmt.Sprintf("the server rejected the NTLM AUTHENTICATE (HTTP %d): wrong user, domain or password, or NTLM blocked", r.Status)
		return nil
	}
	t.Authenticated, t.Mechanism, t.NTLMUsed = true, "NTLM", true
	t.FellBackToNTLM = t.KerberosAttempted
	if t.KerberosError != nil && t.KerberosError.Service {
		t.Notes = append(t.Notes, "the server rejected the Kerberos ticket before NTLM succeeded: Windows clients fall back to NTLM silently when they get no ticket, but after a rejected ticket they usually fail or prompt instead, so users may not get this NTLM fallback")
	}
	return nil
}

// reuseCheck sends one unauthenticated request on the connection the
// authenticated round used.
func (p *prober) reuseCheck(auth Round) error {
	t := p.t
	r, err := p.round("reuse-check", "")
	if err != nil {
		var pe *ProbeError
		if errors.As(err, &pe) && p.ctx.Err() != nil {
			return err
		}
		t.ReuseNote = "not tested: the follow-up request failed: " + r.Err
		return nil
	}
	if !r.Conn.Reused || r.Conn.Local == "" || r.Conn.Local != auth.Conn.Local {
		t.ReuseNote = "not tested: the server closed the authenticated connection (the follow-up request used a new one)"
		return nil
	}
	challenged := r.Status == http.StatusUnauthorized
	t.ReauthOnSameConnection = &challenged
	if challenged {
		t.ReuseNote = fmt.Sprintf("a second request on the same connection (%s) was challenged again: authentication is per request, not per connection", r.Conn.Local)
	} else {
		t.ReuseNote = fmt.Sprintf("a second request on the same connection (%s) was served without authentication (HTTP %d): authentication persists for the connection", r.Conn.Local, r.Status)
	}
	return nil
}
