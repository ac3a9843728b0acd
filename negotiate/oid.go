package negotiate

import "encoding/asn1"

// Mechanism OIDs seen in SPNEGO mechTypes and GSS framing (RFC 4178, RFC
// 1964, MS-SPNG 1.9, MS-NLMP, MS-NEGOEX).
var (
	OIDSPNEGO      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	OIDKerberos    = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	OIDMSKerberos  = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	OIDKerberosU2U = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2, 3}
	OIDIAKerb      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 2, 5}
	OIDNTLM        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	OIDNegoEx      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 30}
	oidKerberosOld = asn1.ObjectIdentifier{1, 3, 5, 1, 5, 2} // pre-RFC 1964 Kerberos v5 OID, still sent by MIT
)

// MechName returns a short name for a mechanism OID: "Kerberos",
// "MS-Kerberos", "Kerberos-U2U", "IAKerb", "NTLM", "NegoEx", "SPNEGO", or the
// dotted OID when it is not known.
func MechName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(OIDKerberos):
		return "Kerberos"
	case oid.Equal(OIDMSKerberos):
		return "MS-Kerberos"
	case oid.Equal(OIDKerberosU2U):
		return "Kerberos-U2U"
	case oid.Equal(oidKerberosOld):
		return "Kerberos (old OID)"
	case oid.Equal(OIDIAKerb):
		return "IAKerb"
	case oid.Equal(OIDNTLM):
		return "NTLM"
	case oid.Equal(OIDNegoEx):
		return "NegoEx"
	case oid.Equal(OIDSPNEGO):
		return "SPNEGO"
	}
	return oid.String()
}

// isKerberosOID reports the OIDs under which a raw Kerberos GSS token is framed.
func isKerberosOID(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(OIDKerberos) || oid.Equal(OIDMSKerberos) || oid.Equal(oidKerberosOld) || oid.Equal(OIDKerberosU2U)
}
