package negotiate

import "encoding/asn1"

// NamedOID is an object identifier as the package's JSON shows it: the
// dotted form and, for a known mechanism, a short lower-case name
// ({"oid":"1.2.840.113554.1.2.2","name":"kerberos"}). JSON never shows an
// OID as an array of integers.
type NamedOID struct {
	// OID is the dotted form ("1.3.6.1.4.1.311.2.2.10").
	OID string `json:"oid"`
	// Name is "kerberos", "ms-kerberos", "kerberos-u2u", "kerberos-old",
	// "iakerb", "ntlm", "negoex" or "spnego"; empty for other OIDs.
	Name string `json:"name,omitempty"`
}

// NameOID returns the JSON form of oid.
func NameOID(oid asn1.ObjectIdentifier) NamedOID {
	return NamedOID{OID: oid.String(), Name: mechJSONName(oid)}
}

// namedOID is NameOID for an optional OID: nil when oid is empty.
func namedOID(oid asn1.ObjectIdentifier) *NamedOID {
	if len(oid) == 0 {
		return nil
	}
	n := NameOID(oid)
	return &n
}

// namedOIDs is NameOID over a list (nil for an empty one).
func namedOIDs(oids []asn1.ObjectIdentifier) []NamedOID {
	if len(oids) == 0 {
		return nil
	}
	out := make([]NamedOID, len(oids))
	for i, o := range oids {
		out[i] = NameOID(o)
	}
	return out
}

// mechJSONName is the lower-case mechanism name for JSON, "" when unknown.
func mechJSONName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(OIDKerberos):
		return "kerberos"
	case oid.Equal(OIDMSKerberos):
		return "ms-kerberos"
	case oid.Equal(OIDKerberosU2U):
		return "kerberos-u2u"
	case oid.Equal(oidKerberosOld):
		return "kerberos-old"
	case oid.Equal(OIDIAKerb):
		return "iakerb"
	case oid.Equal(OIDNTLM):
		return "ntlm"
	case oid.Equal(OIDNegoEx):
		return "negoex"
	case oid.Equal(OIDSPNEGO):
		return "spnego"
	}
	return ""
}
