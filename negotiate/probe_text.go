package negotiate

import (
	"fmt"
	"io"
	"strings"
)

// Verdict summarises the transcript in one or two sentences: which mechanism
// authenticated, why Kerberos did not, and what the same-connection check
// showed.
func (t *Transcript) Verdict() string {
	var b strings.Builder
	switch {
	case t.Mechanism == "anonymous":
		fmt.Fprintf(&b, "The server did not ask for authentication (HTTP %d).", t.FinalStatus)
	case t.Mechanism == "Kerberos":
		fmt.Fprintf(&b, "Kerberos authenticated the request for %s", t.SPN)
		if t.Ticket != nil {
			fmt.Fprintf(&b, " (ticket %s, kvno %d)", t.Ticket.EncType, t.Ticket.KVNO)
		}
		switch {
		case t.MutualAuthVerified:
			b.WriteString("; the server proved its identity (mutual authentication verified).")
		case t.MutualAuth:
			b.WriteString("; the server sent an AP-REP that did not verify.")
		default:
			b.WriteString("; the server sent no AP-REP (no mutual authentication).")
		}
	case t.Mechanism == "NTLM" && t.FellBackToNTLM:
		fmt.Fprintf(&b, "Kerberos failed (%s); NTLM succeeded (fallback).", t.KerberosFailure)
	case t.Mechanism == "NTLM":
		fmt.Fprintf(&b, "NTLM authenticated the request; Kerberos was not attempted (%s).", strings.TrimPrefix(t.KerberosFailure, "not attempted: "))
	default:
		fmt.Fprintf(&b, "Authentication failed (final HTTP %d).", t.FinalStatus)
		if t.KerberosFailure != "" {
			fmt.Fprintf(&b, " Kerberos: %s.", t.KerberosFailure)
		}
		if t.NTLMFailure != "" {
			fmt.Fprintf(&b, " NTLM: %s.", t.NTLMFailure)
		}
	}
	if t.ReauthOnSameConnection != nil {
		if *t.ReauthOnSameConnection {
			b.WriteString(" A second request on the same connection was challenged again: authentication is per request (IIS authPersistNonNTLM=false behaves like this).")
		} else {
			b.WriteString(" A second request on the same connection was served without a new handshake: authentication persists for the connection.")
		}
	}
	return b.String()
}

// WriteText writes the transcript for people: the verdict, the facts, then
// every round with its headers and decoded tokens.
func (t *Transcript) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("URL:        %s\n", t.URL)
	ew.printf("SPN:        %s (%s)\n", t.SPN, t.SPNSource)
	ew.printf("Verdict:    %s\n", t.Verdict())
	if len(t.Offered) > 0 {
		ew.printf("Offered:    %s\n", strings.Join(t.Offered, ", "))
	}
	mech := t.Mechanism
	if mech == "" {
		mech = "none (not authenticated)"
	}
	ew.printf("Mechanism:  %s\n", mech)
	if t.ObserverSees != "" {
		ew.printf("Observer:   %s\n", t.ObserverSees)
	}
	if t.Ticket != nil {
		ew.printf("Ticket:     %s@%s %s kvno %d\n", t.Ticket.Server, t.Ticket.Realm, t.Ticket.EncType, t.Ticket.KVNO)
	}
	if t.KerberosFailure != "" {
		ew.printf("Kerberos:   %s\n", t.KerberosFailure)
	}
	if t.KerberosError != nil {
		src := "KDC"
		if t.KerberosError.Service {
			src = "server"
		}
		ew.printf("Krb error:  %s (%d) from the %s", t.KerberosError.Name, t.KerberosError.Code, src)
		if t.KerberosError.EText != "" {
			ew.printf(", e-text %q", t.KerberosError.EText)
		}
		ew.printf("\n")
	}
	if t.NTLMFailure != "" {
		ew.printf("NTLM:       %s\n", t.NTLMFailure)
	}
	if t.Mechanism == "Kerberos" {
		ew.printf("Mutual:     AP-REP %v, verified %v\n", t.MutualAuth, t.MutualAuthVerified)
	}
	if t.PersistentAuthHeader != "" {
		ew.printf("Persistent-Auth: %s\n", t.PersistentAuthHeader)
	}
	if t.ReuseNote != "" {
		ew.printf("Same connection: %s\n", t.ReuseNote)
	}
	for _, n := range t.Notes {
		ew.printf("Note:       %s\n", n)
	}
	for i, r := range t.Rounds {
		reuse := "new connection"
		if r.Conn.Reused {
			reuse = "reused connection"
		}
		ew.printf("\n#%d %s: %s -> ", i+1, r.Step, r.Method)
		if r.Err != "" {
			ew.printf("error: %s", r.Err)
		} else {
			ew.printf("HTTP %d", r.Status)
		}
		ew.printf(" (%s %s, %s)\n", reuse, r.Conn.Local, r.Duration.Round(100_000))
		if a := r.Request.Get("Authorization"); a != "" {
			ew.printf("  > Authorization: %s\n", shortHeader(a))
			if r.Sent != nil {
				ew.printf("    %s\n", tokenLine(r.Sent))
			}
		}
		for j, c := range r.Challenges {
			ew.printf("  < WWW-Authenticate: %s\n", shortHeader(c.Raw))
			if j < len(r.Tokens) && r.Tokens[j] != nil {
				ew.printf("    %s\n", tokenLine(r.Tokens[j]))
			}
		}
		if v, ok := PersistentAuth(r.Header); ok {
			ew.printf("  < Persistent-Auth: %v\n", v)
		}
		for _, e := range r.DecodeErrors {
			ew.printf("  ! %s\n", e)
		}
	}
	return ew.err
}

// tokenLine describes a decoded token in one line.
func tokenLine(tok *Token) string {
	kind := tok.Kind.String()
	if tok.InnerKind != UnknownToken {
		kind += " carrying " + tok.InnerKind.String()
	}
	v := tok.Visible()
	if v.Summary != "" {
		return kind + ": " + v.Summary
	}
	return kind
}

// shortHeader abbreviates long tokens in a header value.
func shortHeader(v string) string {
	f := strings.Fields(v)
	if len(f) == 2 && len(f[1]) > 40 {
		return fmt.Sprintf("%s %s... (%d chars)", f[0], f[1][:32], len(f[1]))
	}
	return v
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, a...)
}
