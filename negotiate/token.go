package negotiate

import (
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/internal/jsonorder"
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
//
// Its JSON has snake_case keys, OIDs as NamedOID objects and enums as names.
type Token struct {
	Kind      TokenKind `json:"kind"`
	InnerKind TokenKind `json:"inner_kind,omitzero"` // kind of the embedded mechanism token; UnknownToken when there is none
	// GSSWrapped reports a GSS-API InitialContextToken framing (0x60 + OID)
	// around the outermost message.
	GSSWrapped bool `json:"gss_wrapped"`
	// ThisMech is the OID of the GSS InitialContextToken framing, if any.
	ThisMech asn1.ObjectIdentifier `json:"this_mech,omitempty"` // JSON: NamedOID
	SPNEGO   *SPNEGO               `json:"spnego,omitempty"`
	Kerberos *Kerberos             `json:"kerberos,omitempty"`
	NTLM     *NTLM                 `json:"ntlm,omitempty"`
	// Notes lists deviations the decoder tolerated, such as a KRB-ERROR
	// without its [APPLICATION 30] tag.
	Notes []string `json:"notes,omitempty"`
	// Size is the length of the decoded input in bytes.
	Size int `json:"size"`
	// Truncated reports that the input ended before the lengths it states;
	// the fields hold what the available bytes show (see DecodeToken).
	Truncated bool `json:"truncated,omitempty"`
}

// MarshalJSON encodes the token with ThisMech as a NamedOID.
func (t Token) MarshalJSON() ([]byte, error) {
	type plain Token
	return jsonorder.Marshal[Token](struct {
		plain
		ThisMech *NamedOID `json:"this_mech,omitempty"`
	}{plain(t), namedOID(t.ThisMech)})
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
	MechTypes       []asn1.ObjectIdentifier `json:"mech_types,omitempty"`   // JSON: NamedOID objects
	ReqFlags        []string                `json:"req_flags,omitempty"`    // names of the ContextFlags bits set; JSON: {raw, names}
	ReqFlagsPresent bool                    `json:"-"`                      // JSON: req_flags present
	MechToken       []byte                  `json:"-"`                      // raw; decoded into Token (not in JSON: an AP-REQ or NTLM response is a credential)
	HintName        string                  `json:"hint_name,omitempty"`    // NegTokenInit2 negHints.hintName
	HintAddress     []byte                  `json:"hint_address,omitempty"` // NegTokenInit2 negHints.hintAddress
	// NegTokenResp
	NegState      NegState              `json:"neg_state"`                // JSON: left out when NegStateAbsent
	SupportedMech asn1.ObjectIdentifier `json:"supported_mech,omitempty"` // JSON: NamedOID
	ResponseToken []byte                `json:"-"`                        // raw; decoded into Token (not in JSON)
	// Both
	MechListMIC []byte `json:"mech_list_mic,omitempty"`

	reqFlagsRaw                    uint32 // first byte of the reqFlags BIT STRING (deleg = 0x80, mutual = 0x40, ...)
	mechTokenOff, responseTokenOff int    // offsets for errors in the inner token
}

// MarshalJSON encodes the OIDs as NamedOID objects, leaves out an absent
// NegState, and encodes the request flags as {raw, names} (raw is the first byte of the ContextFlags BIT STRING:
// deleg 0x80, mutual 0x40, replay 0x20, sequence 0x10, anon 0x08, conf 0x04,
// integ 0x02).
func (s SPNEGO) MarshalJSON() ([]byte, error) {
	type plain SPNEGO
	var flags *flagSet
	if s.ReqFlagsPresent {
		flags = newFlagSet(s.reqFlagsRaw, s.ReqFlags)
	}
	var state *NegState
	if s.NegState != NegStateAbsent {
		state = &s.NegState
	}
	return jsonorder.Marshal[SPNEGO](struct {
		plain
		MechTypes     []NamedOID `json:"mech_types,omitempty"`
		ReqFlags      *flagSet   `json:"req_flags,omitempty"`
		NegState      *NegState  `json:"neg_state,omitempty"`
		SupportedMech *NamedOID  `json:"supported_mech,omitempty"`
	}{plain(s), namedOIDs(s.MechTypes), flags, state, namedOID(s.SupportedMech)})
}

// flagSet is a set of flags as JSON shows it: the raw value and the names
// of the bits set.
type flagSet struct {
	Raw   uint32   `json:"raw"`
	Names []string `json:"names"`
}

func newFlagSet(raw uint32, names []string) *flagSet {
	if names == nil {
		names = []string{}
	}
	return &flagSet{Raw: raw, Names: names}
}

// PrincipalNameType is the name-type of a Kerberos PrincipalName (RFC 4120
// 6.2; MS-KILE for the negative Windows values).
type PrincipalNameType int32

var principalNameTypes = map[PrincipalNameType]string{
	0: "KRB_NT_UNKNOWN", 1: "KRB_NT_PRINCIPAL", 2: "KRB_NT_SRV_INST", 3: "KRB_NT_SRV_HST",
	4: "KRB_NT_SRV_XHST", 5: "KRB_NT_UID", 6: "KRB_NT_X500_PRINCIPAL", 7: "KRB_NT_SMTP_NAME",
	10: "KRB_NT_ENTERPRISE", 11: "KRB_NT_WELLKNOWN",
	-128: "KRB_NT_MS_PRINCIPAL", -129: "KRB_NT_MS_PRINCIPAL_AND_ID", -130: "KRB_NT_ENT_PRINCIPAL_AND_ID",
}

// String returns the RFC 4120 name and the number, "KRB_NT_SRV_INST (2)".
func (n PrincipalNameType) String() string {
	name, ok := principalNameTypes[n]
	if !ok {
		name = "name-type"
	}
	return name + " (" + strconv.Itoa(int(n)) + ")"
}

// MarshalText encodes the name type as its String form (for JSON).
func (n PrincipalNameType) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// PrincipalName is a Kerberos PrincipalName (RFC 4120 5.2.2).
type PrincipalName struct {
	NameType int32    `json:"name_type"` // JSON: PrincipalNameType ("KRB_NT_SRV_INST (2)")
	Names    []string `json:"names"`
}

// String joins the name components with "/" ("HTTP/web.corp.example").
func (p PrincipalName) String() string { return strings.Join(p.Names, "/") }

// MarshalJSON encodes NameType by name ("KRB_NT_SRV_INST (2)").
func (p PrincipalName) MarshalJSON() ([]byte, error) {
	type plain PrincipalName
	return jsonorder.Marshal[PrincipalName](struct {
		plain
		NameType PrincipalNameType `json:"name_type"`
	}{plain(p), PrincipalNameType(p.NameType)})
}

// Kerberos holds what can be read from a Kerberos message without keys.
// Exactly one of APReq, APRep and Error is set.
type Kerberos struct {
	MsgType int       `json:"msg_type"` // 14 AP-REQ, 15 AP-REP, 30 KRB-ERROR; JSON: KerberosMsgType ("KRB_AP_REQ (14)")
	APReq   *APReq    `json:"ap_req,omitempty"`
	APRep   *APRep    `json:"ap_rep,omitempty"`
	Error   *KRBError `json:"error,omitempty"`
}

// MarshalJSON encodes MsgType by name ("KRB_AP_REQ (14)").
func (k Kerberos) MarshalJSON() ([]byte, error) {
	type plain Kerberos
	return jsonorder.Marshal[Kerberos](struct {
		plain
		MsgType KerberosMsgType `json:"msg_type"`
	}{plain(k), KerberosMsgType(k.MsgType)})
}

// KerberosMsgType is a Kerberos message type (RFC 4120 7.5.7).
type KerberosMsgType int

var kerberosMsgTypes = map[KerberosMsgType]string{
	10: "KRB_AS_REQ", 11: "KRB_AS_REP", 12: "KRB_TGS_REQ", 13: "KRB_TGS_REP",
	14: "KRB_AP_REQ", 15: "KRB_AP_REP", 16: "KRB_RESERVED16", 17: "KRB_RESERVED17",
	20: "KRB_SAFE", 21: "KRB_PRIV", 22: "KRB_CRED", 30: "KRB_ERROR",
}

// String returns the RFC 4120 name and the number, "KRB_AP_REQ (14)".
func (m KerberosMsgType) String() string {
	name, ok := kerberosMsgTypes[m]
	if !ok {
		name = "msg-type"
	}
	return name + " (" + strconv.Itoa(int(m)) + ")"
}

// MarshalText encodes the type as its String form (for JSON).
func (m KerberosMsgType) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// APReq is the clear part of a KRB_AP_REQ: the ticket's realm and server
// name and the encryption types of the (encrypted) ticket and authenticator.
// The client's name is inside the encrypted parts and cannot be read.
type APReq struct {
	APOptions      uint32        `json:"ap_options"` // as the 32-bit big-endian flags value (0x20000000 = mutual-required); JSON: {raw, names}
	APOptionNames  []string      `json:"-"`          // JSON: ap_options.names
	MutualRequired bool          `json:"mutual_required"`
	UseSessionKey  bool          `json:"use_session_key"`
	Realm          string        `json:"realm"`          // ticket realm
	SName          PrincipalName `json:"sname"`          // ticket server name
	SPN            string        `json:"spn"`            // SName joined with "/"
	TicketEncType  int32         `json:"ticket_enctype"` // JSON: EncType ("aes256-cts-hmac-sha1-96 (18)")
	TicketKVNO     int           `json:"ticket_kvno"`    // 0 when absent
	AuthEncType    int32         `json:"auth_enctype"`   // JSON: EncType
	AuthKVNO       int           `json:"auth_kvno"`      // 0 when absent (the authenticator uses the session key)
}

// MarshalJSON encodes the options as {raw, names} and the encryption types
// by name; an encryption type the bytes did not show (0, a truncated token)
// is left out.
func (a APReq) MarshalJSON() ([]byte, error) {
	type plain APReq
	return jsonorder.Marshal[APReq](struct {
		plain
		APOptions     *flagSet `json:"ap_options"`
		TicketEncType EncType  `json:"ticket_enctype,omitzero"`
		AuthEncType   EncType  `json:"auth_enctype,omitzero"`
	}{plain(a), newFlagSet(a.APOptions, a.APOptionNames), EncType(a.TicketEncType), EncType(a.AuthEncType)})
}

// APRep is the clear part of a KRB_AP_REP (the server's mutual
// authentication answer).
type APRep struct {
	EncType int32 `json:"enctype"` // JSON: EncType ("aes256-cts-hmac-sha1-96 (18)")
	KVNO    int   `json:"kvno"`    // 0 when absent
}

// MarshalJSON encodes EncType by name.
func (a APRep) MarshalJSON() ([]byte, error) {
	type plain APRep
	return jsonorder.Marshal[APRep](struct {
		plain
		EncType EncType `json:"enctype"`
	}{plain(a), EncType(a.EncType)})
}

// KRBError is a KRB_ERROR message (RFC 4120 5.9.1).
type KRBError struct {
	Code    int32         `json:"code"`
	Name    string        `json:"name"`    // "KDC_ERR_S_PRINCIPAL_UNKNOWN"
	Meaning string        `json:"meaning"` // one line in plain language
	Realm   string        `json:"realm"`   // server realm
	SName   PrincipalName `json:"sname"`
	SPN     string        `json:"spn"`
	CRealm  string        `json:"crealm,omitempty"`
	CName   PrincipalName `json:"cname,omitzero"`
	STime   time.Time     `json:"stime"`
	SUSec   int           `json:"susec"`
	CTime   time.Time     `json:"ctime,omitzero"`
	EText   string        `json:"etext,omitempty"`
	EData   []byte        `json:"edata,omitempty"`
}

// AVPair is an NTLM AV_PAIR (MS-NLMP 2.2.2.1).
type AVPair struct {
	ID    uint16 `json:"id"` // JSON: AVPairID ("MsvAvNbDomainName (2)")
	Name  string `json:"-"`  // "MsvAvNbDomainName", ...; in JSON within id
	Value []byte `json:"value,omitempty"`
	// Text is the decoded string value for the name-valued pairs, the
	// RFC 3339 time for MsvAvTimestamp and the hex value of MsvAvFlags.
	Text string `json:"text,omitempty"`
}

// MarshalJSON encodes ID by name ("MsvAvNbDomainName (2)").
func (p AVPair) MarshalJSON() ([]byte, error) {
	type plain AVPair
	return jsonorder.Marshal[AVPair](struct {
		plain
		ID AVPairID `json:"id"`
	}{plain(p), AVPairID(p.ID)})
}

// AVPairID is the AvId of an NTLM AV_PAIR (MS-NLMP 2.2.2.1).
type AVPairID uint16

// String returns the MS-NLMP name and the number, "MsvAvNbDomainName (2)".
func (id AVPairID) String() string {
	name := "AvId" + strconv.Itoa(int(id))
	if int(id) < len(avNames) {
		name = avNames[id]
	}
	return name + " (" + strconv.Itoa(int(id)) + ")"
}

// MarshalText encodes the id as its String form (for JSON).
func (id AVPairID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// OSVersion is the NTLM VERSION structure (MS-NLMP 2.2.2.10).
type OSVersion struct {
	Major        uint8  `json:"major"`
	Minor        uint8  `json:"minor"`
	Build        uint16 `json:"build"`
	NTLMRevision uint8  `json:"ntlm_revision"`
}

// NTLM holds the fields of an NTLM message (MS-NLMP 2.2.1). Which fields are
// set depends on MessageType (1, 2 or 3). NTProofStr and the encrypted
// session key are left out of JSON (NTProofStr with the server challenge is
// what offline password cracking needs).
type NTLM struct {
	MessageType uint32     `json:"message_type"` // JSON: NTLMMessageType ("CHALLENGE_MESSAGE (2)")
	Flags       uint32     `json:"flags"`        // JSON: NTLMFlags {raw, names}
	FlagNames   []string   `json:"-"`            // JSON: flags.names
	OS          *OSVersion `json:"os,omitempty"`
	Unicode     bool       `json:"unicode"` // NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE

	// NEGOTIATE and AUTHENTICATE.
	Domain      string `json:"domain,omitempty"`
	Workstation string `json:"workstation,omitempty"`

	// CHALLENGE.
	TargetName      string   `json:"target_name,omitempty"`
	ServerChallenge []byte   `json:"server_challenge,omitempty"`
	TargetInfo      []AVPair `json:"target_info,omitempty"`

	// AUTHENTICATE.
	User              string   `json:"user,omitempty"`
	LMResponseLen     int      `json:"lm_response_len,omitempty"`
	NTResponseLen     int      `json:"nt_response_len,omitempty"`
	NTProofStr        []byte   `json:"-"`                         // NTLMv2 only; not in JSON (with the challenge it can be cracked offline)
	ClientAVPairs     []AVPair `json:"client_av_pairs,omitempty"` // NTLMv2 only
	MIC               []byte   `json:"mic,omitempty"`
	SessionKeyPresent bool     `json:"session_key_present,omitempty"`
	SessionKey        []byte   `json:"-"` // EncryptedRandomSessionKey; not in JSON

	// Timestamp is MsvAvTimestamp from TargetInfo (CHALLENGE) or the
	// client's AV pairs (AUTHENTICATE).
	Timestamp time.Time `json:"timestamp,omitzero"`
}

// MarshalJSON encodes MessageType by name and Flags as {raw, names}.
func (n NTLM) MarshalJSON() ([]byte, error) {
	type plain NTLM
	return jsonorder.Marshal[NTLM](struct {
		plain
		MessageType NTLMMessageType `json:"message_type"`
		Flags       NTLMFlags       `json:"flags"`
	}{plain(n), NTLMMessageType(n.MessageType), NTLMFlags(n.Flags)})
}

// NTLMMessageType is the MessageType of an NTLM message (MS-NLMP 2.2.1).
type NTLMMessageType uint32

// String returns the MS-NLMP name and the number, "CHALLENGE_MESSAGE (2)".
func (m NTLMMessageType) String() string {
	name := "MessageType"
	switch m {
	case 1:
		name = "NEGOTIATE_MESSAGE"
	case 2:
		name = "CHALLENGE_MESSAGE"
	case 3:
		name = "AUTHENTICATE_MESSAGE"
	}
	return name + " (" + strconv.FormatUint(uint64(m), 10) + ")"
}

// MarshalText encodes the type as its String form (for JSON).
func (m NTLMMessageType) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// NTLMFlags are NTLM NegotiateFlags (MS-NLMP 2.2.2.5). JSON shows them as
// {"raw": 2181726727, "names": ["NEGOTIATE_UNICODE", ...]}.
type NTLMFlags uint32

// Names returns the names of the bits set (see NTLMFlagNames).
func (f NTLMFlags) Names() []string { return NTLMFlagNames(uint32(f)) }

// String returns the hexadecimal value and the names,
// "0xa2088207 NEGOTIATE_UNICODE|...".
func (f NTLMFlags) String() string {
	return fmt.Sprintf("0x%08x %s", uint32(f), strings.Join(f.Names(), "|"))
}

// MarshalJSON encodes the flags as {raw, names}.
func (f NTLMFlags) MarshalJSON() ([]byte, error) {
	return json.Marshal(newFlagSet(uint32(f), f.Names()))
}
