package negotiate

import (
	"encoding/asn1"
	"strings"
	"time"
)

// TokenKind classifies a decoded token by its outermost message.
type TokenKind int

// Token kinds. A SPNEGO token that carries a mechanism token has the SPNEGO
// kind in Token.Kind and the inner kind in Token.InnerKind.
const (
	UnknownToken     TokenKind = iota
	SPNEGOInit                 // SPNEGO NegTokenInit (client's first token)
	SPNEGOInit2                // SPNEGO NegTokenInit2 with negHints (server hint, MS-SPNG 2.2.1)
	SPNEGOResp                 // SPNEGO NegTokenResp (every later token, both directions)
	KerberosAPReq              // Kerberos KRB_AP_REQ (client to server: the service ticket)
	KerberosAPRep              // Kerberos KRB_AP_REP (server to client: mutual authentication)
	KerberosError              // Kerberos KRB_ERROR
	NTLMNegotiate              // NTLM NEGOTIATE_MESSAGE (type 1)
	NTLMChallenge              // NTLM CHALLENGE_MESSAGE (type 2)
	NTLMAuthenticate           // NTLM AUTHENTICATE_MESSAGE (type 3)
)

var tokenKindNames = [...]string{
	UnknownToken:     "unknown",
	SPNEGOInit:       "SPNEGO NegTokenInit",
	SPNEGOInit2:      "SPNEGO NegTokenInit2",
	SPNEGOResp:       "SPNEGO NegTokenResp",
	KerberosAPReq:    "Kerberos AP-REQ",
	KerberosAPRep:    "Kerberos AP-REP",
	KerberosError:    "Kerberos KRB-ERROR",
	NTLMNegotiate:    "NTLM NEGOTIATE",
	NTLMChallenge:    "NTLM CHALLENGE",
	NTLMAuthenticate: "NTLM AUTHENTICATE",
}

// String returns a readable name such as "Kerberos AP-REQ".
func (k TokenKind) String() string {
	if k < 0 || int(k) >= len(tokenKindNames) {
		return "unknown"
	}
	return tokenKindNames[k]
}

// MarshalText encodes the kind as its String form (for JSON).
func (k TokenKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Token is a decoded Negotiate, Kerberos or NTLM token.
//
// SPNEGO is set for SPNEGO tokens. Kerberos and NTLM are set when the token
// is, or carries as its mechToken/responseToken, a Kerberos or NTLM message:
// a SPNEGO NegTokenInit with an optimistic AP-REQ has Kind SPNEGOInit,
// InnerKind KerberosAPReq and both SPNEGO and Kerberos set.
type Token struct {
	Kind      TokenKind
	InnerKind TokenKind `json:",omitzero"` // kind of the embedded mechanism token; UnknownToken when there is none
	// GSSWrapped reports a GSS-API InitialContextToken framing (0x60 + OID)
	// around the outermost message.
	GSSWrapped bool
	// ThisMech is the OID of the GSS InitialContextToken framing, if any.
	ThisMech asn1.ObjectIdentifier `json:",omitempty"`
	SPNEGO   *SPNEGO               `json:",omitempty"`
	Kerberos *Kerberos             `json:",omitempty"`
	NTLM     *NTLM                 `json:",omitempty"`
	// Notes lists deviations the decoder tolerated, such as a KRB-ERROR
	// without its [APPLICATION 30] tag.
	Notes []string `json:",omitempty"`
	// Size is the length of the decoded input in bytes.
	Size int
	// Truncated reports that the input ended before the lengths it states;
	// the fields hold what the available bytes show (see DecodeToken).
	Truncated bool `json:",omitempty"`
}

// NegState is the SPNEGO negotiation state of a NegTokenResp (RFC 4178 4.2.2).
type NegState int

// NegState values. NegStateAbsent means the optional field was not sent
// (clients omit it in their second token).
const (
	NegStateAbsent   NegState = -1
	AcceptCompleted  NegState = 0
	AcceptIncomplete NegState = 1
	Reject           NegState = 2
	RequestMIC       NegState = 3
)

// String returns the RFC 4178 name ("accept-completed", ...).
func (s NegState) String() string {
	switch s {
	case NegStateAbsent:
		return "absent"
	case AcceptCompleted:
		return "accept-completed"
	case AcceptIncomplete:
		return "accept-incomplete"
	case Reject:
		return "reject"
	case RequestMIC:
		return "request-mic"
	}
	return "unknown"
}

// MarshalText encodes the state as its String form (for JSON).
func (s NegState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// SPNEGO holds the fields of a NegTokenInit, NegTokenInit2 or NegTokenResp
// (RFC 4178, MS-SPNG). Absent optional fields are nil/empty; NegState is
// NegStateAbsent when missing. The raw mechanism tokens are left out of JSON:
// a captured AP-REQ or NTLM response can be replayed or cracked, and their
// decoded fields are on the Token.
type SPNEGO struct {
	// NegTokenInit / NegTokenInit2
	MechTypes       []asn1.ObjectIdentifier `json:",omitempty"`
	ReqFlags        []string                `json:",omitempty"` // names of the ContextFlags bits set
	ReqFlagsPresent bool                    `json:",omitempty"`
	MechToken       []byte                  `json:"-"`          // raw; decoded into Token (not in JSON: an AP-REQ or NTLM response is a credential)
	HintName        string                  `json:",omitempty"` // NegTokenInit2 negHints.hintName
	HintAddress     []byte                  `json:",omitempty"` // NegTokenInit2 negHints.hintAddress
	// NegTokenResp
	NegState      NegState
	SupportedMech asn1.ObjectIdentifier `json:",omitempty"`
	ResponseToken []byte                `json:"-"` // raw; decoded into Token (not in JSON)
	// Both
	MechListMIC []byte `json:",omitempty"`

	mechTokenOff, responseTokenOff int // offsets for errors in the inner token
}

// PrincipalName is a Kerberos PrincipalName (RFC 4120 5.2.2).
type PrincipalName struct {
	NameType int32
	Names    []string
}

// String joins the name components with "/" ("HTTP/web.corp.example").
func (p PrincipalName) String() string { return strings.Join(p.Names, "/") }

// Kerberos holds what can be read from a Kerberos message without keys.
// Exactly one of APReq, APRep and Error is set.
type Kerberos struct {
	MsgType int       // 14 AP-REQ, 15 AP-REP, 30 KRB-ERROR
	APReq   *APReq    `json:",omitempty"`
	APRep   *APRep    `json:",omitempty"`
	Error   *KRBError `json:",omitempty"`
}

// APReq is the clear part of a KRB_AP_REQ: the ticket's realm and server
// name and the encryption types of the (encrypted) ticket and authenticator.
// The client's name is inside the encrypted parts and cannot be read.
type APReq struct {
	APOptions      uint32   // as the 32-bit big-endian flags value (0x20000000 = mutual-required)
	APOptionNames  []string `json:",omitempty"`
	MutualRequired bool
	UseSessionKey  bool
	Realm          string        // ticket realm
	SName          PrincipalName // ticket server name
	SPN            string        // SName joined with "/"
	TicketEncType  int32
	TicketKVNO     int // 0 when absent
	AuthEncType    int32
	AuthKVNO       int // 0 when absent (the authenticator uses the session key)
}

// APRep is the clear part of a KRB_AP_REP (the server's mutual
// authentication answer).
type APRep struct {
	EncType int32
	KVNO    int // 0 when absent
}

// KRBError is a KRB_ERROR message (RFC 4120 5.9.1).
type KRBError struct {
	Code    int32
	Name    string // "KDC_ERR_S_PRINCIPAL_UNKNOWN"
	Meaning string // one line in plain language
	Realm   string // server realm
	SName   PrincipalName
	SPN     string
	CRealm  string        `json:",omitempty"`
	CName   PrincipalName `json:",omitzero"`
	STime   time.Time
	SUSec   int
	CTime   time.Time `json:",omitzero"`
	EText   string    `json:",omitempty"`
	EData   []byte    `json:",omitempty"`
}

// AVPair is an NTLM AV_PAIR (MS-NLMP 2.2.2.1).
type AVPair struct {
	ID    uint16
	Name  string // "MsvAvNbDomainName", ...
	Value []byte `json:",omitempty"`
	// Text is the decoded string value for the name-valued pairs, the
	// RFC 3339 time for MsvAvTimestamp and the hex value of MsvAvFlags.
	Text string `json:",omitempty"`
}

// OSVersion is the NTLM VERSION structure (MS-NLMP 2.2.2.10).
type OSVersion struct {
	Major, Minor uint8
	Build        uint16
	NTLMRevision uint8
}

// NTLM holds the fields of an NTLM message (MS-NLMP 2.2.1). Which fields are
// set depends on MessageType (1, 2 or 3). NTProofStr and the encrypted
// session key are left out of JSON (NTProofStr with the server challenge is
// what offline password cracking needs).
type NTLM struct {
	MessageType uint32
	Flags       uint32
	FlagNames   []string   `json:",omitempty"`
	OS          *OSVersion `json:",omitempty"`
	Unicode     bool       // NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE

	// NEGOTIATE and AUTHENTICATE.
	Domain      string `json:",omitempty"`
	Workstation string `json:",omitempty"`

	// CHALLENGE.
	TargetName      string   `json:",omitempty"`
	ServerChallenge []byte   `json:",omitempty"`
	TargetInfo      []AVPair `json:",omitempty"`

	// AUTHENTICATE.
	User              string   `json:",omitempty"`
	LMResponseLen     int      `json:",omitempty"`
	NTResponseLen     int      `json:",omitempty"`
	NTProofStr        []byte   `json:"-"`          // NTLMv2 only; not in JSON (with the challenge it can be cracked offline)
	ClientAVPairs     []AVPair `json:",omitempty"` // NTLMv2 only
	MIC               []byte   `json:",omitempty"`
	SessionKeyPresent bool     `json:",omitempty"`
	SessionKey        []byte   `json:"-"` // EncryptedRandomSessionKey; not in JSON

	// Timestamp is MsvAvTimestamp from TargetInfo (CHALLENGE) or the
	// client's AV pairs (AUTHENTICATE).
	Timestamp time.Time `json:",omitzero"`
}
