package negotiate

import (
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// GSS-API context flags carried in the Kerberos authenticator checksum
// (RFC 2744 / RFC 4121 4.1.1.1).
const (
	gssMutualFlag = 2
	gssConfFlag   = 16
	gssIntegFlag  = 32
)

// KRB5 GSS token identifiers (RFC 4121 4.1 / RFC 1964 1.1).
var (
	gssTokAPReq = []byte{0x01, 0x00}
	gssTokAPRep = []byte{0x02, 0x00}
)

// probeAPReq is a Kerberos AP-REQ built for a probe, with what is needed to
// check the server's AP-REP.
type probeAPReq struct {
	token []byte // SPNEGO NegTokenInit (GSS framed) carrying the KRB5 AP-REQ
	auth  types.Authenticator
	key   types.EncryptionKey
}

// buildKerberosInit makes the token a browser sends: a SPNEGO NegTokenInit
// proposing Kerberos with an optimistic AP-REQ that asks for mutual
// authentication (AP option mutual-required and the GSS mutual flag), so
// the server has to answer with an AP-REP.
func buildKerberosInit(cl *client.Client, tkt messages.Ticket, key types.EncryptionKey) (*probeAPReq, error) {
	auth, err := types.NewAuthenticator(cl.Credentials.Domain(), cl.Credentials.CName())
	if err != nil {
		return nil, fmt.Errorf("authenticator: %w", err)
	}
	// RFC 4121 4.1.1: Lgth=16 (LE), 16 bytes of channel bindings (none), flags (LE).
	ck := make([]byte, 24)
	binary.LittleEndian.PutUint32(ck[0:4], 16)
	binary.LittleEndian.PutUint32(ck[20:24], gssMutualFlag|gssConfFlag|gssIntegFlag)
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: ck}
	apReq, err := messages.NewAPReq(tkt, key, auth)
	if err != nil {
		return nil, fmt.Errorf("AP-REQ: %w", err)
	}
	types.SetFlag(&apReq.APOptions, flags.APOptionMutualRequired)
	ab, err := apReq.Marshal()
	if err != nil {
		return nil, fmt.Errorf("AP-REQ: %w", err)
	}
	krb5, err := gssFrame(OIDKerberos, append(append([]byte{}, gssTokAPReq...), ab...))
	if err != nil {
		return nil, err
	}
	tok, err := spnegoInit([]asn1.ObjectIdentifier{OIDKerberos}, krb5)
	if err != nil {
		return nil, err
	}
	return &probeAPReq{token: tok, auth: auth, key: key}, nil
}

// verifyAPRep checks a server's KRB5 GSS token (the responseToken of its
// NegTokenResp): it must be an AP-REP whose encrypted part opens with the
// session key and echoes the authenticator's time. Success proves the server
// holds the service key (mutual authentication).
func (p *probeAPReq) verifyAPRep(gssToken []byte) error {
	inner, err := gssUnframe(gssToken, gssTokAPRep)
	if err != nil {
		return err
	}
	var rep messages.APRep
	if err := rep.Unmarshal(inner); err != nil {
		return fmt.Errorf("AP-REP: %w", err)
	}
	plain, err := crypto.DecryptEncPart(rep.EncPart, p.key, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("AP-REP does not decrypt with the session key: %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return fmt.Errorf("AP-REP encrypted part: %w", err)
	}
	if !part.CTime.Truncate(time.Second).Equal(p.auth.CTime.Truncate(time.Second)) || part.Cusec != p.auth.Cusec {
		return errors.New("AP-REP time does not match the authenticator")
	}
	return nil
}

// gssFrame wraps a mechanism token in the GSS-API InitialContextToken
// framing: [APPLICATION 0] { thisMech OID, innerToken } (RFC 2743 3.1).
func gssFrame(mech asn1.ObjectIdentifier, inner []byte) ([]byte, error) {
	oid, err := asn1.Marshal(mech)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, Tag: 0, IsCompound: true, Bytes: append(oid, inner...)})
}

// gssUnframe removes the InitialContextToken framing of a KRB5 token and
// its 2-byte token id, which must be tokID.
func gssUnframe(b []byte, tokID []byte) ([]byte, error) {
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(b, &outer)
	if err != nil || len(rest) != 0 || outer.Class != asn1.ClassApplication || outer.Tag != 0 {
		return nil, errors.New("not a GSS-API initial context token")
	}
	var oid asn1.ObjectIdentifier
	inner, err := asn1.Unmarshal(outer.Bytes, &oid)
	if err != nil {
		return nil, errors.New("GSS-API token without a mechanism OID")
	}
	if !isKerberosOID(oid) {
		return nil, fmt.Errorf("GSS-API token for mechanism %s, not Kerberos", MechName(oid))
	}
	if len(inner) < 2 || inner[0] != tokID[0] || inner[1] != tokID[1] {
		return nil, fmt.Errorf("KRB5 token id is not %x", tokID)
	}
	return inner[2:], nil
}

// spnegoInit builds a GSS-framed SPNEGO NegTokenInit (RFC 4178 4.2.1).
func spnegoInit(mechs []asn1.ObjectIdentifier, mechToken []byte) ([]byte, error) {
	type negTokenInit struct {
		MechTypes []asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
		MechToken []byte                  `asn1:"explicit,optional,tag:2"`
	}
	seq, err := asn1.Marshal(negTokenInit{MechTypes: mechs, MechToken: mechToken})
	if err != nil {
		return nil, err
	}
	choice, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: seq})
	if err != nil {
		return nil, err
	}
	return gssFrame(OIDSPNEGO, choice)
}

// spnegoResp builds a client NegTokenResp carrying responseToken, without
// negState (RFC 4178 4.2.2: the initiator may omit it).
func spnegoResp(responseToken []byte) ([]byte, error) {
	type negTokenResp struct {
		ResponseToken []byte `asn1:"explicit,optional,tag:2"`
	}
	seq, err := asn1.Marshal(negTokenResp{ResponseToken: responseToken})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: seq})
}
