package negotiate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// ClientConfig says how to build a gokrb5 Kerberos client: a krb5.conf and
// exactly one credential source (password, keytab file or ticket cache).
// The password never appears in String, %v, %+v, %#v or JSON output.
type ClientConfig struct {
	// Krb5Conf is the path of a krb5.conf file (realms, KDCs, enctypes).
	Krb5Conf string `json:"krb5_conf"`
	// Realm is the client's realm; empty means the default_realm of
	// Krb5Conf (or the realm after "@" in User).
	Realm string `json:"realm,omitempty"`
	// User is the client principal ("alice" or "alice@EXAMPLE.TEST"); not
	// needed with CCache.
	User string `json:"user,omitempty"`
	// Password logs in with a password.
	Password string `json:"-"`
	// Keytab logs in with the keys in this keytab file.
	Keytab string `json:"keytab,omitempty"`
	// CCache uses the TGT in this MIT credentials cache file (what kinit
	// wrote; KRB5CCNAME without the FILE: prefix).
	CCache string `json:"ccache,omitempty"`
	// DisablePAFXFAST stops gokrb5 from sending PA-FX-FAST, which Active
	// Directory KDCs without FAST armoring reject.
	DisablePAFXFAST bool `json:"disable_pa_fx_fast,omitempty"`
}

// String describes the configuration without the password.
func (c ClientConfig) String() string {
	var src string
	switch {
	case c.Password != "":
		src = "password"
	case c.Keytab != "":
		src = "keytab " + c.Keytab
	case c.CCache != "":
		src = "ccache " + c.CCache
	default:
		src = "no credentials"
	}
	user := c.User
	if c.Realm != "" && !strings.Contains(user, "@") && user != "" {
		user += "@" + c.Realm
	}
	if user == "" {
		user = "(from ccache)"
	}
	return fmt.Sprintf("kerberos client %s with %s (krb5.conf %s)", user, src, c.Krb5Conf)
}

// GoString is String, so that %#v does not print the password either.
func (c ClientConfig) GoString() string { return c.String() }

// LoadKrb5Conf reads a krb5.conf file with gokrb5's parser.
func LoadKrb5Conf(path string) (*config.Config, error) {
	if path == "" {
		return nil, errors.New("negotiate: no krb5.conf path given")
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("negotiate: load krb5.conf %s: %w", path, err)
	}
	return cfg, nil
}

// NewClient builds a gokrb5 client from c. It does not contact the KDC: the
// first ticket request logs in. Errors never contain the password.
func NewClient(c ClientConfig) (*client.Client, error) {
	n := 0
	for _, set := range []bool{c.Password != "", c.Keytab != "", c.CCache != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("negotiate: %s: set exactly one of password, keytab and ccache (%d set)", c, n)
	}
	cfg, err := LoadKrb5Conf(c.Krb5Conf)
	if err != nil {
		return nil, err
	}
	settings := []func(*client.Settings){client.DisablePAFXFAST(c.DisablePAFXFAST)}
	if c.CCache != "" {
		path := strings.TrimPrefix(c.CCache, "FILE:")
		cc, err := credentials.LoadCCache(path)
		if err != nil {
			return nil, fmt.Errorf("negotiate: load ccache %s: %w", path, err)
		}
		cl, err := client.NewFromCCache(cc, cfg, settings...)
		if err != nil {
			return nil, fmt.Errorf("negotiate: client from ccache %s: %w", path, err)
		}
		return cl, nil
	}
	user, realm := c.User, c.Realm
	if i := strings.LastIndexByte(user, '@'); i >= 0 {
		if realm == "" {
			realm = user[i+1:]
		}
		user = user[:i]
	}
	if user == "" {
		return nil, fmt.Errorf("negotiate: %s: no user name", c)
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return nil, fmt.Errorf("negotiate: %s: no realm and no default_realm in krb5.conf", c)
	}
	if c.Password != "" {
		return client.NewWithPassword(user, realm, c.Password, cfg, settings...), nil
	}
	kt, err := keytab.Load(c.Keytab)
	if err != nil {
		return nil, fmt.Errorf("negotiate: load keytab %s: %w", c.Keytab, err)
	}
	return client.NewWithKeytab(user, realm, kt, cfg, settings...), nil
}

// RequestTicket asks the KDC for a service ticket for spn, like `klist get
// SPN` on Windows or `kvno SPN` with MIT Kerberos. spn is "HTTP/host" or
// "HTTP/host@REALM" (without a realm the krb5.conf domain_realm mapping of
// the host decides, then the client's realm).
//
// A client with a password or keytab performs a fresh AS exchange and then
// the TGS exchange, so the ticket comes with its times and flags. A client
// built from a ticket cache uses gokrb5's GetServiceTicket, whose answer
// lacks times and flags (they stay zero).
//
// When the KDC refuses, the error is a *KDCError with the Kerberos error
// code (errors.As), for example KDC_ERR_S_PRINCIPAL_UNKNOWN for a missing
// SPN. When no KDC answers it is a *KDCUnreachableError naming the realm
// and the addresses tried. gokrb5 has no context support: the exchange runs in a goroutine that
// RequestTicket abandons when ctx ends (it finishes or times out on its own
// with gokrb5's network timeouts), and ctx.Err() is returned.
func RequestTicket(ctx context.Context, cl *client.Client, spn string) (*Ticket, error) {
	if cl == nil || cl.Credentials == nil || cl.Config == nil {
		return nil, errors.New("negotiate: RequestTicket: nil or unconfigured Kerberos client")
	}
	name, realm, err := splitTicketSPN(spn)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("negotiate: ticket for %s: %w", spn, err)
	}
	type result struct {
		t   *Ticket
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := requestTicket(cl, name, realm)
		ch <- result{t, err}
	}()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("negotiate: ticket for %s: %w", spn, ctx.Err())
	case r := <-ch:
		if r.err != nil {
			var already *KDCError
			if errors.As(r.err, &already) {
				return nil, fmt.Errorf("negotiate: ticket for %s: %w", name, r.err)
			}
			// the exchanges start at the client's realm; asKDCUnreachable
			// corrects the realm when the address tried is another's
			if ku := asKDCUnreachable(cl.Config, cl.Credentials.Domain(), r.err); ku != nil {
				return nil, fmt.Errorf("negotiate: ticket for %s: %w", name, ku)
			}
			if ke, ok := AsKDCError(r.err); ok {
				if ke.SPN == "" {
					ke.SPN = name
				}
				return nil, fmt.Errorf("negotiate: ticket for %s: %w", name, ke)
			}
			return nil, fmt.Errorf("negotiate: ticket for %s: %w", name, r.err)
		}
		return r.t, nil
	}
}

// splitTicketSPN splits "HTTP/host@REALM" and checks the shape.
func splitTicketSPN(spn string) (name, realm string, err error) {
	s := strings.TrimSpace(spn)
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s, realm = s[:i], s[i+1:]
	}
	if s == "" || strings.ContainsAny(s, " \t\r\n") || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return "", "", fmt.Errorf("negotiate: %q is not a service principal name (want SERVICE/host)", spn)
	}
	return s, strings.ToUpper(realm), nil
}

// requestTicket does the exchanges synchronously.
func requestTicket(cl *client.Client, name, realm string) (*Ticket, error) {
	princ := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, name)
	crealm := cl.Credentials.Domain()
	if realm == "" && len(princ.NameString) > 1 {
		realm = cl.Config.ResolveRealm(hostOfSPN(princ.NameString[1]))
	}
	if realm == "" {
		realm = crealm
	}
	if !(cl.Credentials.HasPassword() || cl.Credentials.HasKeytab()) || !strings.EqualFold(realm, crealm) {
		// ccache clients and cross-realm: gokrb5 manages TGTs and referrals.
		tkt, _, err := cl.GetServiceTicket(name)
		if err != nil {
			return nil, err
		}
		return ticketFrom(cl, tkt), nil
	}
	asReq, err := messages.NewASReqForTGT(crealm, cl.Config, cl.Credentials.CName())
	if err != nil {
		return nil, fmt.Errorf("build AS-REQ: %w", err)
	}
	asRep, err := cl.ASExchange(crealm, asReq, 0)
	if err != nil {
		if ke, ok := AsKDCError(err); ok {
			ke.SPN = "krbtgt/" + crealm
			return nil, fmt.Errorf("getting a TGT for %s@%s: %w", cl.Credentials.UserName(), crealm, ke)
		}
		return nil, fmt.Errorf("getting a TGT for %s@%s: %w", cl.Credentials.UserName(), crealm, err)
	}
	tgt, key := asRep.Ticket, asRep.DecryptedEncPart.Key
	tgsReq, err := messages.NewTGSReq(cl.Credentials.CName(), crealm, cl.Config, tgt, key, princ, false)
	if err != nil {
		return nil, fmt.Errorf("build TGS-REQ: %w", err)
	}
	_, tgsRep, err := cl.TGSExchange(tgsReq, crealm, tgt, key, 0)
	if err != nil {
		return nil, err
	}
	t := ticketFrom(cl, tgsRep.Ticket)
	p := tgsRep.DecryptedEncPart
	t.Start, t.End, t.Renew = p.StartTime, p.EndTime, p.RenewTill
	if t.Start.IsZero() {
		t.Start = p.AuthTime
	}
	t.Flags = ticketFlagNames(p.Flags.Bytes, p.Flags.BitLength)
	return t, nil
}

// hostOfSPN drops a ":port" from the host part of an SPN.
func hostOfSPN(h string) string {
	if i := strings.LastIndexByte(h, ':'); i > 0 {
		if _, err := strconv.Atoi(h[i+1:]); err == nil {
			return h[:i]
		}
	}
	return h
}

func ticketFrom(cl *client.Client, tkt messages.Ticket) *Ticket {
	return &Ticket{
		Client:    cl.Credentials.CName().PrincipalNameString() + "@" + cl.Credentials.Domain(),
		Server:    tkt.SName.PrincipalNameString(),
		Realm:     tkt.Realm,
		EncType:   EncTypeName(tkt.EncPart.EType),
		EncTypeID: tkt.EncPart.EType,
		KVNO:      tkt.EncPart.KVNO,
	}
}

// ticketFlagNames lists the TicketFlags bits (RFC 4120 5.3; bit 15
// name-canonicalize from RFC 6806) in the spelling Windows klist uses; bit 12
// (transited-policy-checked) is "transited", as MIT klist -f's T. Set bits
// without a name come out as "bitN" rather than being dropped. Both parsed
// klist output and RequestTicket use this one table.
func ticketFlagNames(b []byte, bits int) []string {
	names := [...]string{1: "forwardable", 2: "forwarded", 3: "proxiable", 4: "proxy", 5: "may_postdate",
		6: "postdated", 7: "invalid", 8: "renewable", 9: "initial", 10: "pre_authent", 11: "hw_authent",
		12: "transited", 13: "ok_as_delegate", 15: "name_canonicalize"}
	var out []string
	for i := 0; i < bits && i/8 < len(b); i++ {
		if b[i/8]&(0x80>>(i%8)) == 0 {
			continue
		}
		if i < len(names) && names[i] != "" {
			out = append(out, names[i])
		} else {
			out = append(out, "bit"+strconv.Itoa(i))
		}
	}
	return out
}
