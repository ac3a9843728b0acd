package spn

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// Default LDAP settings used when the LDAPConfig field is zero.
const (
	// DefaultPageSize is the paged-results page size: Active Directory's
	// MaxPageSize.
	DefaultPageSize = 1000
	// DefaultLDAPTimeout bounds dialling, binding and each request (each
	// page of a scan).
	DefaultLDAPTimeout = 2 * time.Minute
)

// LDAP attribute names read from account objects (AD lDAPDisplayNames).
const (
	attrSPN      = "servicePrincipalName"
	attrSAM      = "sAMAccountName"
	attrUAC      = "userAccountControl"
	attrEncTypes = "msDS-SupportedEncryptionTypes"
	attrClass    = "objectClass"
)

// accountAttrs is the attribute list of every account search.
var accountAttrs = []string{attrSAM, attrSPN, attrUAC, attrEncTypes, attrClass}

// scanBuffer is how many decoded entries go-ldap may queue ahead of the
// consumer: enough to decouple its decoding goroutine from the callback,
// well under one page.
const scanBuffer = 256

// scanBallastSize is the size of the pointer-free block a full scan keeps
// alive; see gcBallast.
const scanBallastSize = 32 << 20

// gcBallast returns a block that a full scan keeps alive until it ends.
// go-ldap allocates about 15-25 KB of short-lived garbage per entry; with the
// small live heap of a streaming scan the collector would run every few MB
// (thousands of cycles for 500,000 entries). The block raises the heap goal
// so collections are about ten times rarer. It holds no pointers, so the
// collector never scans it, and it is never written, so on a fresh heap its
// pages are not even resident. (Setting GOGC or GOMEMLIMIT would change the
// whole process; this affects only the duration of the scan.)
func gcBallast() []byte { return make([]byte, scanBallastSize) }

// domainScopeOID is LDAP_SERVER_DOMAIN_SCOPE_OID (MS-ADTS 3.1.1.3.4.1.9): a
// domain controller returns no continuation references to other naming
// contexts (Configuration, DomainDnsZones) for a search from the domain head.
// Servers that do not know it ignore it (it is sent as non-critical).
const domainScopeOID = "1.2.840.113556.1.4.1339"

// Secret holds a password. It formats as "[redacted]" with every fmt verb
// and marshals to JSON as "[redacted]", so an LDAPConfig can be logged.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (Secret) GoString() string { return redacted }

// Format writes "[redacted]" whatever the verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON returns the JSON string "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LDAPConfig says how [DialLDAP] connects and binds. Only URL is required.
//
// Transport security: an ldaps:// URL is TLS from the first byte; an
// ldap:// URL is upgraded with StartTLS when StartTLS is set. Certificates
// are verified against RootCAs (the system pool when nil) and ServerName
// (the URL host when empty); InsecureSkipVerify turns verification off and
// must be asked for explicitly.
//
// Binding: Kerberos (GSSAPI via gokrb5) when Kerberos is set; SSPI as the
// logged-on user when SSPI is set (Windows only); a simple bind when BindDN is
// set; otherwise anonymous. A simple bind sends the password as is, so over a
// connection without TLS it is refused unless AllowInsecureSimpleBind is set.
type LDAPConfig struct {
	// URL is ldap://host[:port] or ldaps://host[:port]. Without a port:
	// 389/636, or 3268/3269 with GlobalCatalog.
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool
	// RootCAs verifies the server certificate; nil means the system pool.
	RootCAs *x509.CertPool
	// ServerName is the name the certificate must carry; default: URL host.
	ServerName string
	// InsecureSkipVerify accepts any certificate. For lab use only.
	InsecureSkipVerify bool

	// GlobalCatalog searches the whole forest (a Global Catalog port,
	// 3268/3269). BaseDN then defaults to "" (all partitions).
	GlobalCatalog bool
	// BaseDN is where searches start; default: the rootDSE's
	// defaultNamingContext (or its first namingContexts value).
	BaseDN string
	// Domain is the NetBIOS domain name used in Account.Name ("EXAMPLE" in
	// EXAMPLE\web01$); default: nETBIOSName of the domain's crossRef in
	// CN=Partitions. When neither is known, names are bare sAMAccountNames:
	// the domain is never guessed from the DN.
	Domain string

	// BindDN is the simple-bind identity (a DN, user@domain or DOMAIN\user).
	BindDN string
	// Password is the simple-bind password. It never appears in errors or
	// formatted output.
	Password Secret
	// AllowInsecureSimpleBind permits a simple bind over a connection that
	// is not TLS-protected (the password crosses the network in clear).
	AllowInsecureSimpleBind bool
	// Kerberos selects a GSSAPI bind with a gokrb5 client.
	Kerberos *KerberosBind
	// SSPI selects a GSSAPI bind with the Windows logged-on user's
	// credentials (Windows only; an error elsewhere).
	SSPI bool
	// SSPISPN is the service principal for an SSPI bind; default
	// "ldap/<URL host>".
	SSPISPN string

	// PageSize is the paged-results page size (default [DefaultPageSize]).
	// A negative value disables paging, so the server's size limit applies
	// (answers are then marked incomplete when it is hit).
	PageSize int
	// TimeLimit asks the server to stop each search (each page) after this
	// long (whole seconds); zero means no client-requested limit.
	TimeLimit time.Duration
	// Timeout bounds dialling, StartTLS and binding, and during a search the
	// wait for the server: a search that receives nothing for this long is
	// cancelled and reported incomplete (default [DefaultLDAPTimeout]).
	Timeout time.Duration
}

// KerberosBind describes a Kerberos (SASL GSSAPI) bind. Credentials come from
// exactly one of Password, KeytabFile or CCacheFile.
type KerberosBind struct {
	// Krb5Conf is the path of a krb5.conf naming the realm's KDCs.
	Krb5Conf string
	// Username and Realm name the client principal (not needed with
	// CCacheFile). An empty Realm means krb5.conf's default_realm.
	Username, Realm string
	// Password is the principal's password.
	Password Secret
	// KeytabFile is a keytab holding the principal's keys.
	KeytabFile string
	// CCacheFile is a credential cache (as kinit writes it) with a TGT.
	CCacheFile string
	// SPN is the directory server's service principal, for example
	// "ldap/dc1.example.com"; default "ldap/<URL host>".
	SPN string
}

// ErrInsecureSimpleBind is returned (inside a *BindError) when a simple bind
// would send a password without TLS and AllowInsecureSimpleBind is not set.
var ErrInsecureSimpleBind = errors.New("spn: simple bind without TLS refused (use ldaps://, StartTLS or Kerberos; or set AllowInsecureSimpleBind)")

// errConnClosed stands for a search that go-ldap ended silently because the
// connection had already been closed (by the server or the network).
var errConnClosed = errors.New("connection closed")

// errNoResponse is the cause of a search cancelled by the watchdog because
// the server sent nothing for LDAPConfig.Timeout.
var errNoResponse = errors.New("no response from the server within the timeout")

// ErrSSPIUnsupported is returned when an SSPI bind is asked for on a platform
// other than Windows.
var ErrSSPIUnsupported = errors.New("spn: SSPI bind is only available on Windows")

// ConnectError reports a failure to reach the directory: DNS, TCP, or the
// TLS handshake (including StartTLS).
type ConnectError struct {
	URL string // the server URL
	Op  string // "dial", "tls" or "starttls"
	Err error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("spn: ldap %s %s: %v", e.Op, e.URL, e.Err)
}

// Unwrap returns the cause.
func (e *ConnectError) Unwrap() error { return e.Err }

// CertificateError reports a server certificate that failed verification.
// It unwraps to the crypto/x509 error (x509.UnknownAuthorityError,
// x509.HostnameError, x509.CertificateInvalidError, ...).
type CertificateError struct {
	URL string
	Err error
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("spn: ldap %s: server certificate not trusted: %v", e.URL, e.Err)
}

// Unwrap returns the crypto/x509 error.
func (e *CertificateError) Unwrap() error { return e.Err }

// BindError reports a failed bind. Code is the LDAP result code when the
// server refused the bind (49 invalidCredentials), else 0.
type BindError struct {
	Mechanism string // "simple", "GSSAPI" or "SSPI"
	Identity  string // bind DN or Kerberos principal; never the password
	Code      uint16
	Err       error
}

func (e *BindError) Error() string {
	id := e.Identity
	if id == "" {
		id = "(default credentials)"
	}
	return fmt.Sprintf("spn: ldap %s bind as %s failed: %v", e.Mechanism, id, e.Err)
}

// Unwrap returns the cause.
func (e *BindError) Unwrap() error { return e.Err }

// InvalidCredentials reports whether the server rejected the credentials
// (LDAP result 49).
func (e *BindError) InvalidCredentials() bool { return e.Code == ldap.LDAPResultInvalidCredentials }

// LDAPError is a failed LDAP search. Code is the LDAP result code (4 size
// limit exceeded, 3 time limit exceeded, 10 referral, 32 no such object,
// 50 insufficient access) or 0 for network errors (connection lost,
// request timed out).
type LDAPError struct {
	Op   string // what was being done, e.g. "scan", "owners"
	Code uint16
	Err  error
}

func (e *LDAPError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("spn: ldap %s: %s: %v", e.Op, ldap.LDAPResultCodeMap[e.Code], e.Err)
	}
	return fmt.Sprintf("spn: ldap %s: %v", e.Op, e.Err)
}

// Unwrap returns the cause (a *ldap.Error from go-ldap).
func (e *LDAPError) Unwrap() error { return e.Err }

// ReferralError reports continuation references or referrals the directory
// returned and that were not followed (objects in another naming context or
// domain; search a Global Catalog to cover the forest).
type ReferralError struct {
	Referrals []string
}

func (e *ReferralError) Error() string {
	return fmt.Sprintf("spn: ldap: %d referral(s) not followed: %s", len(e.Referrals), strings.Join(e.Referrals, ", "))
}

// LDAPDirectory is a [Directory] backed by an Active Directory domain
// controller (or any LDAP server with AD's attribute names). It only binds
// and searches; it never writes. It is safe for concurrent use.
//
// Searches use the paged-results control (LDAPConfig.PageSize) through
// go-ldap's SearchAsync, one page in flight, entries decoded as they arrive.
// go-ldap handles the connection, binds, requests, controls, results and
// errors; the entries of scans (Scan, Owners, Account, the duplicate scan)
// bypass its per-entry packet trees and are read from the connection by a
// lean, allocation-free BER reader (ldap_stream.go, ber.go). At 500,000
// accounts that is about one allocation per entry instead of 200-400, and
// the client CPU of ldapsearch.
// A domain search sends the domain-scope control so that AD does not answer
// with continuation references to the Configuration and DNS partitions; any
// referral that still arrives, a size or time limit, a dropped connection or
// a silent server ends the answer as incomplete with an error matching
// [ErrIncomplete] (and an [*LDAPError] or [*ReferralError] inside). Filters
// are built with ldap.EscapeFilter, so names and SPNs are matched literally.
//
// [Duplicates] over an LDAPDirectory uses [LDAPDirectory.FindDuplicates],
// which reads only sAMAccountName and servicePrincipalName and keeps a
// pointer-free index (about 55 bytes per distinct SPN: a 140 MiB heap at
// 2.5 million SPNs). [AuditDirectory] reads every account attribute anyway,
// so it finds duplicates in its own scan and calls FindDuplicates only when
// that scan was cut short.
type LDAPDirectory struct {
	conn      *ldap.Conn
	stream    *ldapStream // nil: scans use go-ldap's decoding (tests)
	url       string
	base      string
	configNC  string
	rootNC    string
	domain    string
	gc        bool
	pageSize  int
	timeLimit int
	timeout   time.Duration
	bindDesc  string

	// sendMu makes the sending of each search request exclusive, so that
	// the ldapStream can tell which request a divert belongs to (see
	// startSearch). It is held only until the request is written.
	sendMu  sync.Mutex
	started int64 // search requests started through startSearch (under sendMu)

	mu      sync.Mutex
	domains map[string]string // DC= suffix (as seen, and lower-cased naming contexts) -> NetBIOS name
}

var _ Directory = (*LDAPDirectory)(nil)
var _ MappingSource = (*LDAPDirectory)(nil)

// DialLDAP connects to the directory, secures and binds the connection as
// cfg says, and reads the rootDSE and the domain's NetBIOS name. The
// returned directory must be closed.
func DialLDAP(ctx context.Context, cfg LDAPConfig) (*LDAPDirectory, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("spn: ldap URL %q: want ldap://host[:port] or ldaps://host[:port]", cfg.URL)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "ldap" && scheme != "ldaps" {
		return nil, fmt.Errorf("spn: ldap URL %q: scheme must be ldap or ldaps", cfg.URL)
	}
	if cfg.StartTLS && scheme == "ldaps" {
		return nil, fmt.Errorf("spn: ldap URL %q: StartTLS applies to ldap:// URLs only", cfg.URL)
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		switch {
		case scheme == "ldap" && cfg.GlobalCatalog:
			port = "3268"
		case scheme == "ldap":
			port = "389"
		case cfg.GlobalCatalog:
			port = "3269"
		default:
			port = "636"
		}
	}
	addr := net.JoinHostPort(host, port)
	display := scheme + "://" + addr
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultLDAPTimeout
	}
	tlsConf := &tls.Config{
		RootCAs:            cfg.RootCAs,
		ServerName:         cfg.ServerName,
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // explicit opt-in, documented
		MinVersion:         tls.VersionTLS12,
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = host
	}
	// go-ldap's StartTLS flattens the handshake error into text; verifying
	// in VerifyConnection (the standard checks, done by us) keeps the typed
	// crypto/x509 error for CertificateError.
	var verifyErr error
	if !cfg.InsecureSkipVerify {
		tlsConf.InsecureSkipVerify = true //nolint:gosec // verified in VerifyConnection below
		tlsConf.VerifyConnection = func(cs tls.ConnectionState) error {
			verifyErr = verifyServerCert(cs, cfg.RootCAs, tlsConf.ServerName)
			return verifyErr
		}
	}

	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nc net.Conn
	if scheme == "ldaps" {
		d := tls.Dialer{NetDialer: &net.Dialer{}, Config: tlsConf}
		nc, err = d.DialContext(dctx, "tcp", addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, connectErr(display, "dial", err, verifyErr)
	}
	// Bulk scans read entries through an ldapStream (see ldap_stream.go),
	// which must see LDAP messages in the clear: it sits above the TLS of
	// ldaps://, and StartTLS is done here, before go-ldap takes the
	// connection (go-ldap's own StartTLS would put TLS above the stream).
	if cfg.StartTLS {
		tc, err := startTLS(dctx, nc, tlsConf)
		if err != nil {
			nc.Close()
			return nil, ctxOr(dctx, connectErr(display, "starttls", err, verifyErr))
		}
		nc = tc
	}
	stream := newLDAPStream(nc)
	conn := ldap.NewConn(stream, scheme == "ldaps" || cfg.StartTLS)
	conn.Start()
	conn.SetTimeout(timeout)
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	// go-ldap's StartTLS and bind calls take no context: closing the
	// connection when ctx ends unblocks them.
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	defer stop()

	// go-ldap cannot see the *tls.Conn under the ldapStream
	secure := scheme == "ldaps" || cfg.StartTLS

	d := &LDAPDirectory{conn: conn, stream: stream, url: display, gc: cfg.GlobalCatalog}
	if err := d.bind(cfg, host, secure); err != nil {
		return nil, ctxOr(dctx, err)
	}
	stop()
	// From here on request timeouts are enforced per search by our own
	// watchdog (see scanEntries): go-ldap's per-request timeout arms a
	// context and timer for every received packet, a large share of a
	// scan's cost.
	conn.SetTimeout(0)
	d.timeout = timeout

	d.pageSize = cfg.PageSize
	if d.pageSize == 0 {
		d.pageSize = DefaultPageSize
	}
	if cfg.TimeLimit > 0 {
		d.timeLimit = int((cfg.TimeLimit + time.Second - 1) / time.Second)
	}
	if err := d.readRootDSE(ctx, cfg); err != nil {
		return nil, err
	}
	d.domain = cfg.Domain
	if d.domain == "" && !d.gc {
		d.domain = d.lookupNetBIOS(ctx, d.base)
	}
	if d.gc {
		d.domains = map[string]string{}
		d.loadCrossRefs(ctx)
	}
	ok = true
	return d, nil
}

// startTLSOID is the StartTLS extended operation (RFC 4511 4.14).
const startTLSOID = "1.3.6.1.4.1.1466.20037"

// startTLS sends the StartTLS extended request on nc, reads the response and
// runs the TLS handshake, as go-ldap's Conn.StartTLS does (and with errors
// of the same types: an *ldap.Error with the server's result code, or
// ErrorNetwork for the handshake), but before go-ldap owns the connection.
func startTLS(ctx context.Context, nc net.Conn, conf *tls.Config) (*tls.Conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
		defer nc.SetDeadline(time.Time{}) //nolint:errcheck // best effort
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), "MessageID"))
	ext := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "Start TLS")
	ext.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, startTLSOID, "TLS Extended Command"))
	req.AppendChild(ext)
	if _, err := nc.Write(req.Bytes()); err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, err)
	}
	resp, err := ber.ReadPacket(nc)
	if err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, err)
	}
	// GetLDAPError reads the result code and diagnostic message of any
	// LDAPResult (nil for success).
	if err := ldap.GetLDAPError(resp); err != nil {
		return nil, err
	}
	if len(resp.Children) < 2 || resp.Children[1].ClassType != ber.ClassApplication || resp.Children[1].Tag != ldap.ApplicationExtendedResponse {
		return nil, ldap.NewError(ldap.ErrorUnexpectedResponse, errors.New("ldap: unexpected answer to StartTLS"))
	}
	tc := tls.Client(nc, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, fmt.Errorf("TLS handshake failed (%w)", err))
	}
	return tc, nil
}

// connectErr classifies a dial/handshake error, pulling certificate
// verification failures out as *CertificateError.
func connectErr(url, op string, err, verifyErr error) error {
	if verifyErr != nil {
		return &CertificateError{URL: url, Err: verifyErr}
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return &CertificateError{URL: url, Err: err}
	}
	return &ConnectError{URL: url, Op: op, Err: err}
}

// verifyServerCert does what crypto/tls does when InsecureSkipVerify is
// false: chain to roots (nil: system pool) and match serverName (a DNS name
// or an IP address).
func verifyServerCert(cs tls.ConnectionState, roots *x509.CertPool, serverName string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	opts := x509.VerifyOptions{Roots: roots, DNSName: serverName, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(opts)
	return err
}

// ctxOr returns ctx's error (wrapped with err's text) when ctx ended, since
// an error seen after closing the connection is only a symptom.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

func (d *LDAPDirectory) bind(cfg LDAPConfig, host string, secure bool) error {
	switch {
	case cfg.Kerberos != nil:
		k := cfg.Kerberos
		spn := k.SPN
		if spn == "" {
			spn = "ldap/" + host
		}
		cl, ident, err := newKerberosClient(k)
		if err != nil {
			return &BindError{Mechanism: "GSSAPI", Identity: ident, Err: err}
		}
		defer cl.Close()
		if k.CCacheFile == "" {
			if err := cl.Login(); err != nil {
				return &BindError{Mechanism: "GSSAPI", Identity: ident, Err: err}
			}
		}
		if err := d.conn.GSSAPIBind(cl, spn, ""); err != nil {
			return &BindError{Mechanism: "GSSAPI", Identity: ident, Code: resultCode(err), Err: err}
		}
		d.bindDesc = "GSSAPI as " + ident
	case cfg.SSPI:
		spn := cfg.SSPISPN
		if spn == "" {
			spn = "ldap/" + host
		}
		cl, err := newSSPIClient()
		if err != nil {
			return &BindError{Mechanism: "SSPI", Err: err}
		}
		defer cl.DeleteSecContext() //nolint:errcheck // best-effort cleanup
		if err := d.conn.GSSAPIBind(cl, spn, ""); err != nil {
			return &BindError{Mechanism: "SSPI", Code: resultCode(err), Err: err}
		}
		d.bindDesc = "SSPI"
	case cfg.BindDN != "":
		if cfg.Password == "" {
			return &BindError{Mechanism: "simple", Identity: cfg.BindDN, Err: errors.New("empty password (an unauthenticated bind) refused")}
		}
		if !secure && !cfg.AllowInsecureSimpleBind {
			return &BindError{Mechanism: "simple", Identity: cfg.BindDN, Err: ErrInsecureSimpleBind}
		}
		if err := d.conn.Bind(cfg.BindDN, string(cfg.Password)); err != nil {
			return &BindError{Mechanism: "simple", Identity: cfg.BindDN, Code: resultCode(err), Err: err}
		}
		d.bindDesc = "simple bind as " + cfg.BindDN
	default:
		d.bindDesc = "anonymous"
	}
	return nil
}

// resultCode extracts the LDAP result code from a go-ldap error (0 if none).
func resultCode(err error) uint16 {
	var le *ldap.Error
	if errors.As(err, &le) && le.ResultCode != ldap.ErrorNetwork {
		return le.ResultCode
	}
	return 0
}

func (d *LDAPDirectory) readRootDSE(ctx context.Context, cfg LDAPConfig) error {
	req := ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, d.timeLimit, false,
		"(objectClass=*)", []string{"defaultNamingContext", "configurationNamingContext",
			"rootDomainNamingContext", "namingContexts"}, nil)
	entries, _, err := d.search(ctx, "rootDSE", req)
	if err != nil {
		return err
	}
	if len(entries) == 1 {
		e := entries[0]
		d.configNC = e.GetEqualFoldAttributeValue("configurationNamingContext")
		d.rootNC = e.GetEqualFoldAttributeValue("rootDomainNamingContext")
		d.base = e.GetEqualFoldAttributeValue("defaultNamingContext")
		if d.base == "" {
			d.base = e.GetEqualFoldAttributeValue("namingContexts")
		}
	}
	if d.gc {
		d.base = ""
	}
	if cfg.BaseDN != "" {
		d.base = cfg.BaseDN
	}
	if d.base == "" && !d.gc {
		return &LDAPError{Op: "rootDSE", Err: errors.New("server names no naming context; set LDAPConfig.BaseDN")}
	}
	if d.rootNC == "" {
		d.rootNC = d.base
	}
	if d.configNC == "" && d.rootNC != "" {
		d.configNC = "CN=Configuration," + d.rootNC
	}
	return nil
}

// lookupNetBIOS returns the NetBIOS name of the domain whose naming context
// is nc, from its crossRef object, or "" when that cannot be read (the name
// is never guessed from the DN).
func (d *LDAPDirectory) lookupNetBIOS(ctx context.Context, nc string) string {
	if d.configNC != "" {
		req := ldap.NewSearchRequest("CN=Partitions,"+d.configNC, ldap.ScopeSingleLevel, ldap.NeverDerefAliases,
			0, d.timeLimit, false, "(&(objectClass=crossRef)(nCName="+ldap.EscapeFilter(nc)+")(nETBIOSName=*))",
			[]string{"nETBIOSName"}, nil)
		if entries, _, err := d.search(ctx, "crossRef", req); err == nil && len(entries) > 0 {
			if n := entries[0].GetEqualFoldAttributeValue("nETBIOSName"); n != "" {
				return n
			}
		}
	}
	return ""
}

// loadCrossRefs fills d.domains (GC mode) with every domain's NetBIOS name.
func (d *LDAPDirectory) loadCrossRefs(ctx context.Context) {
	if d.configNC == "" {
		return
	}
	req := ldap.NewSearchRequest("CN=Partitions,"+d.configNC, ldap.ScopeSingleLevel, ldap.NeverDerefAliases,
		0, d.timeLimit, false, "(&(objectClass=crossRef)(nETBIOSName=*))", []string{"nCName", "nETBIOSName"}, nil)
	entries, _, err := d.search(ctx, "crossRef", req)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range entries {
		nc, n := e.GetEqualFoldAttributeValue("nCName"), e.GetEqualFoldAttributeValue("nETBIOSName")
		if nc != "" && n != "" {
			d.domains[strings.ToLower(nc)] = n
		}
	}
}

// Close closes the connection.
func (d *LDAPDirectory) Close() error {
	d.conn.Close()
	return nil
}

// BaseDN returns the DN searches start from ("" for a whole-forest Global
// Catalog search).
func (d *LDAPDirectory) BaseDN() string { return d.base }

// Domain returns the NetBIOS domain name used in Account.Name: the
// configured one or nETBIOSName read from CN=Partitions; "" when neither is
// known (names are then bare) and in Global Catalog mode, where each
// account's own domain is used when its crossRef could be read.
func (d *LDAPDirectory) Domain() string { return d.domain }

// Describe names the server and scope, e.g.
// "ldap://127.0.0.1:389 (domain DC=example,DC=test)".
func (d *LDAPDirectory) Describe() string {
	if d.gc {
		if d.base == "" {
			return d.url + " (global catalog, whole forest " + d.rootNC + ")"
		}
		return d.url + " (global catalog, " + d.base + ")"
	}
	return d.url + " (domain " + d.base + ")"
}

// String is Describe plus how the connection is bound; it never includes a
// password.
func (d *LDAPDirectory) String() string { return d.Describe() + ", " + d.bindDesc }

// Owners returns the accounts whose servicePrincipalName equals spn
// (case-insensitively, by the server's matching rule). The value is escaped,
// so "*" and parentheses match literally.
func (d *LDAPDirectory) Owners(ctx context.Context, spn string) (Answer, error) {
	if spn == "" {
		return Answer{}, errors.New("spn: Owners: empty SPN")
	}
	filter := "(" + attrSPN + "=" + ldap.EscapeFilter(spn) + ")"
	return d.collect(ctx, "owners", d.base, ldap.ScopeWholeSubtree, filter)
}

// Account returns the account named name: "DOMAIN\sam", "sam", "sam$",
// "user@domain" (userPrincipalName) or a DN. A bare name also matches the
// computer account name+"$".
func (d *LDAPDirectory) Account(ctx context.Context, name string) (Answer, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Answer{}, errors.New("spn: Account: empty name")
	}
	if strings.Contains(name, "=") {
		if _, err := ldap.ParseDN(name); err == nil {
			ans, err := d.collect(ctx, "account", name, ldap.ScopeBaseObject, "(objectClass=*)")
			var le *LDAPError
			if errors.As(err, &le) && le.Code == ldap.LDAPResultNoSuchObject {
				return Answer{Completeness: Completeness{Complete: true}}, nil
			}
			return ans, err
		}
	}
	domain, sam := "", name
	if i := strings.IndexByte(name, '\\'); i >= 0 {
		domain, sam = name[:i], name[i+1:]
	}
	var filter string
	switch {
	case strings.Contains(sam, "@") && domain == "":
		filter = "(userPrincipalName=" + ldap.EscapeFilter(sam) + ")"
	case strings.HasSuffix(sam, "$"):
		filter = "(" + attrSAM + "=" + ldap.EscapeFilter(sam) + ")"
	default:
		filter = "(|(" + attrSAM + "=" + ldap.EscapeFilter(sam) + ")(" + attrSAM + "=" + ldap.EscapeFilter(sam+"$") + "))"
	}
	ans, err := d.collect(ctx, "account", d.base, ldap.ScopeWholeSubtree, filter)
	if domain != "" {
		kept := ans.Accounts[:0]
		for _, a := range ans.Accounts {
			if dom, _, ok := strings.Cut(a.Name, `\`); !ok || strings.EqualFold(dom, domain) {
				kept = append(kept, a)
			}
		}
		ans.Accounts = kept
	}
	// Prefer an exact sAMAccountName match over the sam$ alternative.
	if len(ans.Accounts) > 1 {
		for i, a := range ans.Accounts {
			if strings.EqualFold(a.SAMAccountName, sam) {
				ans.Accounts[0], ans.Accounts[i] = ans.Accounts[i], ans.Accounts[0]
				break
			}
		}
	}
	return ans, err
}

// collect runs an account search and returns copies of the accounts.
func (d *LDAPDirectory) collect(ctx context.Context, op, base string, scope int, filter string) (Answer, error) {
	var ans Answer
	c, err := d.scanFilter(ctx, op, base, scope, filter, func(a *Account) error {
		cp := *a
		cp.SPNs = append([]string(nil), a.SPNs...)
		ans.Accounts = append(ans.Accounts, cp)
		return nil
	})
	ans.Completeness = c
	return ans, err
}

// Scan calls fn for every account with at least one servicePrincipalName,
// page by page (nothing is buffered beyond the page in flight). The *Account
// and its SPNs slice are reused between calls. The strings of one account
// share one allocation: keeping one of them keeps the others too, so a
// caller retaining a little from many accounts should strings.Clone it.
func (d *LDAPDirectory) Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error) {
	if d.stream == nil {
		// go-ldap decodes the entries (StartTLS): see gcBallast. The lean
		// reader makes about one allocation per entry and needs none.
		defer runtime.KeepAlive(gcBallast())
	}
	return d.scanFilter(ctx, "scan", d.base, ldap.ScopeWholeSubtree, "("+attrSPN+"=*)", fn)
}

// SPNMappings reads the forest's sPNMappings attribute from
// CN=Directory Service,CN=Windows NT,CN=Services in the configuration
// naming context.
func (d *LDAPDirectory) SPNMappings(ctx context.Context) (SPNMappings, error) {
	dn := "CN=Directory Service,CN=Windows NT,CN=Services," + d.configNC
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, d.timeLimit, false,
		"(objectClass=*)", []string{"sPNMappings"}, nil)
	entries, _, err := d.search(ctx, "sPNMappings", req)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, &LDAPError{Op: "sPNMappings", Code: ldap.LDAPResultNoSuchObject, Err: fmt.Errorf("%s not found", dn)}
	}
	vals := entries[0].GetEqualFoldAttributeValues("sPNMappings")
	if len(vals) == 0 {
		return nil, &LDAPError{Op: "sPNMappings", Err: fmt.Errorf("%s has no readable sPNMappings", dn)}
	}
	return ParseSPNMappings(vals)
}

// search runs a small search (rootDSE, configuration objects) and returns
// its entries. It is used only where the result is known to be tiny.
func (d *LDAPDirectory) search(parent context.Context, op string, req *ldap.SearchRequest) ([]*ldap.Entry, []string, error) {
	timeout := d.timeout
	if timeout <= 0 {
		timeout = DefaultLDAPTimeout
	}
	ctx, cancel := context.WithTimeoutCause(parent, timeout, errNoResponse)
	defer cancel()
	r, _ := d.startSearch(ctx, req, 4, false)
	var entries []*ldap.Entry
	var refs []string
	for r.Next() {
		if e := r.Entry(); e != nil {
			entries = append(entries, e)
		} else if ref := r.Referral(); ref != "" {
			refs = append(refs, ref)
		}
	}
	if err := parent.Err(); err != nil {
		return entries, refs, &LDAPError{Op: op, Err: err}
	}
	if ctx.Err() != nil {
		return entries, refs, &LDAPError{Op: op, Err: context.Cause(ctx)}
	}
	err := r.Err()
	if err == nil && d.conn.IsClosing() {
		err = errConnClosed
	}
	if err != nil {
		return entries, refs, &LDAPError{Op: op, Code: resultCode(err), Err: err}
	}
	return entries, refs, nil
}

// scanFilter is the streaming core: a paged search per page, entries
// decoded into one reused Account.
func (d *LDAPDirectory) scanFilter(ctx context.Context, op, base string, scope int, filter string, fn func(a *Account) error) (Completeness, error) {
	var (
		acc Account
		buf []byte
	)
	return d.scanEntries(ctx, op, base, scope, filter, accountAttrs, func(e *rawEntry) error {
		if err := d.decode(&acc, e, &buf); err != nil {
			return &badEntryError{dn: string(e.dn), err: err}
		}
		return fn(&acc)
	})
}

// badEntryError is returned by an entry handler for an entry it cannot
// decode; scanEntries turns it into an incomplete answer.
type badEntryError struct {
	dn  string
	err error
}

func (e *badEntryError) Error() string { return "entry " + e.dn + ": " + e.err.Error() }
func (e *badEntryError) Unwrap() error { return e.err }

// scanEntries is the streaming core: one SearchAsync per page with the
// paged-results control, entries handed to handle as they arrive (nothing is
// buffered beyond a few batches or scanBuffer entries). The entries of each
// page are diverted from go-ldap by the ldapStream and decoded by the lean
// reader of ber.go when the stream can take them, else they come decoded by
// go-ldap; handle sees the same *rawEntry either way (valid only during the
// call). An error from handle stops the scan and is returned unchanged (a
// *badEntryError becomes an incomplete answer).
func (d *LDAPDirectory) scanEntries(parent context.Context, op, base string, scope int, filter string, attrs []string, handle func(e *rawEntry) error) (Completeness, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	// Watchdog: cancel when the server sends nothing for d.timeout (reset
	// every 64 entries and at each page).
	timeout := d.timeout
	if timeout <= 0 {
		timeout = DefaultLDAPTimeout
	}
	// With the ldapStream, entries reach us in batches: bytes arriving from
	// the server (the stream's lastRead) also count as a response.
	var watchdog *time.Timer
	watchdog = time.AfterFunc(timeout, func() {
		if d.stream != nil {
			if idle := time.Since(time.Unix(0, d.stream.lastRead.Load())); idle < timeout {
				watchdog.Reset(timeout - idle)
				return
			}
		}
		cancel(errNoResponse)
	})
	defer watchdog.Stop()
	var (
		n      int
		refs   []string
		cookie []byte
		raw    rawEntry
	)
	incomplete := func(reason string, err error) (Completeness, error) {
		r := fmt.Sprintf("%s stopped after %d entries: %s", op, n, reason)
		return Completeness{Reason: r}, &IncompleteError{Reason: fmt.Sprintf("%s stopped after %d entries", op, n), Err: err}
	}
	stopped := func(err error) (Completeness, error) {
		var be *badEntryError
		if errors.As(err, &be) {
			return incomplete("undecodable "+be.Error(), &LDAPError{Op: op, Err: err})
		}
		return Completeness{Reason: fmt.Sprintf("%s stopped by the caller after %d entries", op, n)}, err
	}
	for {
		var controls []ldap.Control
		if d.pageSize > 0 {
			controls = append(controls, &ldap.ControlPaging{PagingSize: uint32(d.pageSize), Cookie: cookie})
		}
		if !d.gc && scope != ldap.ScopeBaseObject {
			controls = append(controls, ldap.NewControlString(domainScopeOID, false, ""))
		}
		req := ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 0, d.timeLimit, false, filter, attrs, controls)
		watchdog.Reset(timeout)
		r, dv := d.startSearch(ctx, req, scanBuffer, true)
		cookie = nil
		if dv != nil {
			err := d.drain(ctx, dv, &raw, &n, func() { watchdog.Reset(timeout) }, handle)
			d.stream.disarm(dv)
			if err != nil {
				return stopped(err)
			}
		}
		// go-ldap's part: the SearchResultDone (cookie, result code),
		// referrals, and the entries when none were diverted.
		for r.Next() {
			e := r.Entry()
			if e == nil {
				if ref := r.Referral(); ref != "" {
					refs = append(refs, ref)
				}
				if pc, ok := ldap.FindControl(r.Controls(), ldap.ControlTypePaging).(*ldap.ControlPaging); ok {
					cookie = pc.Cookie
				}
				continue
			}
			if n&63 == 0 {
				watchdog.Reset(timeout)
			}
			n++
			raw.fromLDAP(e)
			if err := handle(&raw); err != nil {
				return stopped(err)
			}
		}
		if err := parent.Err(); err != nil {
			return incomplete("cancelled", err)
		}
		if ctx.Err() != nil {
			return incomplete("no response for "+timeout.String(), &LDAPError{Op: op, Err: context.Cause(ctx)})
		}
		err := r.Err()
		if err == nil && d.conn.IsClosing() {
			// go-ldap ends a search on a closed connection without an error.
			err = errConnClosed
		}
		if err != nil {
			code := resultCode(err)
			var reason string
			switch code {
			case ldap.LDAPResultSizeLimitExceeded:
				reason = "size limit exceeded (use a paged search)"
			case ldap.LDAPResultTimeLimitExceeded:
				reason = "time limit exceeded"
			case ldap.LDAPResultReferral:
				reason = "referral not followed"
			case ldap.LDAPResultNoSuchObject:
				return Completeness{}, &LDAPError{Op: op, Code: code, Err: err}
			case 0:
				reason = "connection lost or request timed out"
			default:
				reason = ldap.LDAPResultCodeMap[code]
			}
			return incomplete(reason, &LDAPError{Op: op, Code: code, Err: err})
		}
		if len(cookie) == 0 {
			break
		}
	}
	if len(refs) > 0 {
		return incomplete(fmt.Sprintf("%d referral(s) not followed", len(refs)), &ReferralError{Referrals: refs})
	}
	return Completeness{Complete: true}, nil
}

// startSearch sends req through go-ldap's SearchAsync. With lean set, it
// also arms the ldapStream to divert the search's entries, and returns the
// divert (nil when the stream cannot take it: the entries then come through
// go-ldap).
//
// The stream recognises the diverted search by the first SearchRequest
// written after arming. Every search of the directory is therefore started
// under sendMu, and only once the stream has seen every earlier request
// written (go-ldap writes them from its own goroutine): no other search
// request can come between arming and the write. Waiting for the earlier
// requests rather than for one's own keeps a scan's next page from waiting
// at all. The wait is bounded by the connection closing, ctx and the
// directory's timeout; after a timeout nothing is diverted.
func (d *LDAPDirectory) startSearch(ctx context.Context, req *ldap.SearchRequest, buffer int, lean bool) (ldap.Response, *divert) {
	if d.stream == nil {
		return d.conn.SearchAsync(ctx, req, buffer), nil
	}
	if _, err := ldap.CompileFilter(req.Filter); err != nil {
		// go-ldap fails it before writing anything: not counted
		return d.conn.SearchAsync(ctx, req, buffer), nil
	}
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	var t *time.Timer
	for d.stream.written.Load() < d.started {
		if t == nil {
			timeout := d.timeout
			if timeout <= 0 {
				timeout = DefaultLDAPTimeout
			}
			t = time.NewTimer(timeout)
			defer t.Stop()
		}
		select {
		case <-d.stream.sent:
			continue
		case <-d.stream.closed:
		case <-ctx.Done():
		case <-t.C:
		}
		break
	}
	var dv *divert
	if lean && d.stream.written.Load() >= d.started && !d.conn.IsClosing() {
		dv = d.stream.arm(req.BaseDN)
	}
	r := d.conn.SearchAsync(ctx, req, buffer)
	d.started++
	return r, dv
}

// drain hands the entries diverted to dv to handle until the search's
// SearchResultDone (or the stream's failure) is next, ctx ends or the
// connection closes; n counts entries and alive is called every 64.
func (d *LDAPDirectory) drain(ctx context.Context, dv *divert, raw *rawEntry, n *int, alive func(), handle func(e *rawEntry) error) error {
	for {
		select {
		case b := <-dv.out:
			for m := b.buf; len(m) > 0; {
				k, _, _ := berFrame(m) // complete messages, framed by the stream
				msg := m[:k]
				m = m[k:]
				if *n&63 == 0 {
					alive()
				}
				*n++
				if err := raw.parseSearchEntry(msg); err != nil {
					return &badEntryError{dn: fmt.Sprintf("#%d", *n), err: err}
				}
				if err := handle(raw); err != nil {
					return err
				}
			}
			end := b.end
			d.stream.recycle(b)
			if end {
				return nil
			}
		case <-ctx.Done():
			return nil // reported by the caller
		case <-d.stream.closed:
			return nil // go-ldap reports the failure
		}
	}
}

// Attribute names as bytes, for rawEntry lookups.
var (
	bAttrSPN      = []byte(attrSPN)
	bAttrSAM      = []byte(attrSAM)
	bAttrUAC      = []byte(attrUAC)
	bAttrEncTypes = []byte(attrEncTypes)
	bAttrClass    = []byte(attrClass)
)

// decode fills a from e, reusing a's SPNs slice and the scratch buffer buf:
// every string of a is a substring of one allocation per entry.
func (d *LDAPDirectory) decode(a *Account, e *rawEntry, buf *[]byte) error {
	spns := a.SPNs[:0]
	*a = Account{}
	var sam, uac, enc []byte
	var haveUAC, haveEnc bool
	kind := Unknown
	// What a keeps, in one buffer: the DN, the SPNs, the account name.
	b := append((*buf)[:0], e.dn...)
	for i := range e.attrs {
		at := &e.attrs[i]
		vals := e.values(at)
		switch {
		case bytes.EqualFold(at.name, bAttrSPN):
			for _, v := range vals {
				b = append(b, v...)
			}
		case bytes.EqualFold(at.name, bAttrSAM):
			if len(vals) > 0 {
				sam = vals[0]
			}
		case bytes.EqualFold(at.name, bAttrUAC):
			if len(vals) > 0 {
				uac, haveUAC = vals[0], true
			}
		case bytes.EqualFold(at.name, bAttrEncTypes):
			if len(vals) > 0 {
				enc, haveEnc = vals[0], true
			}
		case bytes.EqualFold(at.name, bAttrClass):
			kind = max(kind, kindOfBytes(vals))
		}
	}
	spnEnd := len(b)
	b = append(b, sam...)
	samEnd := len(b)
	// the account name: DOMAIN\sam (the CN when sAMAccountName is missing)
	dom := d.domain
	if d.gc || dom == "" {
		dom = d.domainOfBytes(e.dn)
	}
	if dom != "" {
		b = append(b, dom...)
		b = append(b, '\\')
	}
	if len(sam) > 0 {
		b = append(b, sam...)
	} else {
		b = append(b, cnFromDN(string(e.dn))...)
	}
	*buf = b
	s := string(b)
	a.DN = s[:len(e.dn)]
	off := len(e.dn)
	for i := range e.attrs {
		if bytes.EqualFold(e.attrs[i].name, bAttrSPN) {
			for _, v := range e.values(&e.attrs[i]) {
				spns = append(spns, s[off:off+len(v)])
				off += len(v)
			}
		}
	}
	a.SPNs = spns
	a.SAMAccountName = s[spnEnd:samEnd]
	a.Name = s[samEnd:]
	a.Kind = kind
	if haveUAC {
		v, err := parseInt32(string(uac))
		if err != nil {
			return fmt.Errorf("%s %q: %w", attrUAC, uac, err)
		}
		a.Disabled = v&UACAccountDisable != 0
	}
	if haveEnc {
		et, err := ParseEncTypes(string(enc))
		if err != nil {
			return err
		}
		a.EncTypes, a.EncTypesSet = et, true
	}
	return nil
}

// objectClass values as bytes, for kindOfBytes.
var (
	bClassGMSA      = []byte("msDS-GroupManagedServiceAccount")
	bClassMSA       = []byte("msDS-ManagedServiceAccount")
	bClassComputer  = []byte("computer")
	bClassUser      = []byte("user")
	bClassInetOrgPe = []byte("inetOrgPerson")
)

// kindOfBytes is kindOf over raw objectClass values.
func kindOfBytes(classes [][]byte) AccountKind {
	k := Unknown
	for _, c := range classes {
		var ck AccountKind
		switch {
		case bytes.EqualFold(c, bClassGMSA):
			ck = GroupManagedServiceAccount
		case bytes.EqualFold(c, bClassMSA):
			ck = ManagedServiceAccount
		case bytes.EqualFold(c, bClassComputer):
			ck = Computer
		case bytes.EqualFold(c, bClassUser), bytes.EqualFold(c, bClassInetOrgPe):
			ck = User
		}
		if ck > k {
			k = ck
		}
	}
	return k
}

// fromLDAP fills e from an entry go-ldap decoded (copies).
func (e *rawEntry) fromLDAP(le *ldap.Entry) {
	e.dn, e.attrs, e.vals = []byte(le.DN), e.attrs[:0], e.vals[:0]
	for _, at := range le.Attributes {
		first := len(e.vals)
		for _, v := range at.Values {
			e.vals = append(e.vals, []byte(v))
		}
		e.attrs = append(e.attrs, rawAttr{name: []byte(at.Name), first: first, end: len(e.vals)})
	}
}

// kindOf is KindFromObjectClass without allocating.
func kindOf(classes []string) AccountKind {
	k := Unknown
	for _, c := range classes {
		var ck AccountKind
		switch {
		case strings.EqualFold(c, "msDS-GroupManagedServiceAccount"):
			ck = GroupManagedServiceAccount
		case strings.EqualFold(c, "msDS-ManagedServiceAccount"):
			ck = ManagedServiceAccount
		case strings.EqualFold(c, "computer"):
			ck = Computer
		case strings.EqualFold(c, "user"), strings.EqualFold(c, "inetOrgPerson"):
			ck = User
		}
		if ck > k {
			k = ck
		}
	}
	return k
}

// domainOf returns the NetBIOS name of the domain holding dn, read from its
// crossRef (CN=Partitions), or "" when no crossRef names it: the name is
// never guessed from the DN. Results are cached per DC= suffix spelling so a
// scan allocates nothing per entry.
func (d *LDAPDirectory) domainOf(dn string) string {
	i := dcSuffixStart(dn)
	if i < 0 {
		return ""
	}
	suffix := dn[i:]
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.domains == nil {
		d.domains = map[string]string{}
	}
	if n, ok := d.domains[suffix]; ok {
		return n
	}
	n := d.domains[strings.ToLower(suffix)]
	d.domains[strings.Clone(suffix)] = n
	return n
}

// domainOfBytes is domainOf for a DN in bytes; it allocates only the
// first time a suffix is seen.
func (d *LDAPDirectory) domainOfBytes(dn []byte) string {
	i := dcSuffixStart(dn)
	if i < 0 {
		return ""
	}
	d.mu.Lock()
	n, ok := d.domains[string(dn[i:])]
	d.mu.Unlock()
	if ok {
		return n
	}
	return d.domainOf(string(dn))
}

// dcSuffixStart returns the index where the trailing run of DC= RDNs of dn
// begins, or -1. It does not allocate.
func dcSuffixStart[T ~string | ~[]byte](dn T) int {
	start := -1
	rdn := 0 // start of the current RDN
	for i := 0; i <= len(dn); i++ {
		if i < len(dn) && dn[i] == '\\' {
			i++
			continue
		}
		if i < len(dn) && dn[i] != ',' {
			continue
		}
		t := rdn
		for t < i && dn[t] == ' ' {
			t++
		}
		if i-t > 3 && dn[t]|0x20 == 'd' && dn[t+1]|0x20 == 'c' && dn[t+2] == '=' {
			if start < 0 {
				start = t
			}
		} else {
			start = -1
		}
		rdn = i + 1
	}
	return start
}
