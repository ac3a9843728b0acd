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
// With the service's keys decode also opens the Kerberos AP-REQ as the
// service would and prints what it sees (the client, the ticket's times and
// flags, the authenticator, the PAC), or why no key opens it (exit status 1):
// -keytab FILE (repeatable), or the account's password with -password-file
// FILE or -password-env NAME and -principal NAME[@REALM] (the ticket's
// realm when none is given; without -principal the salt is built from the
// ticket's server name), -salt-kind mit|ad-user|ad-computer (with
// -dns-domain for an AD computer account) or an explicit -salt. Keys and
// passwords are never printed.
//
// probe runs the handshake and prints the transcript: every round, the
// mechanism that won, why Kerberos failed, NTLM fallback, mutual
// authentication and whether the server challenges again on the same
// connection. Exit status 0 when authenticated, 1 when not, 2 when the probe
// could not run (a bad URL is a usage error). Kerberos: -krb5conf with -user
// and a password (-password-file FILE, or the environment variable named by
// -password-env, IISKERB_PASSWORD by default), or -keytab, or -ccache. NTLM:
// -ntlm-user (DOMAIN\user) with -ntlm-password-file or -ntlm-password-env
// (IISKERB_NTLM_PASSWORD by default). A password is never taken on the
// command line: -password and -ntlm-password are refused. Raw tokens are
// left out of the transcript (the decoded ones stay) unless -keep-tokens is
// given.
//
// ticket requests a service ticket like `klist get SPN` (exit 1 with the
// Kerberos error code when the KDC refuses).
//
// Every command takes -h (its flags by purpose and its exit statuses) and
// -version. Exit statuses mean the same in every example: 0 ok, 1 problems
// found, 2 could not run.
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/jcmturner/gokrb5/v8/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// exitDecoded is decode's exit status 0.
var exitDecoded = cli.Exit{Code: cli.ExitOK, Detail: "decoded (and, with keys, the ticket opened)"}

// newTop is the program without a command: its help lists the commands.
func newTop(stdout, stderr io.Writer) *cli.Command {
	c := cli.New("negotiate", "negotiate decodes Negotiate/Kerberos/NTLM tokens, probes endpoints with a real Windows Integrated Authentication handshake and requests Kerberos service tickets.", stdout, stderr)
	c.Usage = []string{
		"negotiate decode [-format text|json] [-encoding auto|base64|hex] [service key flags] TOKEN|-",
		"negotiate probe  [-format text|json] [Kerberos and NTLM flags] URL",
		"negotiate ticket [-format text|json] [Kerberos flags] SPN",
	}
	c.Groups = []cli.Group{
		{Title: cli.GroupEvidence, Args: []cli.Arg{{Name: "decode TOKEN|-", Usage: "decode a token given as base64, hex or a whole header line (- reads it from stdin) and say what an observer can read from it; with the service's keys, open its Kerberos ticket"}}},
		{Title: cli.GroupLive, Args: []cli.Arg{
			{Name: "probe URL", Usage: "run a real Negotiate handshake against an http:// or https:// URL and print the transcript"},
			{Name: "ticket SPN", Usage: "request a service ticket for SPN, like klist get"}}},
		{Title: cli.GroupCredentials, Note: "never a password on the command line",
			Args: []cli.Arg{
				{Name: "-user, -password-file FILE, -password-env NAME, -keytab, -ccache", Usage: "Kerberos credentials (probe and ticket)"},
				{Name: "-keytab FILE, -password-file FILE, -password-env NAME, -principal, -salt-kind, -salt, -dns-domain", Usage: "the service's keys, to open a ticket (decode)"},
				{Name: "-ntlm-user, -ntlm-password-file FILE, -ntlm-password-env NAME", Usage: "NTLM credentials (probe)"}}},
		{Title: cli.GroupOutput, Args: []cli.Arg{{Name: "-format text|json", Usage: "every command"}}},
	}
	c.Notes = []string{`Run "negotiate COMMAND -h" for the flags of a command.`}
	c.Exit = []cli.Exit{
		{Code: cli.ExitOK, Detail: "decoded; authenticated; ticket issued"},
		{Code: cli.ExitProblems, Detail: "probe: not authenticated; ticket: the KDC refused; decode: no key opens the ticket"},
		{Code: cli.ExitUsage, Detail: "bad flags or URL, an undecodable token, a probe that could not connect"},
	}
	return c
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	top := newTop(stdout, stderr)
	if len(args) > 0 && args[0] == "help" {
		args = []string{"-h"}
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		rest, code, done := top.Parse(args)
		if done {
			return code
		}
		args = rest
	}
	if len(args) == 0 {
		return top.Failf("a command is required: decode, probe or ticket")
	}
	switch args[0] {
	case "decode":
		return decodeCmd(args[1:], stdin, stdout, stderr, getenv)
	case "probe":
		return probeCmd(ctx, args[1:], stdout, stderr, getenv)
	case "ticket":
		return ticketCmd(ctx, args[1:], stdout, stderr, getenv)
	}
	return top.Failf("unknown command %q (want decode, probe or ticket)", args[0])
}

func decodeCmd(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := cli.New("negotiate decode", "negotiate decode decodes a Negotiate, Kerberos or NTLM token and says what an observer on the network path can read from it; with the service's keys it opens the Kerberos ticket as the service would.", stdout, stderr)
	c.Interspersed = true
	fs := c.Flags()
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	encoding := fs.String("encoding", "auto", "token `ENCODING`: auto, base64 or hex")
	kf := addKeyFlags(c)
	c.Usage = []string{
		"negotiate decode [-format text|json] [-encoding auto|base64|hex] TOKEN|-",
		"negotiate decode [-keytab FILE]... [-password-file FILE|-password-env NAME [-principal NAME[@REALM]] [-salt-kind mit|ad-user|ad-computer [-dns-domain DOMAIN]|-salt SALT]] TOKEN|-",
	}
	c.Groups = []cli.Group{
		{Title: cli.GroupEvidence, Args: []cli.Arg{{Name: "TOKEN|-", Usage: `the token: base64, hex, or a header line ("Negotiate YII...", "Authorization: Negotiate ...", "WWW-Authenticate: NTLM ..."); - reads it from stdin`}},
			Flags: []string{"encoding"}},
		{Title: cli.GroupLive, None: "none: decode reads no network"},
		{Title: cli.GroupCredentials, Note: "the service's keys open a Kerberos AP-REQ; keys and passwords are never printed, a password is read only from a file or an environment variable",
			Flags: keyFlagNames},
		{Title: cli.GroupOutput, Flags: []string{"format"}},
	}
	c.Exit = []cli.Exit{exitDecoded,
		{Code: cli.ExitProblems, Detail: "keys were given and none opens the ticket (the reason is explained)"},
		{Code: cli.ExitUsage, Detail: "bad flags, a token that cannot be decoded, unreadable keys, keys given for a token without a Kerberos AP-REQ"}}
	pos, code, done := c.Parse(args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return c.Failf("want exactly one TOKEN argument (or - for stdin)")
	}
	if *format != "text" && *format != "json" {
		return c.Failf("unknown -format %q (text or json)", *format)
	}
	if err := kf.validate(c); err != nil {
		return c.Fail(err)
	}
	keys, err := kf.keytabKeys()
	if err != nil {
		return c.Fail(err)
	}
	in := pos[0]
	if in == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return c.Fail(fmt.Errorf("read stdin: %w", err))
		}
		in = string(b)
	}
	scheme, raw, err := tokenBytes(in, *encoding)
	if err != nil {
		return c.Fail(err)
	}
	tok, err := negotiate.DecodeToken(raw)
	if err != nil {
		if tok != nil && *format == "text" {
			// what could be read before the decoder stopped
			writeTokenText(stdout, scheme, tok)
		}
		return c.Fail(err)
	}
	var (
		dec    *negotiate.DecryptedTicket
		decErr *negotiate.DecryptError
	)
	if kf.any() {
		if !isAPReq(tok) {
			if *format == "text" {
				writeTokenText(stdout, scheme, tok)
			}
			return c.Fail(fmt.Errorf("keys were given but the token is %s: only a Kerberos AP-REQ (a client's Negotiate or Kerberos Authorization header) carries a ticket to open", describeToken(tok)))
		}
		pwKeys, err := kf.passwordKeys(getenv, tok.Kerberos.APReq.Realm)
		if err != nil {
			return c.Fail(err)
		}
		keys = append(keys, pwKeys...)
		dec, err = negotiate.DecryptTicket(raw, keys)
		if err != nil && !errors.As(err, &decErr) {
			return c.Fail(err)
		}
	}
	switch *format {
	case "json":
		out := struct {
			Scheme       string                     `json:"scheme,omitempty"`
			Mechanism    string                     `json:"mechanism"`
			Visible      negotiate.Visibility       `json:"visible"`
			Token        *negotiate.Token           `json:"token"`
			Decrypted    *negotiate.DecryptedTicket `json:"decrypted,omitempty"`
			DecryptError *decryptErrorJSON          `json:"decrypt_error,omitempty"`
		}{scheme, tok.Mechanism(), tok.Visible(), tok, dec, newDecryptErrorJSON(decErr)}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return c.Fail(err)
		}
	default:
		writeTokenText(stdout, scheme, tok)
		if dec != nil {
			writeDecryptedText(stdout, dec)
		}
		if decErr != nil {
			writeDecryptErrorText(stdout, decErr)
		}
	}
	if decErr != nil {
		return cli.ExitProblems
	}
	return cli.ExitOK
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
	krb5conf, user, realm, keytab, ccache *string
	password                              *cli.Password
	noFAST                                *bool
}

func addKrbFlags(c *cli.Command, getenv func(string) string) krbFlags {
	fs := c.Flags()
	defConf := getenv("KRB5_CONFIG")
	if defConf == "" {
		defConf = "/etc/krb5.conf"
	}
	return krbFlags{
		krb5conf: fs.String("krb5conf", defConf, "krb5.conf `FILE` (default: $KRB5_CONFIG when set)"),
		realm:    fs.String("realm", "", "Kerberos `REALM` (default: default_realm)"),
		noFAST:   fs.Bool("disable-fast", false, "do not send PA-FX-FAST (Active Directory without FAST armoring)"),
		user:     fs.String("user", "", "Kerberos `USER` (alice or alice@REALM), with a password, or -keytab"),
		password: c.AddPassword("", "the Kerberos user -user", "IISKERB_PASSWORD"),
		keytab:   fs.String("keytab", "", "Kerberos keytab `FILE` for -user"),
		ccache:   fs.String("ccache", "", "Kerberos ticket cache `FILE` (FILE:path or path, e.g. $KRB5CCNAME)"),
	}
}

// credentialFlags and liveFlags are the Kerberos flags by help group.
var (
	krbCredentialFlags = []string{"user", "password-file", "password-env", "keytab", "ccache"}
	krbLiveFlags       = []string{"krb5conf", "realm", "disable-fast"}
)

// client builds the Kerberos client, or nil when no credentials were given.
func (k krbFlags) client(getenv func(string) string) (*client.Client, error) {
	if *k.user == "" && *k.ccache == "" {
		return nil, nil
	}
	pw := ""
	if *k.keytab == "" && *k.ccache == "" {
		var err error
		if pw, err = k.password.Need("-user "+*k.user, getenv); err != nil {
			return nil, err
		}
	}
	return negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: *k.krb5conf, User: *k.user, Realm: *k.realm,
		Password: pw, Keytab: *k.keytab, CCache: *k.ccache, DisablePAFXFAST: *k.noFAST})
}

func probeCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := cli.New("negotiate probe", "negotiate probe runs a real Windows Integrated Authentication handshake against a URL and prints the transcript: the mechanism that won, why Kerberos failed, NTLM fallback, mutual authentication, re-authentication.", stdout, stderr)
	c.Interspersed = true
	fs := c.Flags()
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	kf := addKrbFlags(c, getenv)
	spn := fs.String("spn", "", "`SPN` to request (default: HTTP/<canonical host name>, like a browser)")
	includePort := fs.Bool("include-port", false, "include a non-default port in the default SPN")
	ntlmUser := fs.String("ntlm-user", "", "NTLM user `DOMAIN\\user`")
	ntlmDomain := fs.String("ntlm-domain", "", "NTLM `DOMAIN` (when -ntlm-user has none)")
	ntlmPassword := c.AddPassword("ntlm-", "the NTLM user -ntlm-user", "IISKERB_NTLM_PASSWORD")
	ntlmRaw := fs.Bool("ntlm-raw", false, "send NTLM inside Negotiate without SPNEGO, as Windows does")
	workstation := fs.String("workstation", "", "workstation `NAME` sent in NTLM messages")
	insecure := fs.Bool("insecure", false, "do not verify the server's TLS certificate")
	connectTo := fs.String("connect-to", "", "dial `HOST:PORT` instead of the URL's host (like curl --connect-to)")
	timeout := fs.Duration("timeout", 60*time.Second, "overall timeout")
	skipReuse := fs.Bool("no-reuse-check", false, "do not test the authenticated connection again")
	keepTokens := fs.Bool("keep-tokens", false, "keep the raw tokens in the output (they allow offline password guessing; left out by default)")
	_ = fs.Bool("redact", true, "deprecated: raw tokens are left out by default (see -keep-tokens)")
	c.Usage = []string{"negotiate probe [-format text|json] [Kerberos and NTLM flags] URL"}
	c.Groups = []cli.Group{
		{Title: cli.GroupEvidence, None: "none: the evidence is the live exchange"},
		{Title: cli.GroupLive, Args: []cli.Arg{{Name: "URL", Usage: "the http:// or https:// URL to probe (flags may follow it)"}},
			Flags: append(append([]string{}, krbLiveFlags...), "spn", "include-port", "ntlm-raw", "workstation", "insecure", "connect-to", "timeout", "no-reuse-check")},
		{Title: cli.GroupCredentials, Note: "passwords only from files or environment variables, never on the command line",
			Flags: append(append([]string{}, krbCredentialFlags...), "ntlm-user", "ntlm-domain", "ntlm-password-file", "ntlm-password-env")},
		{Title: cli.GroupOutput, Flags: []string{"format", "keep-tokens", "redact"}},
	}
	c.Exit = []cli.Exit{
		{Code: cli.ExitOK, Detail: "authenticated (or no authentication asked)"},
		{Code: cli.ExitProblems, Detail: "not authenticated"},
		{Code: cli.ExitUsage, Detail: "bad flags or URL, missing credentials, a probe that could not connect"},
	}
	pos, code, done := c.Parse(args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return c.Failf("want exactly one URL")
	}
	if *format != "text" && *format != "json" {
		return c.Failf("unknown -format %q (text or json)", *format)
	}
	if err := cli.CheckURL("probe", pos[0], "http", "https"); err != nil {
		return c.Fail(err)
	}
	cl, err := kf.client(getenv)
	if err != nil {
		return c.Fail(err)
	}
	opts := negotiate.ProbeOptions{Client: cl, SPN: *spn, IncludePort: *includePort, NTLMRaw: *ntlmRaw,
		InsecureSkipVerify: *insecure, ConnectTo: *connectTo, Timeout: *timeout, SkipReuseCheck: *skipReuse, KeepTokens: *keepTokens}
	if *ntlmUser != "" {
		// an empty password is allowed: the attempt still shows the server's answer
		pw, err := ntlmPassword.Get(getenv)
		if err != nil {
			return c.Fail(err)
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
		return c.Fail(err)
	}
	if !t.Authenticated {
		return cli.ExitProblems
	}
	return cli.ExitOK
}

func ticketCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := cli.New("negotiate ticket", "negotiate ticket requests a Kerberos service ticket for an SPN, like klist get, and shows it or the KDC's error.", stdout, stderr)
	c.Interspersed = true
	fs := c.Flags()
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	kf := addKrbFlags(c, getenv)
	timeout := fs.Duration("timeout", 30*time.Second, "timeout")
	c.Usage = []string{"negotiate ticket [-format text|json] [Kerberos flags] SPN"}
	c.Groups = []cli.Group{
		{Title: cli.GroupEvidence, None: "none: the evidence is the KDC's answer"},
		{Title: cli.GroupLive, Args: []cli.Arg{{Name: "SPN", Usage: "the service principal name to request (HTTP/web01.example.com)"}},
			Flags: append(append([]string{}, krbLiveFlags...), "timeout")},
		{Title: cli.GroupCredentials, Note: "passwords only from files or environment variables, never on the command line",
			Flags: krbCredentialFlags},
		{Title: cli.GroupOutput, Flags: []string{"format"}},
	}
	c.Exit = []cli.Exit{
		{Code: cli.ExitOK, Detail: "the ticket was issued"},
		{Code: cli.ExitProblems, Detail: "the KDC refused (the Kerberos error is printed)"},
		{Code: cli.ExitUsage, Detail: "bad flags, no credentials, the KDC could not be reached"},
	}
	pos, code, done := c.Parse(args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return c.Failf("want exactly one SPN")
	}
	if *format != "text" && *format != "json" {
		return c.Failf("unknown -format %q (text or json)", *format)
	}
	cl, err := kf.client(getenv)
	if err == nil && cl == nil {
		err = cli.Usagef("no Kerberos credentials: give -user with a password, -keytab or -ccache")
	}
	if err != nil {
		return c.Fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tk, err := negotiate.RequestTicket(ctx, cl, pos[0])
	var ke *negotiate.KDCError
	if err != nil && !errors.As(err, &ke) {
		return c.Fail(err)
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
		return cli.ExitProblems
	}
	return cli.ExitOK
}
