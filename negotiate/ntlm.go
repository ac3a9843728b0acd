package negotiate

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// NTLM message layout facts from MS-NLMP 2.2.1 (message formats), 2.2.2.1
// (AV_PAIR), 2.2.2.5 (flags), 2.2.2.7 (NTLMv2_CLIENT_CHALLENGE), 2.2.2.10
// (VERSION).

// NTLM negotiate flags (MS-NLMP 2.2.2.5).
const (
	NTLMFlagUnicode                 = 0x00000001
	NTLMFlagOEM                     = 0x00000002
	NTLMFlagRequestTarget           = 0x00000004
	NTLMFlagSign                    = 0x00000010
	NTLMFlagSeal                    = 0x00000020
	NTLMFlagLMKey                   = 0x00000080
	NTLMFlagNTLM                    = 0x00000200
	NTLMFlagAnonymous               = 0x00000800
	NTLMFlagOEMDomainSupplied       = 0x00001000
	NTLMFlagOEMWorkstationSupplied  = 0x00002000
	NTLMFlagAlwaysSign              = 0x00008000
	NTLMFlagExtendedSessionSecurity = 0x00080000
	NTLMFlagTargetInfo              = 0x00800000
	NTLMFlagVersion                 = 0x02000000
	NTLMFlag128                     = 0x20000000
	NTLMFlagKeyExchange             = 0x40000000
	NTLMFlag56                      = 0x80000000
)

var ntlmFlagNames = []struct {
	bit  uint32
	name string
}{
	{0x00000001, "NEGOTIATE_UNICODE"},
	{0x00000002, "NEGOTIATE_OEM"},
	{0x00000004, "REQUEST_TARGET"},
	{0x00000010, "NEGOTIATE_SIGN"},
	{0x00000020, "NEGOTIATE_SEAL"},
	{0x00000040, "NEGOTIATE_DATAGRAM"},
	{0x00000080, "NEGOTIATE_LM_KEY"},
	{0x00000200, "NEGOTIATE_NTLM"},
	{0x00000800, "ANONYMOUS"},
	{0x00001000, "NEGOTIATE_OEM_DOMAIN_SUPPLIED"},
	{0x00002000, "NEGOTIATE_OEM_WORKSTATION_SUPPLIED"},
	{0x00008000, "NEGOTIATE_ALWAYS_SIGN"},
	{0x00010000, "TARGET_TYPE_DOMAIN"},
	{0x00020000, "TARGET_TYPE_SERVER"},
	{0x00080000, "NEGOTIATE_EXTENDED_SESSIONSECURITY"},
	{0x00100000, "NEGOTIATE_IDENTIFY"},
	{0x00400000, "REQUEST_NON_NT_SESSION_KEY"},
	{0x00800000, "NEGOTIATE_TARGET_INFO"},
	{0x02000000, "NEGOTIATE_VERSION"},
	{0x20000000, "NEGOTIATE_128"},
	{0x40000000, "NEGOTIATE_KEY_EXCH"},
	{0x80000000, "NEGOTIATE_56"},
}

// NTLMFlagNames returns the MS-NLMP names of the bits set in flags
// ("NEGOTIATE_UNICODE", ...), lowest bit first; unnamed bits appear as hex.
func NTLMFlagNames(flags uint32) []string {
	var out []string
	rest := flags
	for _, f := range ntlmFlagNames {
		if flags&f.bit != 0 {
			out = append(out, f.name)
			rest &^= f.bit
		}
	}
	for i := 0; i < 32; i++ {
		if rest&(1<<i) != 0 {
			out = append(out, fmt.Sprintf("0x%08x", uint32(1)<<i))
		}
	}
	return out
}

// AV_PAIR ids (MS-NLMP 2.2.2.1).
const (
	AvEOL             = 0
	AvNbComputerName  = 1
	AvNbDomainName    = 2
	AvDNSComputerName = 3
	AvDNSDomainName   = 4
	AvDNSTreeName     = 5
	AvFlags           = 6
	AvTimestamp       = 7
	AvSingleHost      = 8
	AvTargetName      = 9
	AvChannelBindings = 10
)

var avNames = [...]string{
	"MsvAvEOL", "MsvAvNbComputerName", "MsvAvNbDomainName", "MsvAvDnsComputerName",
	"MsvAvDnsDomainName", "MsvAvDnsTreeName", "MsvAvFlags", "MsvAvTimestamp",
	"MsvAvSingleHost", "MsvAvTargetName", "MsvChannelBindings",
}

// NTLMResponse classifies the challenge response of an AUTHENTICATE message.
type NTLMResponse int

// NTLM response versions. NTLMv1 is decided by length: an NT response of
// exactly 24 bytes (or none with a 24-byte LM response) is NTLMv1; a longer
// one is NTLMv2 (MS-NLMP 2.2.2.6, 2.2.2.8, 3.3).
const (
	NoResponse NTLMResponse = iota // not an AUTHENTICATE message
	Anonymous                      // empty NT and LM (or 1-byte LM) responses
	NTLMv1
	NTLMv2
	UnknownResponse // an NT response length that is neither 24 nor a valid NTLMv2 length
)

// String returns "NTLMv1", "NTLMv2", "anonymous", "none" or "unknown".
func (v NTLMResponse) String() string {
	switch v {
	case Anonymous:
		return "anonymous"
	case NTLMv1:
		return "NTLMv1"
	case NTLMv2:
		return "NTLMv2"
	case UnknownResponse:
		return "unknown"
	}
	return "none"
}

// MarshalText encodes the version as its String form (for JSON).
func (v NTLMResponse) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Version classifies the challenge response of an AUTHENTICATE message:
// NTLMv1 when the NT response is exactly 24 bytes, NTLMv2 when it is longer.
// Other messages give NoResponse.
func (n *NTLM) Version() NTLMResponse {
	if n == nil || n.MessageType != 3 {
		return NoResponse
	}
	switch {
	case n.NTResponseLen == 24:
		return NTLMv1
	case n.NTResponseLen == 0 && n.LMResponseLen == 24:
		return NTLMv1
	case n.NTResponseLen == 0 && n.LMResponseLen <= 1:
		return Anonymous
	case n.NTResponseLen >= 16+28:
		return NTLMv2
	}
	return UnknownResponse
}

// AVFlags returns the MsvAvFlags value from the client's AV pairs and
// whether the pair is present (0x2: the message carries a MIC; 0x4: the
// target SPN is from an untrusted source).
func (n *NTLM) AVFlags() (uint32, bool) {
	for _, p := range n.ClientAVPairs {
		if p.ID == AvFlags && len(p.Value) == 4 {
			return binary.LittleEndian.Uint32(p.Value), true
		}
	}
	return 0, false
}

// ChannelBindings returns the MsvAvChannelBindings hash from the client's AV
// pairs; all zeros means the client sent none (no extended protection).
func (n *NTLM) ChannelBindings() ([]byte, bool) {
	return n.avValue(AvChannelBindings)
}

// TargetSPN returns MsvAvTargetName from the client's AV pairs: the SPN the
// client believes it is talking to.
func (n *NTLM) TargetSPN() (string, bool) {
	for _, p := range n.ClientAVPairs {
		if p.ID == AvTargetName {
			return p.Text, true
		}
	}
	return "", false
}

func (n *NTLM) avValue(id uint16) ([]byte, bool) {
	for _, p := range n.ClientAVPairs {
		if p.ID == id {
			return p.Value, true
		}
	}
	return nil, false
}

// MICPresent reports whether the AUTHENTICATE message carries a MIC (the
// MIC field exists and MsvAvFlags says so, or it is not all zeros).
func (n *NTLM) MICPresent() bool {
	if len(n.MIC) == 0 {
		return false
	}
	if f, ok := n.AVFlags(); ok && f&0x2 != 0 {
		return true
	}
	for _, c := range n.MIC {
		if c != 0 {
			return true
		}
	}
	return false
}

// ntlmField is a security buffer (Len, MaxLen, Offset) in an NTLM header.
type ntlmField struct {
	name        string
	hdr         int // offset of the field descriptor within the message
	length, off int
}

func decodeNTLM(b []byte, base int) (*NTLM, TokenKind, error) {
	errf := func(off int, field string, cause error, format string, a ...any) error {
		return &DecodeError{Offset: base + off, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{cause}, a...)...)}
	}
	if len(b) < 12 {
		return nil, 0, errf(len(b), "NTLM header", ErrTruncated, "message of %d bytes ends before MessageType", len(b))
	}
	n := &NTLM{MessageType: binary.LittleEndian.Uint32(b[8:12])}
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(b[off : off+4]) }
	field := func(name string, hdr int) ntlmField {
		return ntlmField{name: name, hdr: hdr, length: int(binary.LittleEndian.Uint16(b[hdr:])), off: int(u32(hdr + 4))}
	}
	var kind TokenKind
	var fixed int // size of the fixed header before optional Version/MIC
	var fields []ntlmField
	switch n.MessageType {
	case 1:
		kind, fixed = NTLMNegotiate, 16
		if len(b) < 16 {
			return nil, 0, errf(len(b), "NEGOTIATE", ErrTruncated, "message of %d bytes ends before NegotiateFlags", len(b))
		}
		n.Flags = u32(12)
		if len(b) >= 32 {
			fixed = 32
			fields = []ntlmField{field("DomainNameFields", 16), field("WorkstationFields", 24)}
		}
	case 2:
		kind, fixed = NTLMChallenge, 32
		if len(b) < 32 {
			return nil, 0, errf(len(b), "CHALLENGE", ErrTruncated, "message of %d bytes is shorter than the 32-byte header", len(b))
		}
		n.Flags = u32(20)
		n.ServerChallenge = b[24:32]
		fields = []ntlmField{field("TargetNameFields", 12)}
		if len(b) >= 48 {
			fixed = 48
			fields = append(fields, field("TargetInfoFields", 40))
		}
	case 3:
		kind, fixed = NTLMAuthenticate, 64
		if len(b) < 64 {
			return nil, 0, errf(len(b), "AUTHENTICATE", ErrTruncated, "message of %d bytes is shorter than the 64-byte header", len(b))
		}
		n.Flags = u32(60)
		fields = []ntlmField{
			field("LmChallengeResponseFields", 12), field("NtChallengeResponseFields", 20),
			field("DomainNameFields", 28), field("UserNameFields", 36), field("WorkstationFields", 44),
			field("EncryptedRandomSessionKeyFields", 52),
		}
	default:
		return nil, 0, errf(8, "NTLM MessageType", ErrMalformed, "MessageType %d is not 1, 2 or 3", n.MessageType)
	}
	n.Unicode = n.Flags&NTLMFlagUnicode != 0
	n.FlagNames = NTLMFlagNames(n.Flags)
	name := kind.String()

	// Where does the payload start? The lowest offset of a non-empty field.
	payload := len(b)
	total := 0
	for _, f := range fields {
		if f.length > 0 {
			payload = min(payload, f.off)
			total += f.length
		}
	}
	// Strict validation: every non-empty field must lie after the fixed
	// header and inside the message, and fields must not overlap.
	for _, f := range fields {
		if f.length == 0 {
			continue
		}
		if f.off < fixed {
			return nil, 0, errf(f.hdr, name+"."+f.name, ErrInconsistent, "offset %d points into the %d-byte fixed header", f.off, fixed)
		}
		if f.off > len(b) || f.length > len(b)-f.off {
			if hdr := len(b) - total; hdr >= fixed && hdr != payload && hdr <= len(b) {
				return nil, 0, errf(f.hdr, name+"."+f.name, ErrInconsistent,
					"offset %d + length %d runs past the %d-byte message: the field offsets assume the payload starts at byte %d, but the %d bytes of fields fill the message from byte %d (header offsets are inconsistent with the payload, e.g. Version/MIC counted but absent)",
					f.off, f.length, len(b), payload, total, hdr)
			}
			return nil, 0, errf(f.hdr, name+"."+f.name, ErrTruncated, "offset %d + length %d runs past the %d-byte message", f.off, f.length, len(b))
		}
	}
	sorted := append([]ntlmField(nil), fields...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].off < sorted[j].off })
	prevEnd, prevName := 0, ""
	for _, f := range sorted {
		if f.length == 0 {
			continue
		}
		if f.off < prevEnd {
			return nil, 0, errf(f.hdr, name+"."+f.name, ErrInconsistent, "bytes %d-%d overlap %s", f.off, f.off+f.length, prevName)
		}
		prevEnd, prevName = f.off+f.length, f.name
	}
	data := func(i int) []byte {
		f := fields[i]
		if f.length == 0 {
			return nil // an empty field's offset is not validated and may be anything
		}
		return b[f.off : f.off+f.length]
	}
	str := func(i int, unicode bool) (string, error) {
		d := data(i)
		if unicode {
			if len(d)%2 != 0 {
				return "", errf(fields[i].hdr, name+"."+fields[i].name, ErrMalformed, "UTF-16 string of odd length %d", len(d))
			}
			return utf16le(d), nil
		}
		return string(d), nil
	}

	// Optional VERSION (8 bytes) after the fixed header, when flagged and
	// when the payload leaves room for it.
	if n.Flags&NTLMFlagVersion != 0 && fixed >= 32 && payload >= fixed+8 && len(b) >= fixed+8 {
		v := b[fixed : fixed+8]
		n.OS = &OSVersion{Major: v[0], Minor: v[1], Build: binary.LittleEndian.Uint16(v[2:4]), NTLMRevision: v[7]}
	}

	var err error
	switch n.MessageType {
	case 1:
		if len(fields) == 2 {
			// NEGOTIATE strings are always OEM (MS-NLMP 2.2.1.1).
			n.Domain, _ = str(0, false)
			n.Workstation, _ = str(1, false)
		}
	case 2:
		if n.TargetName, err = str(0, n.Unicode); err != nil {
			return nil, 0, err
		}
		if len(fields) == 2 && fields[1].length > 0 {
			if n.TargetInfo, err = parseAVPairs(data(1), base+fields[1].off, name+".TargetInfo"); err != nil {
				return nil, 0, err
			}
			n.Timestamp = avTimestamp(n.TargetInfo)
		}
	case 3:
		n.LMResponseLen = fields[0].length
		n.NTResponseLen = fields[1].length
		if n.Domain, err = str(2, n.Unicode); err != nil {
			return nil, 0, err
		}
		if n.User, err = str(3, n.Unicode); err != nil {
			return nil, 0, err
		}
		if n.Workstation, err = str(4, n.Unicode); err != nil {
			return nil, 0, err
		}
		if fields[5].length > 0 {
			n.SessionKeyPresent = true
			n.SessionKey = data(5)
		}
		if payload >= 88 && len(b) >= 88 {
			n.MIC = b[72:88]
		}
		if nt := data(1); len(nt) > 24 {
			// NTLMv2_RESPONSE: NTProofStr(16) then NTLMv2_CLIENT_CHALLENGE:
			// RespType, HiRespType, Reserved1(2), Reserved2(4), TimeStamp(8),
			// ChallengeFromClient(8), Reserved3(4), AvPairs.
			if len(nt) < 16+28 {
				return nil, 0, errf(fields[1].hdr, name+".NtChallengeResponse", ErrMalformed, "NT response of %d bytes is neither NTLMv1 (24) nor NTLMv2 (at least 44)", len(nt))
			}
			n.NTProofStr = nt[:16]
			cc := nt[16:]
			if cc[0] != 1 || cc[1] != 1 {
				return nil, 0, errf(fields[1].off+16, name+".NTLMv2_CLIENT_CHALLENGE", ErrMalformed, "RespType %d/HiRespType %d, want 1/1", cc[0], cc[1])
			}
			if n.ClientAVPairs, err = parseAVPairs(cc[28:], base+fields[1].off+16+28, name+".NTLMv2_CLIENT_CHALLENGE.AvPairs"); err != nil {
				return nil, 0, err
			}
			n.Timestamp = avTimestamp(n.ClientAVPairs)
			if n.Timestamp.IsZero() {
				n.Timestamp = filetime(binary.LittleEndian.Uint64(cc[8:16]))
			}
		}
	}
	return n, kind, nil
}

// parseAVPairs reads an AV_PAIR list up to MsvAvEOL. Bytes after EOL are
// allowed (clients pad the NTLMv2 response).
func parseAVPairs(b []byte, base int, field string) ([]AVPair, error) {
	var out []AVPair
	p := 0
	for {
		if len(b)-p < 4 {
			return nil, &DecodeError{Offset: base + p, Field: field, Err: fmt.Errorf("%w: AV pair list ends without MsvAvEOL", ErrTruncated)}
		}
		id := binary.LittleEndian.Uint16(b[p:])
		l := int(binary.LittleEndian.Uint16(b[p+2:]))
		if l > len(b)-p-4 {
			return nil, &DecodeError{Offset: base + p, Field: field, Err: fmt.Errorf("%w: AV pair %d says %d bytes but %d remain", ErrTruncated, id, l, len(b)-p-4)}
		}
		if id == AvEOL {
			return out, nil
		}
		if len(out) >= 256 {
			return nil, &DecodeError{Offset: base + p, Field: field, Err: fmt.Errorf("%w: more than 256 AV pairs", ErrMalformed)}
		}
		v := b[p+4 : p+4+l]
		pair := AVPair{ID: id, Value: v, Name: fmt.Sprintf("AvId%d", id)}
		if int(id) < len(avNames) {
			pair.Name = avNames[id]
		}
		switch id {
		case AvNbComputerName, AvNbDomainName, AvDNSComputerName, AvDNSDomainName, AvDNSTreeName, AvTargetName:
			if l%2 != 0 {
				return nil, &DecodeError{Offset: base + p, Field: field, Err: fmt.Errorf("%w: %s is a UTF-16 string of odd length %d", ErrMalformed, pair.Name, l)}
			}
			pair.Text = utf16le(v)
		case AvFlags:
			if l != 4 {
				return nil, &DecodeError{Offset: base + p, Field: field, Err: fmt.Errorf("%w: MsvAvFlags of %d bytes, want 4", ErrMalformed, l)}
			}
			pair.Text = fmt.Sprintf("0x%08x", binary.LittleEndian.Uint32(v))
		case AvTimestamp:
			if l != 8 {
				return nil, &DecodeError{Offset: base + p, Field: field, Err: fmt.Errorf("%w: MsvAvTimestamp of %d bytes, want 8", ErrMalformed, l)}
			}
			pair.Text = filetime(binary.LittleEndian.Uint64(v)).Format(time.RFC3339Nano)
		case AvChannelBindings:
			pair.Text = strings.ToUpper(hex.EncodeToString(v))
		}
		out = append(out, pair)
		p += 4 + l
	}
}

func avTimestamp(pairs []AVPair) time.Time {
	for _, p := range pairs {
		if p.ID == AvTimestamp && len(p.Value) == 8 {
			return filetime(binary.LittleEndian.Uint64(p.Value))
		}
	}
	return time.Time{}
}

// filetime converts a Windows FILETIME (100 ns ticks since 1601-01-01 UTC).
func filetime(ft uint64) time.Time {
	const epochDiff = 11644473600 // seconds from 1601 to 1970
	secs := int64(ft/10_000_000) - epochDiff
	nsec := int64(ft%10_000_000) * 100
	return time.Unix(secs, nsec).UTC()
}

func utf16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
