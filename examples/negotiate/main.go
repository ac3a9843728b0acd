// Command negotiate decodes Negotiate/Kerberos/NTLM tokens and probes live
// endpoints with a real Windows Integrated Authentication handshake.
//
//	go run ./examples/negotiate decode [-format text|json] [-encoding auto|base64|hex] TOKEN|-
//	go run ./examples/negotiate probe [flags] URL
//	go run ./examples/negotiate ticket [flags] SPN
//
// decode accepts a token as base64 or hex, or a whole header line
// ("Negotiate YII...", "Authorization: Negotiate ...", "WWW-Authenticate:
// NTLM ..."); "-" reads it from stdin. It prints the decoded token and what
// an observer on the network path can read from it. A token that cannot be
// decoded gives exit status 2 and a one-line error.
//
// probe runs the handshake and prints the transcript: every round, the
// mechanism that won, why Kerberos failed, NTLM fallback, mutual
// authentication and whether the server challenges again on the same
// connection. Exit status 0 when authenticated, 1 when not, 2 when the probe
// could not run. Kerberos: -krb5conf with -user and a password (-password-file,
// or the IISKERB_PASSWORD environment variable; -password works but is visible
// to other local users), or -keytab, or -ccache. NTLM: -ntlm-user
// (DOMAIN\user) with -ntlm-password-file or IISKERB_NTLM_PASSWORD.
//
// ticket requests a service ticket like `klist get SPN` (exit 1 with the
// Kerberos error code when the KDC refuses).
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/jcmturner/gokrb5/v8/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage:
  negotiate decode [-format text|json] [-encoding auto|base64|hex] TOKEN|-
  negotiate probe  [-format text|json] [kerberos and NTLM flags] URL
  negotiate ticket [-format text|json] [kerberos flags] SPN
run "negotiate <command> -h" for the flags of a command`

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "decode":
		return decodeCmd(args[1:], stdin, stdout, stderr)
	case "probe":
		return probeCmd(ctx, args[1:], stdout, stderr, getenv)
	case "ticket":
		return ticketCmd(ctx, args[1:], stdout, stderr, getenv)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "negotiate: unknown command %q\n%s\n", args[0], usage)
	return 2
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("probe URL -format json").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func decodeCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	encoding := fs.String("encoding", "auto", "token encoding: auto, base64 or hex")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "negotiate decode: want exactly one TOKEN argument (or - for stdin)")
		return 2
	}
	in := pos[0]
	if in == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			fmt.Fprintf(stderr, "negotiate decode: read stdin: %v\n", err)
			return 2
		}
		in = string(b)
	}
	scheme, raw, err := tokenBytes(in, *encoding)
	if err != nil {
		fmt.Fprintf(stderr, "negotiate decode: %v\n", oneLine(err))
		return 2
	}
	tok, err := negotiate.DecodeToken(raw)
	if err != nil {
		if tok != nil && *format == "text" {
			// what could be read before the decoder stopped
			writeTokenText(stdout, scheme, tok)
		}
		fmt.Fprintf(stderr, "negotiate decode: %v\n", oneLine(err))
		return 2
	}
	switch *format {
	case "json":
		out := struct {
			Scheme    string               `json:"scheme,omitempty"`
			Mechanism string               `json:"mechanism"`
			Visible   negotiate.Visibility `json:"visible"`
			Token     *negotiate.Token     `json:"token"`
		}{scheme, tok.Mechanism(), tok.Visible(), tok}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "negotiate decode: %v\n", err)
			return 2
		}
	case "text":
		writeTokenText(stdout, scheme, tok)
	default:
		fmt.Fprintf(stderr, "negotiate decode: unknown -format %q (text or json)\n", *format)
		return 2
	}
	return 0
}

// tokenBytes extracts the token from a header line, base64 or hex.
func tokenBytes(in, encoding string) (scheme string, raw []byte, err error) {
	s := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(in), "\ufeff"))
	if i := strings.IndexByte(s, ':'); i > 0 {
		switch strings.ToLower(strings.TrimSpace(s[:i])) {
		case "authorization", "www-authenticate", "proxy-authorization", "proxy-authenticate":
			s = strings.TrimSpace(s[i+1:])
		}
	}
	if f := strings.Fields(s); len(f) == 2 {
		c, err := negotiate.ParseAuthorization(s)
		if err != nil {
			return "", nil, err
		}
		if len(c.Token) == 0 {
			return "", nil, fmt.Errorf("%s credentials carry no token", c.Scheme)
		}
		return c.Scheme, c.Token, nil
	}
	for _, sch := range []string{"Negotiate", "NTLM", "Kerberos"} {
		if strings.EqualFold(s, sch) {
			return "", nil, fmt.Errorf("a bare %q challenge carries no token", sch)
		}
	}
	compact := strings.Join(strings.Fields(s), "")
	if compact == "" {
		return "", nil, errors.New("empty token")
	}
	isHex := len(compact)%2 == 0 && strings.Trim(strings.ToLower(compact), "0123456789abcdef") == ""
	switch encoding {
	case "hex":
		raw, err = hex.DecodeString(compact)
		return "", raw, err
	case "auto":
		// real tokens in base64 start with Y, o or T: an all-hex string is hex
		if isHex {
			raw, err = hex.DecodeString(compact)
			return "", raw, err
		}
	case "base64":
	default:
		return "", nil, fmt.Errorf("unknown -encoding %q (auto, base64 or hex)", encoding)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(compact); err == nil {
			return "", raw, nil
		}
	}
	// a token cut off mid-quantum (copied from a log or a document): decode
	// the complete part so the token decoder can say where it ends
	if cut := len(compact) - len(compact)%4; cut > 0 && len(compact)%4 == 1 {
		if raw, err2 := base64.StdEncoding.DecodeString(compact[:cut]); err2 == nil {
			return "", raw, nil
		}
	}
	return "", nil, fmt.Errorf("token is neither base64 nor hex: %w", err)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func writeTokenText(w io.Writer, scheme string, tok *negotiate.Token) {
	kind := tok.Kind.String()
	if tok.InnerKind != negotiate.UnknownToken {
		kind += " carrying " + tok.InnerKind.String()
	}
	if scheme != "" {
		fmt.Fprintf(w, "Scheme:      %s\n", scheme)
	}
	fmt.Fprintf(w, "Token:       %s (%d bytes)\n", kind, tok.Size)
	fmt.Fprintf(w, "Mechanism:   %s\n", tok.Mechanism())
	v := tok.Visible()
	fmt.Fprintf(w, "Observer:    %s\n", v.Summary)
	fmt.Fprintf(w, "User visible: %v\n", v.ClientIdentityVisible)
	if s := tok.SPNEGO; s != nil {
		var mechs []string
		for _, m := range s.MechTypes {
			mechs = append(mechs, negotiate.MechName(m))
		}
		if len(mechs) > 0 {
			fmt.Fprintf(w, "SPNEGO mechs: %s\n", strings.Join(mechs, ", "))
		}
		if tok.Kind == negotiate.SPNEGOResp {
			fmt.Fprintf(w, "negState:    %s\n", s.NegState)
			if len(s.SupportedMech) > 0 {
				fmt.Fprintf(w, "supportedMech: %s\n", negotiate.MechName(s.SupportedMech))
			}
		}
		if s.HintName != "" {
			fmt.Fprintf(w, "hintName:    %s\n", s.HintName)
		}
	}
	if k := tok.Kerberos; k != nil {
		switch {
		case k.APReq != nil:
			a := k.APReq
			fmt.Fprintf(w, "Realm:       %s\nSPN:         %s\nTicket:      %s kvno %d\nAuthenticator: %s\n", a.Realm, a.SPN,
				negotiate.EncTypeName(a.TicketEncType), a.TicketKVNO, negotiate.EncTypeName(a.AuthEncType))
			fmt.Fprintf(w, "AP options:  %s (mutual required %v)\n", strings.Join(a.APOptionNames, ", "), a.MutualRequired)
		case k.APRep != nil:
			fmt.Fprintf(w, "AP-REP:      %s\n", negotiate.EncTypeName(k.APRep.EncType))
		case k.Error != nil:
			e := k.Error
			fmt.Fprintf(w, "KRB-ERROR:   %s (%d): %s\n", e.Name, e.Code, e.Meaning)
			if e.SPN != "" {
				fmt.Fprintf(w, "Server:      %s@%s\n", e.SPN, e.Realm)
			}
			if e.EText != "" {
				fmt.Fprintf(w, "e-text:      %s\n", e.EText)
			}
		}
	}
	if n := tok.NTLM; n != nil {
		fmt.Fprintf(w, "NTLM flags:  %s\n", strings.Join(n.FlagNames, " "))
		for _, f := range []struct{ k, v string }{{"Domain", n.Domain}, {"User", n.User}, {"Workstation", n.Workstation}, {"Target", n.TargetName}} {
			if f.v != "" {
				fmt.Fprintf(w, "%-12s %s\n", f.k+":", f.v)
			}
		}
		if n.MessageType == 3 {
			fmt.Fprintf(w, "Response:    %s (NT response %d bytes), MIC present %v\n", n.Version(), n.NTResponseLen, len(n.MIC) > 0)
		}
	}
	for _, note := range tok.Notes {
		fmt.Fprintf(w, "Note:        %s\n", note)
	}
}

// krbFlags are the Kerberos client flags shared by probe and ticket.
type krbFlags struct {
	krb5conf, user, realm, password, passwordFile, keytab, ccache *string
	noFAST                                                        *bool
}

func addKrbFlags(fs *flag.FlagSet, getenv func(string) string) krbFlags {
	defConf := getenv("KRB5_CONFIG")
	if defConf == "" {
		defConf = "/etc/krb5.conf"
	}
	return krbFlags{
		krb5conf:     fs.String("krb5conf", defConf, "krb5.conf path (default $KRB5_CONFIG or /etc/krb5.conf)"),
		user:         fs.String("user", "", "Kerberos user (alice or alice@REALM)"),
		realm:        fs.String("realm", "", "Kerberos realm (default: default_realm)"),
		password:     fs.String("password", "", "Kerberos password (visible to other local users: prefer -password-file or IISKERB_PASSWORD)"),
		passwordFile: fs.String("password-file", "", "file holding the Kerberos password (first line)"),
		keytab:       fs.String("keytab", "", "Kerberos keytab for -user"),
		ccache:       fs.String("ccache", "", "Kerberos ticket cache (FILE:path or path, e.g. $KRB5CCNAME)"),
		noFAST:       fs.Bool("disable-fast", false, "do not send PA-FX-FAST (Active Directory without FAST armoring)"),
	}
}

// client builds the Kerberos client, or nil when no credentials were given.
func (k krbFlags) client(getenv func(string) string) (*client.Client, error) {
	pw, err := secret(*k.password, *k.passwordFile, getenv("IISKERB_PASSWORD"))
	if err != nil {
		return nil, err
	}
	if *k.keytab != "" || *k.ccache != "" {
		pw = "" // an environment password does not compete with an explicit keytab/ccache
	}
	if *k.user == "" && *k.ccache == "" {
		return nil, nil
	}
	return negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: *k.krb5conf, User: *k.user, Realm: *k.realm,
		Password: pw, Keytab: *k.keytab, CCache: *k.ccache, DisablePAFXFAST: *k.noFAST})
}

// secret picks a password from a flag, a file or the environment.
func secret(flagValue, file, env string) (string, error) {
	switch {
	case flagValue != "":
		return flagValue, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read password file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	return env, nil
}

func probeCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	kf := addKrbFlags(fs, getenv)
	spn := fs.String("spn", "", "SPN to request (default: HTTP/<canonical host name>, like a browser)")
	includePort := fs.Bool("include-port", false, "include a non-default port in the default SPN")
	ntlmUser := fs.String("ntlm-user", "", `NTLM user, DOMAIN\user`)
	ntlmDomain := fs.String("ntlm-domain", "", "NTLM domain (when -ntlm-user has none)")
	ntlmPassword := fs.String("ntlm-password", "", "NTLM password (prefer -ntlm-password-file or IISKERB_NTLM_PASSWORD)")
	ntlmPasswordFile := fs.String("ntlm-password-file", "", "file holding the NTLM password (first line)")
	ntlmRaw := fs.Bool("ntlm-raw", false, "send NTLM inside Negotiate without SPNEGO, as Windows does")
	workstation := fs.String("workstation", "", "workstation name sent in NTLM messages")
	insecure := fs.Bool("insecure", false, "do not verify the server's TLS certificate")
	connectTo := fs.String("connect-to", "", "dial HOST:PORT instead of the URL's host (like curl --connect-to)")
	timeout := fs.Duration("timeout", 60*time.Second, "overall timeout")
	skipReuse := fs.Bool("no-reuse-check", false, "do not test the authenticated connection again")
	redact := fs.Bool("redact", false, "leave raw tokens out of the output (they allow offline password guessing)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "negotiate probe: want exactly one URL")
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "negotiate probe: unknown -format %q (text or json)\n", *format)
		return 2
	}
	cl, err := kf.client(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "negotiate probe: %v\n", oneLine(err))
		return 2
	}
	opts := negotiate.ProbeOptions{Client: cl, SPN: *spn, IncludePort: *includePort, NTLMRaw: *ntlmRaw,
		InsecureSkipVerify: *insecure, ConnectTo: *connectTo, Timeout: *timeout, SkipReuseCheck: *skipReuse, RedactTokens: *redact}
	if *ntlmUser != "" {
		pw, err := secret(*ntlmPassword, *ntlmPasswordFile, getenv("IISKERB_NTLM_PASSWORD"))
		if err != nil {
			fmt.Fprintf(stderr, "negotiate probe: %v\n", oneLine(err))
			return 2
		}
		dom, user := *ntlmDomain, *ntlmUser
		if d, u, ok := strings.Cut(user, `\`); ok {
			dom, user = d, u
		}
		opts.NTLM = &negotiate.NTLMCredentials{Domain: dom, User: user, Password: pw, Workstation: *workstation}
	}
	t, err := negotiate.Probe(ctx, pos[0], opts)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(t)
	} else if t != nil {
		_ = t.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "negotiate probe: %v\n", oneLine(err))
		return 2
	}
	if !t.Authenticated {
		return 1
	}
	return 0
}

func ticketCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("ticket", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	kf := addKrbFlags(fs, getenv)
	timeout := fs.Duration("timeout", 30*time.Second, "timeout")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "negotiate ticket: want exactly one SPN")
		return 2
	}
	cl, err := kf.client(getenv)
	if err == nil && cl == nil {
		err = errors.New("no Kerberos credentials: give -user with a password, -keytab or -ccache")
	}
	if err != nil {
		fmt.Fprintf(stderr, "negotiate ticket: %v\n", oneLine(err))
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tk, err := negotiate.RequestTicket(ctx, cl, pos[0])
	var ke *negotiate.KDCError
	if err != nil && !errors.As(err, &ke) {
		fmt.Fprintf(stderr, "negotiate ticket: %v\n", oneLine(err))
		return 2
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Ticket *negotiate.Ticket   `json:"ticket,omitempty"`
			Error  *negotiate.KDCError `json:"error,omitempty"`
		}{tk, ke})
	} else if ke != nil {
		fmt.Fprintf(stdout, "%s: %s (%d): %s\n", pos[0], ke.Name, ke.Code, ke.Meaning)
	} else {
		fmt.Fprintf(stdout, "Server:  %s@%s\nClient:  %s\nEncType: %s (%d)\nKVNO:    %d\nStart:   %s\nEnd:     %s\nFlags:   %s\n",
			tk.Server, tk.Realm, tk.Client, tk.EncType, tk.EncTypeID, tk.KVNO, tk.Start.Format(time.RFC3339), tk.End.Format(time.RFC3339), strings.Join(tk.Flags, " "))
	}
	if ke != nil {
		return 1
	}
	return 0
}
