package diagnose

// The trace reader's tests (httptrace_*_test.go) assert what a trace shows
// about the handshake as line numbers. They read it through this view of
// the Handshake model, which is the only interpretation of a trace.

// traceFlow is a trace's handshake in line numbers (0: not seen).
type traceFlow struct {
	offered          []string
	offeredLine      int
	negotiateOffered bool
	kerberosSent     int // an AP-REQ sent
	kerberosRejected int // a 401 after an AP-REQ
	kerberosSuccess  int // a 2xx after an AP-REQ
	ntlmSent         int // the last NTLM AUTHENTICATE sent
	ntlmSuccess      int // a 2xx after an NTLM AUTHENTICATE
	ntlmUnderNego    bool
	closeOnChallenge int // the line showing a 401 NTLM challenge closing its connection
	closeWhy         string
	closeRedacted    bool
	http2            int // the Authorization line of credentials sent over HTTP/2 or 3
	http2Answered    bool
	truncated        int // the line where the trace is cut off (-1: not known)
}

func analyzeTrace(t *HTTPTrace) traceFlow {
	h := handshakeFromTrace(t)
	f := traceFlow{offered: h.Offered, offeredLine: h.responseLine(h.OfferedRound), negotiateOffered: h.NegotiateOffered,
		kerberosSent: h.requestLine(h.Kerberos.AttemptRound), kerberosRejected: h.responseLine(h.Kerberos.RejectedRound),
		kerberosSuccess: h.responseLine(h.Kerberos.AuthenticatedRound), ntlmSent: h.requestLine(h.NTLM.AuthenticateRound),
		ntlmSuccess: h.responseLine(h.NTLM.AuthenticatedRound), ntlmUnderNego: h.NTLM.InNegotiateRound != 0}
	tp := h.transport()
	if tp.closeRound != 0 {
		resp := h.round(tp.closeRound).Response
		f.closeOnChallenge, f.closeWhy, f.closeRedacted = resp.ConnectionCloseLine, resp.ConnectionClose, tp.closeRedacted
	}
	if tp.http2Round != 0 {
		r := h.round(tp.http2Round)
		f.http2, f.http2Answered = r.Request.Auth.Line, r.Response != nil
	}
	if h.Truncated {
		f.truncated = h.TruncatedLine
		if f.truncated == 0 {
			f.truncated = -1
		}
	}
	return f
}

// traceExchange is the report's text summary of one trace.
func traceExchange(tr *HTTPTrace) Exchange {
	h := handshakeFromTrace(tr)
	return exchangeOf(&h)
}
