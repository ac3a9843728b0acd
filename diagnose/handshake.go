package diagnose

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/iiskerb/iiskerb/negotiate"
)

// Handshake is one Negotiate (Kerberos/NTLM) authentication handshake as the
// evidence shows it: a probe transcript, a raw HTTP trace, or tokens seen in
// headers without the messages around them. It is the one model of the
// handshake in this package: the NEG checks, the verdict and every renderer
// read it, and nothing reads the evidence's headers or prose a second time.
//
// Built by Diagnose once per run (Report.Handshakes). It holds no token
// bytes: each token is kept as its scheme, mechanism, message type and the
// fields an observer on the path can read anyway.
type Handshake struct {
	// Source names the evidence: "probe https://ns01/...", "http/agent.txt",
	// or "tokens" for tokens seen in headers.
	Source string `json:"source"`
	// Kind is what the handshake was built from.
	Kind HandshakeKind `json:"kind"`
	// URL is the probed URL (probes only).
	URL string `json:"url,omitempty"`
	// SPN is the service principal name the probe asked a ticket for, and
	// SPNSource how it was chosen (probes only).
	SPN       string `json:"spn,omitempty"`
	SPNSource string `json:"spn_source,omitempty"`
	// Rounds are the request/response pairs in order.
	Rounds []Round `json:"rounds"`

	// Offered lists the schemes of the first challenge that offers
	// authentication (bare WWW-Authenticate challenges), in order;
	// OfferedRound is its round (1-based; 0 when not known).
	Offered      []string `json:"offered,omitempty"`
	OfferedRound int      `json:"offered_round,omitempty"`
	// NegotiateOffered reports that the server offered Negotiate (or
	// Kerberos).
	NegotiateOffered bool `json:"negotiate_offered"`
	// Mechanism is what authenticated: kerberos, ntlm, anonymous (the server
	// did not ask), or none.
	Mechanism Mechanism `json:"mechanism"`
	// Authenticated reports that a request was authenticated (or served
	// without authentication being asked).
	Authenticated bool `json:"authenticated"`
	// FellBackToNTLM reports that NTLM authenticated although Negotiate was
	// offered (or Kerberos was attempted): Kerberos did not complete.
	FellBackToNTLM bool `json:"fell_back_to_ntlm"`
	// Kerberos and NTLM say what each mechanism did.
	Kerberos KerberosOutcome `json:"kerberos"`
	NTLM     NTLMOutcome     `json:"ntlm"`
	// MutualAuth reports a Kerberos AP-REP from the server;
	// MutualAuthVerified that the probe verified it.
	MutualAuth         bool `json:"mutual_auth"`
	MutualAuthVerified bool `json:"mutual_auth_verified,omitempty"`
	// ReauthOnSameConnection is true when an unauthenticated request on the
	// authenticated connection was challenged again, false when it was
	// served; absent when not tested (probes; ReuseNote says why).
	ReauthOnSameConnection *bool  `json:"reauth_on_same_connection,omitempty"`
	ReuseNote              string `json:"reuse_note,omitempty"`
	// ReauthRound is the round of a 401 Negotiate challenge to a request
	// without credentials after Kerberos had authenticated (0: none).
	ReauthRound int `json:"reauth_round,omitempty"`
	// PersistentAuthFalseRound is the first Kerberos-authenticated response
	// that says "Persistent-Auth: false" (0: none).
	PersistentAuthFalseRound int `json:"persistent_auth_false_round,omitempty"`
	// ObserverSees is what an on-path device reads from the token that
	// authenticated (probes).
	ObserverSees string `json:"observer_sees,omitempty"`
	// FinalStatus is the status of the last response.
	FinalStatus int `json:"final_status,omitempty"`
	// Truncated reports a trace cut off at TruncatedLine (0 when unknown).
	Truncated     bool `json:"truncated,omitempty"`
	TruncatedLine int  `json:"truncated_line,omitempty"`
	// Notes are what the reader or the probe noticed ("line 30: the text
	// ends in the middle of this line").
	Notes []string `json:"notes,omitempty"`
}

// HandshakeKind is what a Handshake was built from.
type HandshakeKind string

// Handshake kinds.
const (
	HandshakeProbe  HandshakeKind = "probe"  // a negotiate.Transcript
	HandshakeTrace  HandshakeKind = "trace"  // an HTTPTrace
	HandshakeTokens HandshakeKind = "tokens" // ObservedTokens outside any trace
)

// Mechanism is an authentication mechanism as the model names it.
type Mechanism string

// Mechanisms.
const (
	MechNone      Mechanism = "none"      // no credentials, no token, or nothing authenticated
	MechKerberos  Mechanism = "kerberos"  // a Kerberos message (raw or inside SPNEGO)
	MechNTLM      Mechanism = "ntlm"      // an NTLM message (raw or inside SPNEGO)
	MechSPNEGO    Mechanism = "spnego"    // a SPNEGO token that names no mechanism
	MechBasic     Mechanism = "basic"     // Basic credentials (never kept)
	MechOther     Mechanism = "other"     // another scheme or SPNEGO mechanism (Digest, Bearer, NegoEx)
	MechUnknown   Mechanism = "unknown"   // a token that is not decoded (redacted, cut off, not a token)
	MechAnonymous Mechanism = "anonymous" // Handshake.Mechanism: the server did not ask for authentication
)

// MessageType is the message a token carries.
type MessageType string

// Message types.
const (
	MsgNone             MessageType = "none"              // no token (a bare challenge)
	MsgAPReq            MessageType = "ap-req"            // Kerberos AP-REQ (the service ticket)
	MsgAPRep            MessageType = "ap-rep"            // Kerberos AP-REP (mutual authentication)
	MsgKRBError         MessageType = "krb-error"         // Kerberos KRB-ERROR
	MsgNTLMNegotiate    MessageType = "ntlm-negotiate"    // NTLM NEGOTIATE (type 1)
	MsgNTLMChallenge    MessageType = "ntlm-challenge"    // NTLM CHALLENGE (type 2)
	MsgNTLMAuthenticate MessageType = "ntlm-authenticate" // NTLM AUTHENTICATE (type 3)
	MsgSPNEGOInit       MessageType = "spnego-init"       // SPNEGO NegTokenInit(2) without a mechanism token
	MsgSPNEGOResp       MessageType = "spnego-resp"       // SPNEGO NegTokenResp without a mechanism token
	MsgUnknown          MessageType = "unknown"           // a token that is not decoded
)

// IsNTLM reports whether m is an NTLM message.
func (m MessageType) IsNTLM() bool {
	return m == MsgNTLMNegotiate || m == MsgNTLMChallenge || m == MsgNTLMAuthenticate
}

// SPNEGOToken is a SPNEGO message (RFC 4178, MS-SPNG).
type SPNEGOToken string

// SPNEGO messages.
const (
	SPNEGOInit  SPNEGOToken = "neg-token-init"
	SPNEGOInit2 SPNEGOToken = "neg-token-init2" // the server's hint (MS-SPNG 2.2.1)
	SPNEGOResp  SPNEGOToken = "neg-token-resp"
)

// TokenState says what the evidence kept of a token.
type TokenState string

// Token states.
const (
	TokenNone      TokenState = "none"      // the scheme carries no token (a bare challenge)
	TokenDecoded   TokenState = "decoded"   // decoded: the fields below are set
	TokenUndecoded TokenState = "undecoded" // bytes that are not a Negotiate, Kerberos or NTLM token
	TokenRedacted  TokenState = "redacted"  // replaced by a placeholder before the evidence was shared
	TokenTruncated TokenState = "truncated" // cut off in the evidence
	TokenUnparsed  TokenState = "unparsed"  // the header value is not understood
)

// NTLMVersion is the response version of an NTLM AUTHENTICATE.
type NTLMVersion string

// NTLM response versions.
const (
	NTLMVersionV1        NTLMVersion = "ntlmv1"
	NTLMVersionV2        NTLMVersion = "ntlmv2"
	NTLMVersionAnonymous NTLMVersion = "anonymous"
	NTLMVersionUnknown   NTLMVersion = "unknown"
)

// KerberosFailure says why Kerberos did not authenticate.
type KerberosFailure string

// Kerberos failures.
const (
	KerberosNotAttempted KerberosFailure = "not-attempted" // no AP-REQ was sent
	// KerberosNoTicket: the client sent NTLM inside Negotiate without an
	// AP-REQ (it could not get a service ticket).
	KerberosNoTicket   KerberosFailure = "no-ticket"
	KerberosKDCError   KerberosFailure = "kdc-error"  // the KDC refused the ticket (probe)
	KerberosKRBError   KerberosFailure = "krb-error"  // the server answered with a KRB-ERROR
	KerberosRejected   KerberosFailure = "rejected"   // the server answered the AP-REQ with 401
	KerberosIncomplete KerberosFailure = "incomplete" // an AP-REQ was sent, the outcome is not shown
	KerberosError      KerberosFailure = "error"      // another failure (the probe's FailureDetail)
)

// KerberosOutcome is what Kerberos did in a handshake. Rounds are 1-based
// indexes into Handshake.Rounds, 0 when the evidence does not show one.
type KerberosOutcome struct {
	// Attempted reports an AP-REQ sent (a probe: a service ticket requested);
	// AttemptRound is the first.
	Attempted    bool `json:"attempted"`
	AttemptRound int  `json:"attempt_round,omitempty"`
	// Authenticated reports a successful response to an AP-REQ;
	// AuthenticatedRound is the first.
	Authenticated      bool `json:"authenticated"`
	AuthenticatedRound int  `json:"authenticated_round,omitempty"`
	// RejectedRound is the first 401 answering an AP-REQ.
	RejectedRound int `json:"rejected_round,omitempty"`
	// Error is the Kerberos error (KDC or KRB-ERROR token); ErrorRound the
	// response that carried it.
	Error      *KerberosErrorInfo `json:"error,omitempty"`
	ErrorRound int                `json:"error_round,omitempty"`
	// Failure says why Kerberos did not authenticate; FailureDetail is the
	// probe's own explanation.
	Failure       KerberosFailure `json:"failure,omitempty"`
	FailureDetail string          `json:"failure_detail,omitempty"`
}

// NTLMOutcome is what NTLM did in a handshake.
type NTLMOutcome struct {
	// Used reports NTLM messages sent by the client.
	Used bool `json:"used"`
	// InNegotiateRound is the first request carrying an NTLM message under
	// the Negotiate scheme.
	InNegotiateRound int `json:"in_negotiate_round,omitempty"`
	// AuthenticateRound is the last request carrying an NTLM AUTHENTICATE;
	// User is its DOMAIN\user.
	AuthenticateRound int    `json:"authenticate_round,omitempty"`
	User              string `json:"user,omitempty"`
	// Authenticated reports a successful response to an AUTHENTICATE;
	// AuthenticatedRound is the first.
	Authenticated      bool `json:"authenticated"`
	AuthenticatedRound int  `json:"authenticated_round,omitempty"`
	// Failure is the probe's explanation when NTLM failed.
	Failure string `json:"failure,omitempty"`
}

// KerberosErrorInfo is a Kerberos error code with its name and meaning.
type KerberosErrorInfo struct {
	Code    int32  `json:"code"`
	Name    string `json:"name"`
	Meaning string `json:"meaning,omitempty"`
	// SPN and Realm are the service the error is about, when it says.
	SPN   string `json:"spn,omitempty"`
	Realm string `json:"realm,omitempty"`
	// Service reports an error from the server (AP exchange), not the KDC.
	Service bool `json:"service,omitempty"`
	// Text is the error as the probe reports it.
	Text string `json:"text,omitempty"`
}

// Round is one request and its response. Either may be absent: a trace
// can show a response without its request, or a request without a
// response; tokens seen alone are one round each.
type Round struct {
	// Step is the probe's purpose for the round ("initial", "kerberos",
	// "ntlm-negotiate", "ntlm-authenticate", "reuse-check").
	Step string `json:"step,omitempty"`
	// Source is where a token seen alone was found ("http/a.txt:12").
	Source string `json:"source,omitempty"`
	// Connection numbers the connections as the evidence shows them
	// (1-based): a probe's from its connection reuse, a trace's from the
	// responses that close their connection.
	Connection int `json:"connection,omitempty"`
	// Reused reports that the connection carried an earlier request
	// (probes; absent when not known).
	Reused   *bool     `json:"reused,omitempty"`
	Request  *Request  `json:"request,omitempty"`
	Response *Response `json:"response,omitempty"`
	// Error is the probe's transport error for a round without a response.
	Error string `json:"error,omitempty"`
}

// Request is an HTTP request of a handshake.
type Request struct {
	// Line is the request line's line in the trace (0: not a trace, or no
	// request line).
	Line   int    `json:"line,omitempty"`
	Method string `json:"method,omitempty"`
	Target string `json:"target,omitempty"`
	Proto  string `json:"proto,omitempty"`
	// Auth is the Authorization header (nil: none), ProxyAuth the
	// Proxy-Authorization header.
	Auth      *AuthToken `json:"auth,omitempty"`
	ProxyAuth *AuthToken `json:"proxy_auth,omitempty"`
}

// Mechanism is the mechanism of the request's credentials (none without).
func (r *Request) Mechanism() Mechanism {
	if r == nil || r.Auth == nil {
		return MechNone
	}
	return r.Auth.Mechanism
}

// MessageType is the message of the request's credentials (none without).
func (r *Request) MessageType() MessageType {
	if r == nil || r.Auth == nil {
		return MsgNone
	}
	return r.Auth.MessageType
}

// Response is an HTTP response of a handshake.
type Response struct {
	Line int `json:"line,omitempty"`
	// Status is the status code; 0 when the evidence shows headers only.
	Status int    `json:"status"`
	Proto  string `json:"proto,omitempty"`
	// Challenges are the WWW-Authenticate challenges in order,
	// ProxyChallenges the Proxy-Authenticate ones.
	Challenges      []AuthToken `json:"challenges,omitempty"`
	ProxyChallenges []AuthToken `json:"proxy_challenges,omitempty"`
	// ConnectionClose says how the response closes its connection
	// ("Connection: close"); ConnectionCloseLine is the line showing it.
	ConnectionClose     string `json:"connection_close,omitempty"`
	ConnectionCloseLine int    `json:"connection_close_line,omitempty"`
	// PersistentAuth is the Persistent-Auth header (absent: not sent).
	PersistentAuth *bool `json:"persistent_auth,omitempty"`
}

// AuthToken is one authentication scheme of a header with what its token
// shows; never the token itself.
type AuthToken struct {
	// Line is the header's line in a trace.
	Line int `json:"line,omitempty"`
	// Scheme is the scheme as sent ("Negotiate", "NTLM"); empty for a
	// token seen without its header.
	Scheme      string      `json:"scheme"`
	Mechanism   Mechanism   `json:"mechanism"`
	MessageType MessageType `json:"message_type"`
	Token       TokenState  `json:"token"`
	// TokenBytes is the token's length (never its bytes).
	TokenBytes int `json:"token_bytes,omitempty"`
	// SPNEGO is the SPNEGO message around the token (absent: a raw
	// Kerberos or NTLM token); NegState is a NegTokenResp's negotiation
	// state ("accept-incomplete"); SPNEGOMech is the mechanism a SPNEGO token
	// without a mechanism message names ("Kerberos", "NTLM", "NegoEx").
	SPNEGO     SPNEGOToken `json:"spnego,omitempty"`
	NegState   string      `json:"neg_state,omitempty"`
	SPNEGOMech string      `json:"spnego_mech,omitempty"`
	// Partial reports a token decoded from cut-off bytes.
	Partial bool `json:"partial,omitempty"`
	// What an observer reads: Kerberos service and realm, the ticket's
	// encryption type; NTLM user, domain, workstation and the server a
	// CHALLENGE names.
	SPN         string `json:"spn,omitempty"`
	Realm       string `json:"realm,omitempty"`
	EncType     string `json:"enc_type,omitempty"`
	User        string `json:"user,omitempty"`
	Domain      string `json:"domain,omitempty"`
	Workstation string `json:"workstation,omitempty"`
	Server      string `json:"server,omitempty"`
	// NTLMVersion, LMResponseBytes and NTResponseBytes describe an NTLM
	// AUTHENTICATE.
	NTLMVersion     NTLMVersion `json:"ntlm_version,omitempty"`
	LMResponseBytes int         `json:"lm_response_bytes,omitempty"`
	NTResponseBytes int         `json:"nt_response_bytes,omitempty"`
	// KerberosError is a KRB-ERROR's code.
	KerberosError *KerberosErrorInfo `json:"kerberos_error,omitempty"`
	// Summary is one sentence on what an observer on the path reads.
	Summary string `json:"summary,omitempty"`

	// value numbers the header value the challenge came from (a trace's
	// WWW-Authenticate headers each hold one or more challenges).
	value int
}

// Who is DOMAIN\user from WORKSTATION for an NTLM AUTHENTICATE.
func (a *AuthToken) Who() string {
	who := a.User
	if a.Domain != "" {
		who = a.Domain + `\` + a.User
	}
	if a.Workstation != "" {
		who += " from " + a.Workstation
	}
	return who
}

// isWindows reports whether the scheme is Negotiate, NTLM or Kerberos.
func (a *AuthToken) isWindows() bool {
	return strings.EqualFold(a.Scheme, "Negotiate") || strings.EqualFold(a.Scheme, "NTLM") || strings.EqualFold(a.Scheme, "Kerberos")
}

// bare reports a challenge without a token (an offer).
func (a *AuthToken) bare() bool { return a.Token == TokenNone }

// continues reports whether a challenge carries the next leg of a
// handshake (an NTLM CHALLENGE, a SPNEGO accept-incomplete) rather than a
// rejection.
func (a *AuthToken) continues() bool {
	return a.MessageType == MsgNTLMChallenge || a.NegState == negotiate.AcceptIncomplete.String() && a.MessageType != MsgKRBError
}

// maxHandshakes bounds the handshakes copied into a report (the checks see
// all of them).
const maxHandshakes = 20

// buildHandshakes builds the model of every handshake in ev: one per probe,
// one per HTTP trace with messages, and one for the tokens that no trace
// holds.
func buildHandshakes(ev *Evidence) []Handshake {
	if ev == nil {
		return nil
	}
	var out []Handshake
	for _, t := range ev.Probes {
		if t != nil {
			out = append(out, handshakeFromProbe(t))
		}
	}
	for _, tr := range ev.HTTPTraces {
		if tr != nil && len(tr.Messages) > 0 {
			out = append(out, handshakeFromTrace(tr))
		}
	}
	if h, ok := handshakeFromTokens(ev.Tokens, ev.HTTPTraces); ok {
		out = append(out, h)
	}
	return out
}

// The model is built once per Diagnose: Diagnose registers it for its
// evidence, and the checks and the verdict look it up.
var handshakeMemo = struct {
	sync.Mutex
	m map[*Evidence]*memoEntry
}{m: map[*Evidence]*memoEntry{}}

type memoEntry struct {
	hs   []Handshake
	refs int
}

// rememberHandshakes builds the model of ev and makes handshakesFor return
// it until release is called.
func rememberHandshakes(ev *Evidence) (hs []Handshake, release func()) {
	handshakeMemo.Lock()
	e := handshakeMemo.m[ev]
	if e == nil {
		e = &memoEntry{hs: buildHandshakes(ev)}
		handshakeMemo.m[ev] = e
	}
	e.refs++
	handshakeMemo.Unlock()
	return e.hs, func() {
		handshakeMemo.Lock()
		defer handshakeMemo.Unlock()
		if e.refs--; e.refs == 0 {
			delete(handshakeMemo.m, ev)
		}
	}
}

// handshakesFor returns the model of ev: the one Diagnose built, or a new one.
func handshakesFor(ev *Evidence) []Handshake {
	handshakeMemo.Lock()
	e := handshakeMemo.m[ev]
	handshakeMemo.Unlock()
	if e != nil {
		return e.hs
	}
	return buildHandshakes(ev)
}

// handshakesOf is handshakesFor once per check run.
func handshakesOf(p *Pass) []Handshake {
	v, _ := p.Shared("diagnose:handshakes", func() (any, error) { return handshakesFor(p.Evidence), nil })
	hs, _ := v.([]Handshake)
	return hs
}

// handshakeFromProbe models a probe transcript: its rounds and its own
// conclusions.
func handshakeFromProbe(t *negotiate.Transcript) Handshake {
	h := Handshake{Source: "probe " + t.URL, Kind: HandshakeProbe, URL: t.URL, SPN: t.SPN, SPNSource: t.SPNSource,
		Offered: t.Offered, NegotiateOffered: t.NegotiateOffered, Authenticated: t.Authenticated,
		MutualAuth: t.MutualAuth, MutualAuthVerified: t.MutualAuthVerified, ReuseNote: t.ReuseNote,
		ObserverSees: t.ObserverSees, FinalStatus: t.FinalStatus, Notes: t.Notes}
	if t.ReauthOnSameConnection != nil {
		v := *t.ReauthOnSameConnection
		h.ReauthOnSameConnection = &v
	}
	switch t.Mechanism {
	case "Kerberos":
		h.Mechanism = MechKerberos
	case "NTLM":
		h.Mechanism = MechNTLM
	case "anonymous":
		h.Mechanism = MechAnonymous
	default:
		h.Mechanism = MechNone
	}
	target := "/"
	if u, err := url.Parse(t.URL); err == nil && u.EscapedPath() != "" {
		target = u.EscapedPath()
	}
	conn := 0
	for _, rd := range t.Rounds {
		if !rd.Conn.Reused || conn == 0 {
			conn++
		}
		reused := rd.Conn.Reused
		method := rd.Method
		if method == "" {
			method = http.MethodGet
		}
		r := Round{Step: rd.Step, Connection: conn, Reused: &reused, Error: rd.Err,
			Request: &Request{Method: method, Target: target}}
		if v := rd.Request.Get("Authorization"); v != "" {
			r.Request.Auth = probeAuth(v, rd.Sent)
		}
		if rd.Status != 0 {
			resp := &Response{Status: rd.Status}
			for j, c := range rd.Challenges {
				var tok *negotiate.Token
				if j < len(rd.Tokens) {
					tok = rd.Tokens[j]
				}
				resp.Challenges = append(resp.Challenges, authToken(c, tok, 0, 0))
			}
			resp.ConnectionClose = connectionCloses(rd.Header, "")
			if pa, ok := negotiate.PersistentAuth(rd.Header); ok {
				resp.PersistentAuth = &pa
			}
			r.Response = resp
		}
		h.Rounds = append(h.Rounds, r)
	}
	if h.Rounds == nil {
		h.Rounds = []Round{}
	}
	// Per-round facts the transcript does not state; the probe's own
	// conclusions win over what the rounds show.
	scanRounds(&h)
	h.Offered, h.NegotiateOffered, h.MutualAuth, h.OfferedRound, h.ReauthRound = t.Offered, t.NegotiateOffered, t.MutualAuth, 0, 0
	for i, r := range h.Rounds {
		if r.Response != nil && r.Response.Status == http.StatusUnauthorized && h.OfferedRound == 0 {
			h.OfferedRound = i + 1
		}
		if r.Step == "reuse-check" && t.ReauthOnSameConnection != nil && *t.ReauthOnSameConnection {
			h.ReauthRound = i + 1
		}
	}
	k := &h.Kerberos
	k.Attempted = t.KerberosAttempted
	k.Authenticated = t.Authenticated && t.Mechanism == "Kerberos"
	k.FailureDetail = t.KerberosFailure
	if e := t.KerberosError; e != nil {
		k.Error = &KerberosErrorInfo{Code: e.Code, Name: e.Name, Meaning: e.Meaning, SPN: e.SPN, Service: e.Service, Text: e.Error()}
	}
	k.Failure = ""
	switch {
	case k.Authenticated:
	case !t.KerberosAttempted:
		k.Failure = KerberosNotAttempted
	case t.KerberosError != nil && t.KerberosError.Service:
		k.Failure = KerberosKRBError
	case t.KerberosError != nil:
		k.Failure = KerberosKDCError
	case k.RejectedRound != 0:
		k.Failure = KerberosRejected
	case t.KerberosFailure != "":
		k.Failure = KerberosError
	}
	nt := &h.NTLM
	nt.Used = t.NTLMUsed || nt.Used
	nt.Authenticated = t.Authenticated && t.Mechanism == "NTLM"
	nt.Failure = t.NTLMFailure
	h.FellBackToNTLM = nt.Authenticated && (t.FellBackToNTLM || t.NegotiateOffered)
	return h
}

// probeAuth models a probe's Authorization header from its decoded token
// (the header's value may be redacted).
func probeAuth(v string, sent *negotiate.Token) *AuthToken {
	if sent != nil {
		scheme := strings.TrimSpace(v)
		if i := strings.IndexAny(scheme, " \t"); i >= 0 {
			scheme = scheme[:i]
		}
		a := authToken(negotiate.Challenge{Scheme: scheme}, sent, 0, 0)
		return &a
	}
	av := parseAuthValue(v, true)
	if len(av.chs) == 0 {
		return &AuthToken{Mechanism: MechUnknown, MessageType: MsgUnknown, Token: TokenUnparsed}
	}
	a := authToken(av.chs[0], av.toks[0], 0, 0)
	return &a
}

// handshakeFromTrace models an HTTP trace: each request with the response
// that follows it; a response without a request before it is a round of
// its own.
func handshakeFromTrace(tr *HTTPTrace) Handshake {
	h := Handshake{Source: tr.Source, Kind: HandshakeTrace, Rounds: []Round{}, Truncated: tr.Truncated}
	for _, n := range tr.Notes {
		if n.Line > 0 {
			h.Notes = append(h.Notes, "line "+strconv.Itoa(n.Line)+": "+validText(n.Message))
		} else {
			h.Notes = append(h.Notes, validText(n.Message))
		}
		if tr.Truncated && n.Line > h.TruncatedLine {
			// The text is cut off at its end: the last line a note is about.
			h.TruncatedLine = n.Line
		}
	}
	conn := 1
	for i := 0; i < len(tr.Messages); i++ {
		m := &tr.Messages[i]
		r := Round{Connection: conn}
		resp := m
		if m.IsRequest() {
			r.Request = traceRequest(m)
			resp = nil
			if i+1 < len(tr.Messages) && !tr.Messages[i+1].IsRequest() {
				i++
				resp = &tr.Messages[i]
			}
		}
		if resp != nil {
			r.Response = traceResponse(resp)
			if r.Response.ConnectionClose != "" {
				conn++
			}
		}
		h.Rounds = append(h.Rounds, r)
	}
	scanRounds(&h)
	for _, r := range h.Rounds {
		if r.Response != nil && r.Response.Status != 0 {
			h.FinalStatus = r.Response.Status
		}
	}
	k, nt := &h.Kerberos, &h.NTLM
	switch {
	case k.AuthenticatedRound > nt.AuthenticatedRound:
		h.Mechanism, h.Authenticated = MechKerberos, true
	case nt.AuthenticatedRound > 0:
		h.Mechanism, h.Authenticated = MechNTLM, true
	case h.OfferedRound == 0 && !h.NegotiateOffered && h.FinalStatus >= 200 && h.FinalStatus < 400 && !anyCredentials(h.Rounds):
		h.Mechanism, h.Authenticated = MechAnonymous, true
	default:
		h.Mechanism = MechNone
	}
	h.FellBackToNTLM = nt.Authenticated && h.NegotiateOffered
	switch {
	case k.Error != nil:
		k.Failure = KerberosKRBError
	case k.RejectedRound != 0:
		k.Failure = KerberosRejected
	case !nt.Authenticated:
	case !k.Attempted && nt.InNegotiateRound != 0:
		k.Failure = KerberosNoTicket
	case !k.Attempted:
		k.Failure = KerberosNotAttempted
	default:
		k.Failure = KerberosIncomplete
	}
	return h
}

func traceRequest(m *HTTPMessage) *Request {
	q := &Request{Line: m.Line, Method: validText(m.Method), Target: validText(m.Target), Proto: validText(m.Proto)}
	if v := m.Header.Get("Authorization"); v != "" {
		q.Auth = headerAuth(v, m.HeaderLine("Authorization", 0))
	}
	if v := m.Header.Get("Proxy-Authorization"); v != "" {
		q.ProxyAuth = headerAuth(v, m.HeaderLine("Proxy-Authorization", 0))
	}
	return q
}

// headerAuth models an Authorization value.
func headerAuth(v string, line int) *AuthToken {
	av := parseAuthValue(v, true)
	if len(av.chs) == 0 {
		return &AuthToken{Line: line, Mechanism: MechUnknown, MessageType: MsgUnknown, Token: TokenUnparsed}
	}
	a := authToken(av.chs[0], av.toks[0], line, 0)
	return &a
}

func traceResponse(m *HTTPMessage) *Response {
	resp := &Response{Line: m.Line, Status: m.Status, Proto: validText(m.Proto)}
	for _, hv := range []struct {
		name string
		dst  *[]AuthToken
	}{{"Www-Authenticate", &resp.Challenges}, {"Proxy-Authenticate", &resp.ProxyChallenges}} {
		for j, v := range m.Header.Values(hv.name) {
			av := parseAuthValue(v, false)
			line := m.HeaderLine(hv.name, j)
			if len(av.chs) == 0 {
				*hv.dst = append(*hv.dst, AuthToken{Line: line, Mechanism: MechUnknown, MessageType: MsgUnknown, Token: TokenUnparsed, value: j})
			}
			for k, c := range av.chs {
				*hv.dst = append(*hv.dst, authToken(c, av.toks[k], line, j))
			}
		}
	}
	if why := connectionCloses(m.Header, m.Proto); why != "" {
		resp.ConnectionClose = why
		resp.ConnectionCloseLine = m.Line
		if ls := m.headerLines["Connection"]; len(ls) > 0 {
			resp.ConnectionCloseLine = ls[0]
		}
	}
	if pa, ok := negotiate.PersistentAuth(m.Header); ok {
		resp.PersistentAuth = &pa
	}
	return resp
}

// scanRounds fills the conclusions that follow from the rounds in order:
// what was offered, which mechanism was sent and how the server answered.
// A response without a request answers the last request before it.
func scanRounds(h *Handshake) {
	k, nt := &h.Kerberos, &h.NTLM
	var last *Request // the request the next response answers
	kerberosOK := false
	for i := range h.Rounds {
		n := i + 1
		r := &h.Rounds[i]
		if q := r.Request; q != nil {
			last = q
			if a := q.Auth; a != nil {
				switch {
				case a.MessageType == MsgAPReq:
					if !k.Attempted {
						k.Attempted, k.AttemptRound = true, n
					}
				case a.MessageType == MsgNTLMAuthenticate:
					nt.Used = true
					nt.AuthenticateRound = n
					nt.User = a.User
					if a.Domain != "" {
						nt.User = a.Domain + `\` + a.User
					}
				case a.MessageType.IsNTLM():
					nt.Used = true
				}
				if a.MessageType.IsNTLM() && strings.EqualFold(a.Scheme, "Negotiate") && nt.InNegotiateRound == 0 {
					nt.InNegotiateRound = n
				}
			}
		}
		resp := r.Response
		if resp == nil {
			continue
		}
		lastMsg := last.MessageType()
		switch {
		case resp.Status == http.StatusUnauthorized || resp.Status == 0:
			for j := range resp.Challenges {
				c := &resp.Challenges[j]
				if strings.EqualFold(c.Scheme, "Negotiate") || strings.EqualFold(c.Scheme, "Kerberos") {
					h.NegotiateOffered = true
				}
				if c.KerberosError != nil && k.Error == nil {
					e := *c.KerberosError
					k.Error, k.ErrorRound = &e, n
				}
			}
			if h.OfferedRound == 0 && hasBare(resp.Challenges) {
				h.OfferedRound = n
				for _, c := range resp.Challenges {
					if c.bare() {
						h.Offered = append(h.Offered, c.Scheme)
					}
				}
			}
			if resp.Status == 0 {
				continue
			}
			if lastMsg == MsgAPReq && k.RejectedRound == 0 {
				k.RejectedRound = n
			}
			if last != nil && last.Auth == nil && kerberosOK && h.ReauthRound == 0 {
				for _, c := range resp.Challenges {
					if c.bare() && strings.EqualFold(c.Scheme, "Negotiate") {
						h.ReauthRound = n
					}
				}
			}
		case resp.Status >= 200 && resp.Status < 300:
			switch lastMsg {
			case MsgNTLMAuthenticate:
				if nt.AuthenticatedRound == 0 {
					nt.Authenticated, nt.AuthenticatedRound = true, n
				}
			case MsgAPReq:
				kerberosOK = true
				if k.AuthenticatedRound == 0 {
					k.Authenticated, k.AuthenticatedRound = true, n
				}
				if resp.PersistentAuth != nil && !*resp.PersistentAuth && h.PersistentAuthFalseRound == 0 {
					h.PersistentAuthFalseRound = n
				}
			}
		}
		for _, c := range resp.Challenges {
			if c.MessageType == MsgAPRep {
				h.MutualAuth = true
			}
		}
	}
}

func hasBare(chs []AuthToken) bool {
	for i := range chs {
		if chs[i].bare() {
			return true
		}
	}
	return false
}

func anyCredentials(rs []Round) bool {
	for _, r := range rs {
		if r.Request != nil && r.Request.Auth != nil {
			return true
		}
	}
	return false
}

// handshakeFromTokens models the tokens that no trace of ev holds (tokens
// given on their own): one round per token, in order.
func handshakeFromTokens(toks []ObservedToken, traces []*HTTPTrace) (Handshake, bool) {
	h := Handshake{Source: "tokens", Kind: HandshakeTokens, Rounds: []Round{}, Mechanism: MechNone}
	for _, ot := range toks {
		if ot.Token == nil || fromTrace(ot.Source, traces) {
			continue
		}
		a := authToken(negotiate.Challenge{}, ot.Token, 0, 0)
		r := Round{Source: ot.Source}
		switch {
		case strings.EqualFold(ot.Header, "WWW-Authenticate"):
			r.Response = &Response{Challenges: []AuthToken{a}}
		case strings.EqualFold(ot.Header, "Proxy-Authenticate"):
			r.Response = &Response{ProxyChallenges: []AuthToken{a}}
		case strings.EqualFold(ot.Header, "Proxy-Authorization"):
			r.Request = &Request{ProxyAuth: &a}
		default:
			r.Request = &Request{Auth: &a}
		}
		h.Rounds = append(h.Rounds, r)
	}
	if len(h.Rounds) == 0 {
		return h, false
	}
	for i, r := range h.Rounds {
		n := i + 1
		if q := r.Request; q != nil && q.Auth != nil {
			switch {
			case q.Auth.MessageType == MsgAPReq && !h.Kerberos.Attempted:
				h.Kerberos.Attempted, h.Kerberos.AttemptRound = true, n
			case q.Auth.MessageType == MsgNTLMAuthenticate:
				h.NTLM.Used, h.NTLM.AuthenticateRound = true, n
				h.NTLM.User = q.Auth.User
				if q.Auth.Domain != "" {
					h.NTLM.User = q.Auth.Domain + `\` + q.Auth.User
				}
			case q.Auth.MessageType.IsNTLM():
				h.NTLM.Used = true
			}
		}
		if r.Response != nil {
			for _, c := range r.Response.Challenges {
				if c.MessageType == MsgAPRep {
					h.MutualAuth = true
				}
				if c.KerberosError != nil && h.Kerberos.Error == nil {
					e := *c.KerberosError
					h.Kerberos.Error, h.Kerberos.ErrorRound = &e, n
				}
			}
		}
	}
	return h, true
}

// fromTrace reports whether a token's source ("http/a.txt:12") names a
// line of one of the traces.
func fromTrace(src string, traces []*HTTPTrace) bool {
	file, line := splitLoc(src)
	if line == "" {
		return false
	}
	for _, t := range traces {
		if t != nil && t.Source == file {
			return true
		}
	}
	return false
}

// authToken models one challenge (or Authorization value) and its decoded
// token (nil when there is none or it did not decode).
func authToken(c negotiate.Challenge, tok *negotiate.Token, line, value int) AuthToken {
	a := AuthToken{Line: line, Scheme: validText(c.Scheme), value: value}
	switch {
	case tok != nil:
		a.Token = TokenDecoded
	case len(c.Token) > 0:
		a.Token, a.TokenBytes = TokenUndecoded, len(c.Token)
	case c.Redacted:
		a.Token = TokenRedacted
	case c.Truncated:
		a.Token = TokenTruncated
	default:
		a.Token = TokenNone
	}
	if tok == nil {
		a.MessageType = MsgNone
		switch {
		case a.Token != TokenNone:
			a.Mechanism, a.MessageType = MechUnknown, MsgUnknown
			if strings.EqualFold(c.Scheme, "NTLM") {
				// An NTLM-scheme token is NTLM whatever the evidence hides.
				a.Mechanism = MechNTLM
			}
		case c.Is("Basic"):
			a.Mechanism = MechBasic
		case c.Is("NTLM"):
			a.Mechanism = MechNTLM
		case c.Is("Kerberos"):
			a.Mechanism = MechKerberos
		case c.Is("Negotiate"):
			a.Mechanism = MechSPNEGO
		case c.Scheme == "":
			a.Mechanism = MechNone
		default:
			a.Mechanism = MechOther
		}
		return a
	}
	a.TokenBytes = tok.Size
	a.Partial = tok.Truncated
	switch tok.Mechanism() {
	case "Kerberos":
		a.Mechanism = MechKerberos
	case "NTLM":
		a.Mechanism = MechNTLM
	case "SPNEGO":
		a.Mechanism = MechSPNEGO
	default:
		a.Mechanism = MechOther
	}
	if s := tok.SPNEGO; s != nil {
		switch tok.Kind {
		case negotiate.SPNEGOInit:
			a.SPNEGO = SPNEGOInit
		case negotiate.SPNEGOInit2:
			a.SPNEGO = SPNEGOInit2
		case negotiate.SPNEGOResp:
			a.SPNEGO = SPNEGOResp
			a.NegState = s.NegState.String()
		}
		if tok.Kerberos == nil && tok.NTLM == nil {
			a.SPNEGOMech = tok.Mechanism()
		}
	}
	switch {
	case tok.Kerberos != nil && tok.Kerberos.APReq != nil:
		a.MessageType = MsgAPReq
	case tok.Kerberos != nil && tok.Kerberos.APRep != nil:
		a.MessageType = MsgAPRep
	case tok.Kerberos != nil && tok.Kerberos.Error != nil:
		a.MessageType = MsgKRBError
		e := tok.Kerberos.Error
		a.KerberosError = &KerberosErrorInfo{Code: e.Code, Name: e.Name, Meaning: e.Meaning, SPN: e.SPN, Realm: e.Realm, Service: true}
	case tok.NTLM != nil && tok.NTLM.MessageType == 1:
		a.MessageType = MsgNTLMNegotiate
	case tok.NTLM != nil && tok.NTLM.MessageType == 2:
		a.MessageType = MsgNTLMChallenge
	case tok.NTLM != nil && tok.NTLM.MessageType == 3:
		a.MessageType = MsgNTLMAuthenticate
		switch tok.NTLM.Version() {
		case negotiate.NTLMv1:
			a.NTLMVersion = NTLMVersionV1
		case negotiate.NTLMv2:
			a.NTLMVersion = NTLMVersionV2
		case negotiate.Anonymous:
			a.NTLMVersion = NTLMVersionAnonymous
		default:
			a.NTLMVersion = NTLMVersionUnknown
		}
		a.LMResponseBytes, a.NTResponseBytes = tok.NTLM.LMResponseLen, tok.NTLM.NTResponseLen
	case a.SPNEGO == SPNEGOResp:
		a.MessageType = MsgSPNEGOResp
	case a.SPNEGO != "":
		a.MessageType = MsgSPNEGOInit
	default:
		a.MessageType = MsgUnknown
	}
	v := tok.Visible()
	a.Summary = v.Summary
	if a.Summary == "" {
		a.Summary = tok.Kind.String()
	}
	a.SPN, a.Realm, a.EncType = v.SPN, v.Realm, v.EncType
	a.User, a.Domain, a.Workstation, a.Server = v.User, v.Domain, v.Workstation, v.Server
	for _, f := range []*string{&a.Summary, &a.SPN, &a.Realm, &a.User, &a.Domain, &a.Workstation, &a.Server, &a.SPNEGOMech} {
		*f = validText(*f)
	}
	if e := a.KerberosError; e != nil {
		e.Name, e.Meaning, e.SPN, e.Realm = validText(e.Name), validText(e.Meaning), validText(e.SPN), validText(e.Realm)
	}
	return a
}

// validText replaces what is not UTF-8 in text taken from the evidence, so
// that the model's JSON reads back the same.
func validText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// authValue is one parsed authentication header value with the decoded
// token of each challenge (nil where there is none or it did not decode).
type authValue struct {
	chs  []negotiate.Challenge
	toks []*negotiate.Token
}

func parseAuthValue(v string, authorization bool) authValue {
	var av authValue
	if authorization {
		c, err := negotiate.ParseAuthorization(v)
		if c.Scheme != "" && (err == nil || c.Truncated) {
			av.chs = []negotiate.Challenge{c}
		}
	} else {
		av.chs, _ = negotiate.ParseChallengeValue(v)
	}
	av.toks = make([]*negotiate.Token, len(av.chs))
	for i, c := range av.chs {
		if len(c.Token) > 0 {
			av.toks[i], _ = negotiate.DecodeToken(c.Token)
		}
	}
	return av
}

// connectionCloses says how a response with these headers closes its
// connection ("Connection: close", an HTTP/1.0 response without
// keep-alive), or "".
func connectionCloses(h http.Header, proto string) string {
	for _, name := range []string{"Connection", "Proxy-Connection"} {
		for _, v := range h.Values(name) {
			for _, tok := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(tok), "close") {
					return name + ": close"
				}
			}
		}
	}
	if proto == "HTTP/1.0" && !strings.Contains(strings.ToLower(strings.Join(h.Values("Connection"), ",")), "keep-alive") {
		return "an HTTP/1.0 response without keep-alive"
	}
	return ""
}

// round returns the round with 1-based index n, or nil.
func (h *Handshake) round(n int) *Round {
	if n < 1 || n > len(h.Rounds) {
		return nil
	}
	return &h.Rounds[n-1]
}

// requestLine is the line of the request of round n (0: not known).
func (h *Handshake) requestLine(n int) int {
	if r := h.round(n); r != nil && r.Request != nil {
		return r.Request.Line
	}
	return 0
}

// responseLine is the line of the response of round n (0: not known).
func (h *Handshake) responseLine(n int) int {
	if r := h.round(n); r != nil && r.Response != nil {
		return r.Response.Line
	}
	return 0
}

// subject is what a finding about the handshake is about: the probed URL
// or the trace.
func (h *Handshake) subject() string {
	if h.URL != "" {
		return h.URL
	}
	return h.Source
}

// transportProblems are what a handshake shows about the connection that
// makes Windows authentication impossible.
type transportProblems struct {
	// closeRound is the first 401 that carries an NTLM CHALLENGE and closes
	// its connection; closeRedacted says the challenge was redacted.
	closeRound    int
	closeRedacted bool
	// http2Round is the first request sending Negotiate/NTLM/Kerberos
	// credentials over HTTP/2 or HTTP/3.
	http2Round int
}

func (h *Handshake) transport() transportProblems {
	var tp transportProblems
	for i := range h.Rounds {
		r := &h.Rounds[i]
		if q := r.Request; q != nil && tp.http2Round == 0 && q.Auth != nil && q.Auth.Token != TokenUnparsed && q.Auth.isWindows() &&
			(strings.HasPrefix(q.Proto, "HTTP/2") || strings.HasPrefix(q.Proto, "HTTP/3")) {
			tp.http2Round = i + 1
		}
		resp := r.Response
		if resp == nil || tp.closeRound != 0 || resp.Status != http.StatusUnauthorized || resp.ConnectionClose == "" {
			continue
		}
		for _, c := range resp.Challenges {
			// A server's NTLM token is always its CHALLENGE, even when the
			// evidence hides it.
			if c.MessageType == MsgNTLMChallenge || strings.EqualFold(c.Scheme, "NTLM") && c.Token != TokenNone && c.Token != TokenDecoded {
				tp.closeRound = i + 1
				tp.closeRedacted = tp.closeRedacted || c.Token == TokenRedacted
			}
		}
	}
	return tp
}

// describeSent says what an Authorization header carried, for messages:
// "Negotiate credentials carrying a raw NTLM NEGOTIATE message (the client
// is not using Kerberos)".
func describeSent(a *AuthToken) string {
	switch {
	case a.Token == TokenRedacted:
		return a.Scheme + " credentials (token redacted in the trace)"
	case a.Token != TokenDecoded:
		return a.Scheme + " credentials"
	case strings.EqualFold(a.Scheme, "Negotiate") && a.SPNEGO == "" && a.MessageType.IsNTLM():
		return "Negotiate credentials carrying a raw " + a.MessageType.Name() + " message (the client is not using Kerberos)"
	}
	return a.Scheme + " credentials carrying " + a.MessageType.Name()
}

// Name is the message's name in text: "Kerberos AP-REQ", "NTLM CHALLENGE".
func (m MessageType) Name() string {
	switch m {
	case MsgAPReq:
		return "Kerberos AP-REQ"
	case MsgAPRep:
		return "Kerberos AP-REP"
	case MsgKRBError:
		return "Kerberos KRB-ERROR"
	case MsgNTLMNegotiate:
		return "NTLM NEGOTIATE"
	case MsgNTLMChallenge:
		return "NTLM CHALLENGE"
	case MsgNTLMAuthenticate:
		return "NTLM AUTHENTICATE"
	case MsgSPNEGOInit:
		return "SPNEGO NegTokenInit"
	case MsgSPNEGOResp:
		return "SPNEGO NegTokenResp"
	case MsgNone:
		return "no token"
	}
	return "unknown token"
}

// Name is the SPNEGO message's name in text: "SPNEGO NegTokenInit".
func (s SPNEGOToken) Name() string {
	switch s {
	case SPNEGOInit:
		return "SPNEGO NegTokenInit"
	case SPNEGOInit2:
		return "SPNEGO NegTokenInit2"
	case SPNEGOResp:
		return "SPNEGO NegTokenResp"
	}
	return string(s)
}

// mechMessage reports whether m is a Kerberos or NTLM message.
func (m MessageType) mechMessage() bool {
	switch m {
	case MsgAPReq, MsgAPRep, MsgKRBError:
		return true
	}
	return m.IsNTLM()
}

// Label names the token's message and the fields an observer can read in
// it, never its bytes: "Kerberos AP-REQ in SPNEGO NegTokenInit (SPN
// HTTP/ns01, realm EXAMPLE.COM, aes256-cts-hmac-sha1-96)".
func (a *AuthToken) Label() string {
	if a.Token != TokenDecoded {
		return "token not decoded"
	}
	var s string
	switch {
	case a.SPNEGO != "" && a.MessageType.mechMessage():
		s = a.MessageType.Name() + " in " + a.SPNEGO.Name()
	case a.SPNEGO != "":
		s = a.SPNEGO.Name()
		if a.SPNEGOMech != "" && a.SPNEGOMech != "SPNEGO" {
			s += " (" + a.SPNEGOMech + ")"
		}
	default:
		s = a.MessageType.Name()
	}
	var parts []string
	if a.KerberosError != nil && a.KerberosError.Name != "" {
		parts = append(parts, a.KerberosError.Name)
	}
	if a.SPN != "" {
		parts = append(parts, "SPN "+a.SPN)
	}
	if a.Realm != "" {
		parts = append(parts, "realm "+a.Realm)
	}
	if a.EncType != "" {
		parts = append(parts, a.EncType)
	}
	if a.MessageType == MsgNTLMAuthenticate {
		parts = append(parts, a.NTLMVersion.Name())
	}
	switch {
	case a.User != "" && a.Domain != "":
		parts = append(parts, "user "+a.Domain+`\`+a.User)
	case a.User != "":
		parts = append(parts, "user "+a.User)
	case a.Domain != "" && a.MessageType.IsNTLM():
		parts = append(parts, "domain "+a.Domain)
	}
	if a.Workstation != "" {
		parts = append(parts, "workstation "+a.Workstation)
	}
	if a.Server != "" {
		parts = append(parts, "server "+a.Server)
	}
	if a.Partial {
		parts = append(parts, "truncated")
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// Name is the version as negotiate names it ("NTLMv2").
func (v NTLMVersion) Name() string {
	switch v {
	case NTLMVersionV1:
		return "NTLMv1"
	case NTLMVersionV2:
		return "NTLMv2"
	case NTLMVersionAnonymous:
		return "anonymous"
	}
	return "unknown"
}
