package negotiate

import (
	"bytes"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// Fuzz targets for the decoders that read decrypted (so attacker-chosen,
// once a key is known) bytes: the PAC and its NDR logon info, the
// EncTicketPart, the authenticator with its GSS checksum, and keytab
// files. None may panic, and each must finish in time linear in its input.

func FuzzParsePAC(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add(readHex(f, "gokrb5-ad-win2k-pac.hex"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePAC(b)
		if err == nil && p == nil {
			t.Fatal("nil PAC without an error")
		}
	})
}

func FuzzParseLogonInfo(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add(readHex(f, "ms-pac-kerb-validation-info.hex"))
	f.Add(readHex(f, "gokrb5-kerb-validation-info-trust.hex"))
	f.Fuzz(func(t *testing.T, b []byte) {
		li, err := parseLogonInfo(b, 0)
		if err == nil && li == nil {
			t.Fatal("nil logon info without an error")
		}
		if li != nil && len(li.Groups)*8 > len(b) {
			t.Fatalf("%d groups from %d bytes", len(li.Groups), len(b))
		}
	})
}

func encTicketPartSeed(tb testing.TB) []byte {
	tb.Helper()
	inner, _ := asn1.Marshal(types.AuthorizationData{{ADType: 128, ADData: []byte{0, 0, 0, 0, 0, 0, 0, 0}}})
	fl := types.NewKrbFlags()
	etp := messages.EncTicketPart{
		Flags: fl, Key: types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{1}, 32)}, CRealm: "EXAMPLE.TEST",
		CName: types.NewPrincipalName(1, "alice"), AuthTime: testAuthTime, EndTime: testAuthTime.Add(time.Hour),
		CAddr:             types.HostAddresses{{AddrType: 2, Address: []byte{127, 0, 0, 1}}},
		AuthorizationData: types.AuthorizationData{{ADType: 1, ADData: inner}},
	}
	b, err := asn1.Marshal(etp)
	if err != nil {
		tb.Fatal(err)
	}
	return asn1tools.AddASNAppTag(b, 3)
}

func FuzzDecodeEncTicketPart(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add(encTicketPartSeed(f))
	f.Add([]byte{0x63, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _, pacBytes, err := decodeEncTicketPart(b)
		if err == nil && d == nil {
			t.Fatal("nil result without an error")
		}
		if pacBytes != nil {
			_, _ = ParsePAC(pacBytes)
		}
	})
}

func FuzzDecodeAuthenticator(f *testing.F) {
	testenv.ShortFuzzMinimize()
	a, err := types.NewAuthenticator("EXAMPLE.TEST", types.NewPrincipalName(1, "alice"))
	if err != nil {
		f.Fatal(err)
	}
	ck := make([]byte, 32)
	ck[0], ck[20], ck[24], ck[26] = 16, 0x23, 1, 4
	a.Cksum = types.Checksum{CksumType: gssChecksumType, Checksum: ck}
	inner, _ := asn1.Marshal(types.AuthorizationData{{ADType: 143, ADData: []byte{0, 0x40, 0, 0}}})
	a.AuthorizationData = types.AuthorizationData{{ADType: 1, ADData: inner}}
	b, err := a.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(ck)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeAuthenticator(b)
		_, _ = decodeGSSChecksum(b)
	})
}

func FuzzParseKeytab(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add(readHex(f, "gokrb5-syshttp.keytab.hex"))
	f.Add([]byte{5, 2, 0xff, 0xff, 0xff, 0xf0})
	f.Add([]byte{5, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, _ := ParseKeytab(b)
		if len(keys)*8 > len(b) {
			t.Fatalf("%d keys from %d bytes", len(keys), len(b))
		}
	})
}

// FuzzDecryptTicket feeds hostile tokens to the whole path with a key that
// opens nothing: decoding, unwrapping and the failure explanation.
func FuzzDecryptTicket(f *testing.F) {
	testenv.ShortFuzzMinimize()
	k := sysHTTPKey(f)
	f.Add(buildAPReq(f, ticketSpec{sname: "sysHTTP", realm: "TEST.GOKRB5", cname: "u", crealm: "TEST.GOKRB5", key: k, kvno: 2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecryptTicket(b, []Key{k})
	})
}

// Hostile sizes are rejected in time linear in the input: a PAC of many
// buffers, a logon info claiming millions of groups and SIDs.
func TestDecodersLinear(t *testing.T) {
	n := 1 << 16
	b := make([]byte, 8+16*n)
	b[0], b[1] = byte(n), byte(n>>8)
	for i := range n {
		e := b[8+16*i:]
		e[0] = PACLogonInfo
		e[4] = 0
		e[8] = byte(len(b))
		e[9] = byte(len(b) >> 8)
		e[10] = byte(len(b) >> 16)
	}
	start := time.Now()
	_, _ = ParsePAC(b)
	li := readHex(t, "ms-pac-kerb-validation-info.hex")
	big := append(bytes.Clone(li), make([]byte, 1<<20)...)
	_, _ = parseLogonInfo(big, 0)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
