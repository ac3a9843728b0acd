package negotiate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PAC buffer types (MS-PAC 2.4).
const (
	PACLogonInfo        = 1  // KERB_VALIDATION_INFO
	PACCredentialsInfo  = 2  // PAC_CREDENTIAL_INFO (PKINIT)
	PACServerChecksum   = 6  // server signature
	PACPrivSvrChecksum  = 7  // KDC signature
	PACClientInfoType   = 10 // PAC_CLIENT_INFO
	PACDelegationInfo   = 11 // S4U_DELEGATION_INFO
	PACUPNDNSInfo       = 12 // UPN_DNS_INFO
	PACClientClaims     = 13 // PAC_CLIENT_CLAIMS_INFO
	PACDeviceInfo       = 14 // PAC_DEVICE_INFO
	PACDeviceClaims     = 15 // PAC_DEVICE_CLAIMS_INFO
	PACTicketChecksum   = 16 // ticket signature
	PACAttributesInfo   = 17 // PAC_ATTRIBUTES_INFO
	PACRequestor        = 18 // PAC_REQUESTOR (the client's SID)
	PACFullChecksum     = 19 // extended KDC signature
	maxPACBuffers       = 1024
	filetimeUnixEpoch   = 116444736000000000
	filetimeNever       = 0x7fffffffffffffff
	maxSIDSubAuthority  = 15
	ndrCommonHeaderSize = 16
)

var pacBufferNames = map[uint32]string{
	PACLogonInfo: "logon_info", PACCredentialsInfo: "credentials_info", PACServerChecksum: "server_checksum",
	PACPrivSvrChecksum: "kdc_checksum", PACClientInfoType: "client_info", PACDelegationInfo: "s4u_delegation_info",
	PACUPNDNSInfo: "upn_dns_info", PACClientClaims: "client_claims_info", PACDeviceInfo: "device_info",
	PACDeviceClaims: "device_claims_info", PACTicketChecksum: "ticket_checksum", PACAttributesInfo: "attributes_info",
	PACRequestor: "requestor", PACFullChecksum: "full_pac_checksum",
}

// PACBufferName returns the snake_case name of a PAC buffer type
// ("logon_info", "server_checksum", ...) or "type_<n>".
func PACBufferName(t uint32) string {
	if n, ok := pacBufferNames[t]; ok {
		return n
	}
	return "type_" + strconv.FormatUint(uint64(t), 10)
}

// ErrPAC is wrapped by every *PACError.
var ErrPAC = errors.New("invalid PAC")

// PACError reports a PAC (or one of its buffers) that cannot be decoded.
// Offset is the byte offset into the PAC where the problem was found.
// errors.Is matches ErrPAC and ErrTruncated, ErrMalformed or ErrInconsistent.
type PACError struct {
	Offset int
	Field  string
	Err    error
}

// Error returns the message with the position of the problem.
func (e *PACError) Error() string {
	return fmt.Sprintf("negotiate: PAC %s at byte %d: %v", e.Field, e.Offset, e.Err)
}

// Unwrap returns ErrPAC and the cause.
func (e *PACError) Unwrap() []error { return []error{ErrPAC, e.Err} }

// PAC is a decoded Privilege Attribute Certificate (MS-PAC), the
// authorization data an Active Directory KDC puts in every ticket: who the
// user is to Windows (SID, groups) and the signatures that bind it to the
// service's key and the KDC's.
type PAC struct {
	Version uint32      `json:"version"`
	Buffers []PACBuffer `json:"buffers"`
	// LogonInfo is the KERB_VALIDATION_INFO: the token IIS builds for the user.
	LogonInfo  *LogonInfo     `json:"logon_info,omitempty"`
	ClientInfo *PACClientInfo `json:"client_info,omitempty"`
	UPNDNSInfo *UPNDNSInfo    `json:"upn_dns_info,omitempty"`
	// ServerSignature is made with the service's key; KDCSignature with the
	// KDC's (krbtgt) key.
	ServerSignature  *PACSignature `json:"server_signature,omitempty"`
	KDCSignature     *PACSignature `json:"kdc_signature,omitempty"`
	TicketSignature  *PACSignature `json:"ticket_signature,omitempty"`
	FullPACSignature *PACSignature `json:"full_pac_signature,omitempty"`
	// Attributes are the PAC_ATTRIBUTES_INFO flags ("pac_was_requested", ...).
	Attributes []string `json:"attributes,omitempty"`
	// RequestorSID is the PAC_REQUESTOR SID.
	RequestorSID string `json:"requestor_sid,omitempty"`
	// Problems lists buffers that could not be decoded; the others are
	// still filled in.
	Problems []string `json:"problems,omitempty"`
}

// PACBuffer is one PAC_INFO_BUFFER entry.
type PACBuffer struct {
	Type   uint32 `json:"type"`
	Name   string `json:"name"`
	Size   uint32 `json:"size"`
	Offset uint64 `json:"offset"`
}

// PACClientInfo is PAC_CLIENT_INFO: the client's name and the ticket's
// authentication time, which must match the ticket.
type PACClientInfo struct {
	ClientID time.Time `json:"client_id"`
	Name     string    `json:"name"`
}

// UPNDNSInfo is UPN_DNS_INFO: the user principal name and DNS domain, and
// with the extended form the sAMAccountName and SID.
type UPNDNSInfo struct {
	UPN            string `json:"upn,omitempty"`
	DNSDomain      string `json:"dns_domain,omitempty"`
	Flags          uint32 `json:"flags"`
	UPNConstructed bool   `json:"upn_constructed,omitempty"` // flag 1: the account has no UPN; this one is built
	SAMName        string `json:"sam_name,omitempty"`
	SID            string `json:"sid,omitempty"`
}

// PACSignature is PAC_SIGNATURE_DATA. Status is "valid" or "invalid" when
// the signature was checked with the key that opened the ticket,
// "unverified" otherwise (the KDC signature needs the krbtgt key).
type PACSignature struct {
	Type     int32  `json:"-"`
	TypeName string `json:"type"` // "hmac-sha1-96-aes256 (16)"
	Size     int    `json:"size"`
	RODC     uint16 `json:"rodc_id,omitempty"`
	Status   string `json:"status"`
	Note     string `json:"note,omitempty"`

	sigOff int // offset of the signature bytes in the PAC
}

// LogonInfo is KERB_VALIDATION_INFO (MS-PAC 2.5): the user's identity and
// group memberships as the KDC saw them, from which Windows builds the
// access token of the authenticated user.
type LogonInfo struct {
	LogonTime          time.Time `json:"logon_time,omitzero"`
	PasswordLastSet    time.Time `json:"password_last_set,omitzero"`
	PasswordMustChange time.Time `json:"password_must_change,omitzero"`
	EffectiveName      string    `json:"effective_name"` // sAMAccountName
	FullName           string    `json:"full_name,omitempty"`
	LogonScript        string    `json:"logon_script,omitempty"`
	ProfilePath        string    `json:"profile_path,omitempty"`
	HomeDirectory      string    `json:"home_directory,omitempty"`
	HomeDirectoryDrive string    `json:"home_directory_drive,omitempty"`
	LogonCount         uint16    `json:"logon_count"`
	BadPasswordCount   uint16    `json:"bad_password_count"`
	UserID             uint32    `json:"user_rid"`
	PrimaryGroupID     uint32    `json:"primary_group_rid"`
	UserSID            string    `json:"user_sid,omitempty"` // LogonDomainSID + UserID
	PrimaryGroupSID    string    `json:"primary_group_sid,omitempty"`
	// Groups are the domain groups (RIDs in the logon domain).
	Groups             []GroupMembership `json:"groups"`
	UserFlags          uint32            `json:"user_flags"`
	UserFlagNames      []string          `json:"user_flag_names,omitempty"`
	LogonServer        string            `json:"logon_server,omitempty"`
	LogonDomainName    string            `json:"logon_domain_name"`
	LogonDomainSID     string            `json:"logon_domain_sid,omitempty"`
	UserAccountControl uint32            `json:"user_account_control"`
	// ExtraSIDs are SIDs outside the logon domain (universal groups of
	// other domains, SID history, "Authentication authority asserted
	// identity" S-1-18-1).
	ExtraSIDs []SIDAndAttributes `json:"extra_sids,omitempty"`
	// Resource groups (domain-local groups of a resource domain).
	ResourceGroupDomainSID string            `json:"resource_group_domain_sid,omitempty"`
	ResourceGroups         []GroupMembership `json:"resource_groups,omitempty"`
}

// GroupMembership is a GROUP_MEMBERSHIP: a RID in a domain, with its SID
// when the domain SID is known.
type GroupMembership struct {
	RID        uint32 `json:"rid"`
	SID        string `json:"sid,omitempty"`
	Attributes uint32 `json:"attributes"`
}

// SIDAndAttributes is a KERB_SID_AND_ATTRIBUTES.
type SIDAndAttributes struct {
	SID        string `json:"sid"`
	Attributes uint32 `json:"attributes"`
}

// ParsePAC decodes a PAC (the ad-data of an AD-WIN2K-PAC authorization data
// element). Undecodable buffers other than the header are listed in
// PAC.Problems and the first one's error is returned with the PAC; a PAC
// whose header or buffer list is broken gives nil and a *PACError. The work
// is linear in len(b) and nothing is allocated from a count before the count
// is checked against the bytes present.
func ParsePAC(b []byte) (*PAC, error) {
	if len(b) < 8 {
		return nil, &PACError{0, "PACTYPE", fmt.Errorf("%w: %d bytes, the header is 8", ErrTruncated, len(b))}
	}
	le := binary.LittleEndian
	n := le.Uint32(b)
	p := &PAC{Version: le.Uint32(b[4:])}
	if n > maxPACBuffers || uint64(n)*16 > uint64(len(b)-8) {
		return nil, &PACError{0, "PACTYPE.cBuffers", fmt.Errorf("%w: %d buffers do not fit in %d bytes", ErrTruncated, n, len(b))}
	}
	if p.Version != 0 {
		return nil, &PACError{4, "PACTYPE.Version", fmt.Errorf("%w: version %d (want 0)", ErrMalformed, p.Version)}
	}
	p.Buffers = make([]PACBuffer, n)
	for i := range p.Buffers {
		e := b[8+16*i:]
		buf := PACBuffer{Type: le.Uint32(e), Size: le.Uint32(e[4:]), Offset: le.Uint64(e[8:])}
		buf.Name = PACBufferName(buf.Type)
		if buf.Offset > uint64(len(b)) || uint64(buf.Size) > uint64(len(b))-buf.Offset {
			return nil, &PACError{8 + 16*i, "PAC_INFO_BUFFER " + buf.Name, fmt.Errorf("%w: %d bytes at offset %d run past the %d-byte PAC", ErrTruncated, buf.Size, buf.Offset, len(b))}
		}
		if buf.Offset < 8+16*uint64(n) {
			return nil, &PACError{8 + 16*i, "PAC_INFO_BUFFER " + buf.Name, fmt.Errorf("%w: offset %d points into the buffer list", ErrInconsistent, buf.Offset)}
		}
		p.Buffers[i] = buf
	}
	var first error
	seen := map[uint32]bool{}
	for _, buf := range p.Buffers {
		if seen[buf.Type] {
			continue // MS-PAC: later buffers of a type are ignored
		}
		seen[buf.Type] = true
		off := int(buf.Offset)
		data := b[off : off+int(buf.Size)]
		var err error
		switch buf.Type {
		case PACLogonInfo:
			p.LogonInfo, err = parseLogonInfo(data, off)
		case PACClientInfoType:
			p.ClientInfo, err = parseClientInfo(data, off)
		case PACUPNDNSInfo:
			p.UPNDNSInfo, err = parseUPNDNSInfo(data, off)
		case PACServerChecksum:
			p.ServerSignature, err = parseSignature(data, off, buf.Name)
		case PACPrivSvrChecksum:
			p.KDCSignature, err = parseSignature(data, off, buf.Name)
		case PACTicketChecksum:
			p.TicketSignature, err = parseSignature(data, off, buf.Name)
		case PACFullChecksum:
			p.FullPACSignature, err = parseSignature(data, off, buf.Name)
		case PACAttributesInfo:
			p.Attributes, err = parseAttributes(data, off)
		case PACRequestor:
			var sid string
			sid, _, err = parseBinarySID(data, off, "PAC_REQUESTOR")
			p.RequestorSID = sid
		}
		if err != nil {
			p.Problems = append(p.Problems, err.Error())
			if first == nil {
				first = err
			}
		}
	}
	return p, first
}

func pacErr(off int, field string, err error, format string, a ...any) *PACError {
	return &PACError{Offset: off, Field: field, Err: fmt.Errorf("%w: %s", err, fmt.Sprintf(format, a...))}
}

// checksumTypeNames names the checksum types of PAC signatures and
// authenticators (RFC 3961 and IANA; MS-PAC 2.8).
var checksumTypeNames = map[int32]string{
	1: "crc32", 2: "rsa-md4", 3: "rsa-md4-des", 4: "des-mac", 5: "des-mac-k", 6: "rsa-md4-des-k", 7: "rsa-md5",
	8: "rsa-md5-des", 9: "rsa-md5-des3", 10: "sha1", 12: "hmac-sha1-des3-kd", 13: "hmac-sha1-des3", 14: "sha1",
	15: "hmac-sha1-96-aes128", 16: "hmac-sha1-96-aes256", 17: "cmac-camellia128", 18: "cmac-camellia256",
	19: "hmac-sha256-128-aes128", 20: "hmac-sha384-192-aes256", 32771: "gss-api", -138: "hmac-md5",
}

// ChecksumTypeName returns a checksum type's name with its number,
// "hmac-sha1-96-aes256 (16)", "gss-api (32771)", "hmac-md5 (-138)".
func ChecksumTypeName(t int32) string {
	n, ok := checksumTypeNames[t]
	if !ok {
		n = "cksumtype"
	}
	return n + " (" + strconv.Itoa(int(t)) + ")"
}

// signatureSize is the length of a PAC signature of type t (MS-PAC 2.8).
func signatureSize(t int32) int {
	switch t {
	case -138:
		return 16
	case 15, 16:
		return 12
	case 19:
		return 16
	case 20:
		return 24
	}
	return -1
}

func parseSignature(d []byte, off int, field string) (*PACSignature, error) {
	if len(d) < 4 {
		return nil, pacErr(off, field, ErrTruncated, "%d bytes, a signature needs at least 4", len(d))
	}
	t := int32(binary.LittleEndian.Uint32(d))
	s := &PACSignature{Type: t, TypeName: ChecksumTypeName(t), Status: "unverified", sigOff: off + 4}
	n := signatureSize(t)
	if n < 0 {
		n = len(d) - 4 // unknown type: the rest
	}
	if n > len(d)-4 {
		return nil, pacErr(off, field, ErrTruncated, "%s signature of %d bytes, %d present", s.TypeName, n, len(d)-4)
	}
	s.Size = n
	if rest := d[4+n:]; len(rest) >= 2 {
		s.RODC = binary.LittleEndian.Uint16(rest)
	}
	return s, nil
}

func parseClientInfo(d []byte, off int) (*PACClientInfo, error) {
	if len(d) < 10 {
		return nil, pacErr(off, "PAC_CLIENT_INFO", ErrTruncated, "%d bytes, the header is 10", len(d))
	}
	n := int(binary.LittleEndian.Uint16(d[8:]))
	if n > len(d)-10 || n%2 != 0 {
		return nil, pacErr(off+8, "PAC_CLIENT_INFO.NameLength", ErrTruncated, "name of %d bytes, %d present", n, len(d)-10)
	}
	return &PACClientInfo{ClientID: pacFiletime(binary.LittleEndian.Uint64(d)), Name: utf16le(d[10 : 10+n])}, nil
}

func parseUPNDNSInfo(d []byte, off int) (*UPNDNSInfo, error) {
	const field = "UPN_DNS_INFO"
	if len(d) < 12 {
		return nil, pacErr(off, field, ErrTruncated, "%d bytes, the header is 12", len(d))
	}
	le := binary.LittleEndian
	str := func(lenAt int, what string) (string, error) {
		n, o := int(le.Uint16(d[lenAt:])), int(le.Uint16(d[lenAt+2:]))
		if n == 0 {
			return "", nil
		}
		if o > len(d) || n > len(d)-o || n%2 != 0 {
			return "", pacErr(off+lenAt, field+"."+what, ErrTruncated, "%d bytes at offset %d of a %d-byte buffer", n, o, len(d))
		}
		return utf16le(d[o : o+n]), nil
	}
	u := &UPNDNSInfo{Flags: le.Uint32(d[8:])}
	u.UPNConstructed = u.Flags&1 != 0
	var err error
	if u.UPN, err = str(0, "Upn"); err != nil {
		return nil, err
	}
	if u.DNSDomain, err = str(4, "DnsDomainName"); err != nil {
		return nil, err
	}
	if u.Flags&2 != 0 { // extended: SamName and Sid
		if len(d) < 20 {
			return nil, pacErr(off, field, ErrTruncated, "extended form of %d bytes, the header is 20", len(d))
		}
		if u.SAMName, err = str(12, "SamName"); err != nil {
			return nil, err
		}
		n, o := int(le.Uint16(d[16:])), int(le.Uint16(d[18:]))
		if n > 0 {
			if o > len(d) || n > len(d)-o {
				return nil, pacErr(off+16, field+".Sid", ErrTruncated, "%d bytes at offset %d of a %d-byte buffer", n, o, len(d))
			}
			if u.SID, _, err = parseBinarySID(d[o:o+n], off+o, field+".Sid"); err != nil {
				return nil, err
			}
		}
	}
	return u, nil
}

var pacAttributeNames = [...]string{"pac_was_requested", "pac_was_given_implicitly"}

func parseAttributes(d []byte, off int) ([]string, error) {
	if len(d) < 8 {
		return nil, pacErr(off, "PAC_ATTRIBUTES_INFO", ErrTruncated, "%d bytes, want 8", len(d))
	}
	f := binary.LittleEndian.Uint32(d[4:])
	var out []string
	for i := 0; i < 32; i++ {
		if f&(1<<i) == 0 {
			continue
		}
		if i < len(pacAttributeNames) {
			out = append(out, pacAttributeNames[i])
		} else {
			out = append(out, "bit"+strconv.Itoa(i))
		}
	}
	return out, nil
}

// parseBinarySID decodes a SID in its binary form (MS-DTYP 2.4.2.2) and
// returns it as "S-1-5-21-..." with its length in bytes.
func parseBinarySID(d []byte, off int, field string) (string, int, error) {
	if len(d) < 8 {
		return "", 0, pacErr(off, field, ErrTruncated, "SID of %d bytes, the header is 8", len(d))
	}
	n := int(d[1])
	if n > maxSIDSubAuthority {
		return "", 0, pacErr(off+1, field, ErrMalformed, "%d sub-authorities (at most %d)", n, maxSIDSubAuthority)
	}
	if len(d)-8 < 4*n {
		return "", 0, pacErr(off, field, ErrTruncated, "SID with %d sub-authorities needs %d bytes, %d present", n, 8+4*n, len(d))
	}
	subs := make([]uint32, n)
	for i := range subs {
		subs[i] = binary.LittleEndian.Uint32(d[8+4*i:])
	}
	return sidString(d[0], d[2:8], subs), 8 + 4*n, nil
}

func sidString(rev byte, auth []byte, subs []uint32) string {
	var a uint64
	for _, c := range auth {
		a = a<<8 | uint64(c)
	}
	var b strings.Builder
	b.WriteString("S-")
	b.WriteString(strconv.Itoa(int(rev)))
	b.WriteString("-")
	if a >= 1<<32 {
		fmt.Fprintf(&b, "0x%012X", a)
	} else {
		b.WriteString(strconv.FormatUint(a, 10))
	}
	for _, s := range subs {
		b.WriteString("-")
		b.WriteString(strconv.FormatUint(uint64(s), 10))
	}
	return b.String()
}

func pacFiletime(v uint64) time.Time {
	if v == 0 || v >= filetimeNever || v < filetimeUnixEpoch {
		return time.Time{}
	}
	v -= filetimeUnixEpoch
	return time.Unix(int64(v/1e7), int64(v%1e7)*100).UTC()
}

// ndrReader reads the NDR (MS-RPCE 2.2.6 type serialization version 1,
// little-endian) encoding of KERB_VALIDATION_INFO. Every read checks the
// bytes that remain; the first failure sticks and later reads return zero.
type ndrReader struct {
	b    []byte
	pos  int
	base int // offset of b[0] in the PAC
	err  *PACError
}

func (r *ndrReader) fail(err error, format string, a ...any) {
	if r.err == nil {
		r.err = pacErr(r.base+r.pos, "KERB_VALIDATION_INFO", err, format, a...)
	}
}

func (r *ndrReader) align(n int) {
	if m := r.pos % n; m != 0 {
		r.pos += n - m
	}
	if r.pos > len(r.b) {
		r.pos = len(r.b)
	}
}

func (r *ndrReader) need(n int, what string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.pos {
		r.fail(ErrTruncated, "%s needs %d bytes, %d remain", what, n, len(r.b)-r.pos)
		return false
	}
	return true
}

func (r *ndrReader) u8(what string) byte {
	if !r.need(1, what) {
		return 0
	}
	r.pos++
	return r.b[r.pos-1]
}

func (r *ndrReader) u16(what string) uint16 {
	r.align(2)
	if !r.need(2, what) {
		return 0
	}
	r.pos += 2
	return binary.LittleEndian.Uint16(r.b[r.pos-2:])
}

func (r *ndrReader) u32(what string) uint32 {
	r.align(4)
	if !r.need(4, what) {
		return 0
	}
	r.pos += 4
	return binary.LittleEndian.Uint32(r.b[r.pos-4:])
}

// filetime reads a FILETIME (two ULONGs, 4-byte aligned).
func (r *ndrReader) filetime(what string) time.Time {
	lo := r.u32(what)
	hi := r.u32(what)
	return pacFiletime(uint64(hi)<<32 | uint64(lo))
}

// unicodeString is the fixed part of an RPC_UNICODE_STRING.
type unicodeString struct {
	length, max uint16
	ptr         uint32
}

func (r *ndrReader) unicodeHeader(what string) unicodeString {
	return unicodeString{length: r.u16(what), max: r.u16(what), ptr: r.u32(what)}
}

// unicodeBody reads the deferred conformant varying WCHAR array of an
// RPC_UNICODE_STRING whose pointer was not null.
func (r *ndrReader) unicodeBody(h unicodeString, what string) string {
	if h.ptr == 0 || r.err != nil {
		return ""
	}
	maxCount := r.u32(what + " max count")
	offset := r.u32(what + " offset")
	actual := r.u32(what + " actual count")
	if r.err != nil {
		return ""
	}
	if offset > maxCount || actual > maxCount-offset {
		r.fail(ErrMalformed, "%s: offset %d + count %d exceed the max count %d", what, offset, actual, maxCount)
		return ""
	}
	if uint64(actual)*2 > uint64(len(r.b)-r.pos) {
		r.fail(ErrTruncated, "%s of %d characters, %d bytes remain", what, actual, len(r.b)-r.pos)
		return ""
	}
	if int(actual)*2 != int(h.length) {
		r.fail(ErrInconsistent, "%s: %d characters but Length says %d bytes", what, actual, h.length)
		return ""
	}
	s := utf16le(r.b[r.pos : r.pos+int(actual)*2])
	r.pos += int(actual) * 2
	return s
}

// sid reads a deferred RPC_SID (conformant: the sub-authority count comes first).
func (r *ndrReader) sid(what string) string {
	maxCount := r.u32(what + " count")
	rev := r.u8(what + " revision")
	n := r.u8(what + " sub-authority count")
	if !r.need(6, what+" identifier authority") {
		return ""
	}
	auth := r.b[r.pos : r.pos+6]
	r.pos += 6
	if uint32(n) != maxCount || n > maxSIDSubAuthority {
		r.fail(ErrMalformed, "%s: %d sub-authorities, conformance count %d (at most %d)", what, n, maxCount, maxSIDSubAuthority)
		return ""
	}
	subs := make([]uint32, n)
	for i := range subs {
		subs[i] = r.u32(what + " sub-authority")
	}
	if r.err != nil {
		return ""
	}
	return sidString(rev, auth, subs)
}

// groups reads a deferred conformant array of GROUP_MEMBERSHIP.
func (r *ndrReader) groups(count uint32, what string) []GroupMembership {
	maxCount := r.u32(what + " count")
	if r.err != nil {
		return nil
	}
	if maxCount != count {
		r.fail(ErrInconsistent, "%s: array of %d, count field %d", what, maxCount, count)
		return nil
	}
	if uint64(count)*8 > uint64(len(r.b)-r.pos) {
		r.fail(ErrTruncated, "%s: %d groups need %d bytes, %d remain", what, count, uint64(count)*8, len(r.b)-r.pos)
		return nil
	}
	g := make([]GroupMembership, count)
	for i := range g {
		g[i].RID = r.u32(what)
		g[i].Attributes = r.u32(what)
	}
	return g
}

var userFlagNames = map[uint32]string{
	0x01: "guest", 0x02: "noencryption", 0x04: "cached_account", 0x08: "used_lm_password", 0x20: "extra_sids",
	0x40: "subauth_session_key", 0x80: "server_trust_account", 0x100: "ntlmv2_enabled", 0x200: "resource_groups",
	0x400: "profile_path_returned", 0x800: "ntlmv2_used", 0x1000: "lmv2_used", 0x2000: "lmv2_used_ntlmv2_session",
	0x4000: "other_domain",
}

// parseLogonInfo decodes the NDR-serialized KERB_VALIDATION_INFO of a
// PAC_LOGON_INFO buffer (MS-PAC 2.5, MS-RPCE 2.2.6).
func parseLogonInfo(d []byte, off int) (*LogonInfo, error) {
	r := &ndrReader{b: d, base: off}
	if len(d) < ndrCommonHeaderSize {
		return nil, pacErr(off, "KERB_VALIDATION_INFO", ErrTruncated, "%d bytes, the NDR headers are 16", len(d))
	}
	if d[0] != 1 || d[1] != 0x10 {
		return nil, pacErr(off, "KERB_VALIDATION_INFO", ErrMalformed, "NDR common header version %d, format 0x%02x (want 1, 0x10 little-endian)", d[0], d[1])
	}
	r.pos = ndrCommonHeaderSize
	if r.u32("top-level pointer") == 0 {
		return nil, pacErr(off+16, "KERB_VALIDATION_INFO", ErrMalformed, "null top-level pointer")
	}
	li := &LogonInfo{}
	li.LogonTime = r.filetime("LogonTime")
	r.filetime("LogoffTime")
	r.filetime("KickOffTime")
	li.PasswordLastSet = r.filetime("PasswordLastSet")
	r.filetime("PasswordCanChange")
	li.PasswordMustChange = r.filetime("PasswordMustChange")
	effective := r.unicodeHeader("EffectiveName")
	full := r.unicodeHeader("FullName")
	script := r.unicodeHeader("LogonScript")
	profile := r.unicodeHeader("ProfilePath")
	home := r.unicodeHeader("HomeDirectory")
	drive := r.unicodeHeader("HomeDirectoryDrive")
	li.LogonCount = r.u16("LogonCount")
	li.BadPasswordCount = r.u16("BadPasswordCount")
	li.UserID = r.u32("UserId")
	li.PrimaryGroupID = r.u32("PrimaryGroupId")
	groupCount := r.u32("GroupCount")
	groupPtr := r.u32("GroupIds")
	li.UserFlags = r.u32("UserFlags")
	if r.need(16, "UserSessionKey") {
		r.pos += 16 // never kept
	}
	server := r.unicodeHeader("LogonServer")
	domain := r.unicodeHeader("LogonDomainName")
	domainSIDPtr := r.u32("LogonDomainId")
	r.u32("Reserved1")
	r.u32("Reserved1")
	li.UserAccountControl = r.u32("UserAccountControl")
	r.u32("SubAuthStatus")
	r.filetime("LastSuccessfulILogon")
	r.filetime("LastFailedILogon")
	r.u32("FailedILogonCount")
	r.u32("Reserved3")
	sidCount := r.u32("SidCount")
	extraPtr := r.u32("ExtraSids")
	resDomainPtr := r.u32("ResourceGroupDomainSid")
	resCount := r.u32("ResourceGroupCount")
	resPtr := r.u32("ResourceGroupIds")

	// Deferred pointees, in the order of their pointers.
	li.EffectiveName = r.unicodeBody(effective, "EffectiveName")
	li.FullName = r.unicodeBody(full, "FullName")
	li.LogonScript = r.unicodeBody(script, "LogonScript")
	li.ProfilePath = r.unicodeBody(profile, "ProfilePath")
	li.HomeDirectory = r.unicodeBody(home, "HomeDirectory")
	li.HomeDirectoryDrive = r.unicodeBody(drive, "HomeDirectoryDrive")
	if groupPtr != 0 {
		li.Groups = r.groups(groupCount, "GroupIds")
	} else if groupCount != 0 {
		r.fail(ErrInconsistent, "GroupCount %d with a null GroupIds pointer", groupCount)
	}
	li.LogonServer = r.unicodeBody(server, "LogonServer")
	li.LogonDomainName = r.unicodeBody(domain, "LogonDomainName")
	if domainSIDPtr != 0 {
		li.LogonDomainSID = r.sid("LogonDomainId")
	}
	if extraPtr != 0 {
		maxCount := r.u32("ExtraSids count")
		switch {
		case r.err != nil:
		case maxCount != sidCount:
			r.fail(ErrInconsistent, "ExtraSids: array of %d, SidCount %d", maxCount, sidCount)
		case uint64(sidCount)*8 > uint64(len(r.b)-r.pos):
			r.fail(ErrTruncated, "ExtraSids: %d entries need %d bytes, %d remain", sidCount, uint64(sidCount)*8, len(r.b)-r.pos)
		default:
			ptrs := make([]uint32, sidCount)
			li.ExtraSIDs = make([]SIDAndAttributes, sidCount)
			for i := range ptrs {
				ptrs[i] = r.u32("ExtraSids pointer")
				li.ExtraSIDs[i].Attributes = r.u32("ExtraSids attributes")
			}
			for i, p := range ptrs {
				if p != 0 {
					li.ExtraSIDs[i].SID = r.sid("ExtraSids SID")
				}
			}
		}
	} else if sidCount != 0 {
		r.fail(ErrInconsistent, "SidCount %d with a null ExtraSids pointer", sidCount)
	}
	if resDomainPtr != 0 {
		li.ResourceGroupDomainSID = r.sid("ResourceGroupDomainSid")
	}
	if resPtr != 0 {
		li.ResourceGroups = r.groups(resCount, "ResourceGroupIds")
	} else if resCount != 0 {
		r.fail(ErrInconsistent, "ResourceGroupCount %d with a null ResourceGroupIds pointer", resCount)
	}
	if r.err != nil {
		return nil, r.err
	}
	for bit, name := range userFlagNames {
		if li.UserFlags&bit != 0 {
			li.UserFlagNames = append(li.UserFlagNames, name)
		}
	}
	slices.Sort(li.UserFlagNames)
	if li.LogonDomainSID != "" {
		li.UserSID = li.LogonDomainSID + "-" + strconv.FormatUint(uint64(li.UserID), 10)
		li.PrimaryGroupSID = li.LogonDomainSID + "-" + strconv.FormatUint(uint64(li.PrimaryGroupID), 10)
		for i := range li.Groups {
			li.Groups[i].SID = li.LogonDomainSID + "-" + strconv.FormatUint(uint64(li.Groups[i].RID), 10)
		}
	}
	if li.ResourceGroupDomainSID != "" {
		for i := range li.ResourceGroups {
			li.ResourceGroups[i].SID = li.ResourceGroupDomainSID + "-" + strconv.FormatUint(uint64(li.ResourceGroups[i].RID), 10)
		}
	}
	if li.Groups == nil {
		li.Groups = []GroupMembership{}
	}
	return li, nil
}
