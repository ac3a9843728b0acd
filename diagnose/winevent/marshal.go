package winevent

import (
	"encoding/json"
	"strconv"
)

// The report JSON of the SDK is snake_case with names for enums; these
// methods make Event marshal that way.

// MarshalText returns the format's name ("xml", "json", "evtx", "unknown").
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// MarshalText returns the protocol's name ("kerberos", "ntlm", ...).
func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// String returns "kerberos", "ntstatus" or "none".
func (k StatusKind) String() string {
	switch k {
	case StatusKerberos:
		return "kerberos"
	case StatusNT:
		return "ntstatus"
	}
	return "none"
}

// MarshalText returns the kind's name.
func (k StatusKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// IsZero reports whether the type is unset (omitted from JSON).
func (t EncType) IsZero() bool { return !t.Set }

// MarshalJSON writes {"value":23,"name":"rc4-hmac","raw":"0x00000017"}.
func (t EncType) MarshalJSON() ([]byte, error) {
	if !t.Set {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Value uint32 `json:"value"`
		Name  string `json:"name"`
		Raw   string `json:"raw,omitempty"`
	}{t.Value, t.Name(), t.Raw})
}

// IsZero reports whether the mask is unset (omitted from JSON).
func (m EncTypeMask) IsZero() bool { return !m.Set }

// MarshalJSON writes {"value":39,"names":[...],"raw":"0x27 (DES, RC4, AES-Sk)"}.
func (m EncTypeMask) MarshalJSON() ([]byte, error) {
	if !m.Set {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Value uint32   `json:"value"`
		Names []string `json:"names"`
		Raw   string   `json:"raw,omitempty"`
	}{m.Value, m.Names(), m.Raw})
}

// IsZero reports whether the status is unset (omitted from JSON).
func (s Status) IsZero() bool { return !s.Set }

// MarshalJSON writes {"code":"0xc000006a","kind":"ntstatus",
// "name":"STATUS_WRONG_PASSWORD","meaning":"..."}.
func (s Status) MarshalJSON() ([]byte, error) {
	if !s.Set {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Code    string     `json:"code"`
		Kind    StatusKind `json:"kind"`
		Name    string     `json:"name,omitempty"`
		Meaning string     `json:"meaning,omitempty"`
	}{"0x" + strconv.FormatUint(uint64(s.Code), 16), s.Kind, s.Name(), s.Meaning()})
}
