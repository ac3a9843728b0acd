package negotiate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestParseKlistFiles(t *testing.T) {
	d := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	winTickets := []Ticket{
		{Client: "WEB01$@CORP.EXAMPLE", Server: "krbtgt/CORP.EXAMPLE", Realm: "CORP.EXAMPLE",
			EncType: "aes256-cts-hmac-sha1-96", EncTypeID: 18, SessionKeyType: "aes256-cts-hmac-sha1-96",
			Flags: []string{"forwardable", "renewable", "initial", "pre_authent", "name_canonicalize"}, FlagsValue: 0x40e10000,
			Start: d("2026-11-24 09:01:02"), End: d("2026-11-24 19:01:02"), Renew: d("2026-12-01 09:01:02"),
			CacheFlags: "0x1 -> PRIMARY", KDCCalled: "DC01.corp.example", Line: 6},
		{Client: "WEB01$@CORP.EXAMPLE", Server: "HTTP/web.corp.example", Realm: "CORP.EXAMPLE",
			EncType: "arcfour-hmac", EncTypeID: 23, SessionKeyType: "arcfour-hmac",
			Flags: []string{"forwardable", "renewable", "pre_authent", "ok_as_delegate", "name_canonicalize"}, FlagsValue: 0x40a50000,
			Start: d("2026-11-24 09:05:40"), End: d("2026-11-24 19:01:02"), Renew: d("2026-12-01 09:01:02"),
			CacheFlags: "0", KDCCalled: "DC01.corp.example", Line: 17},
	}
	tests := []struct {
		file     string
		format   KlistFormat
		enc      string
		client   string
		n        int
		check    []Ticket // prefix of Tickets compared in full
		notes    int
		logon    string
		cache    string
		rc4Index int // index of an RC4 ticket, -1 if none
	}{
		{file: "windows_crlf.txt", format: KlistWindows, enc: "UTF-8", client: "WEB01$@CORP.EXAMPLE", n: 3, check: winTickets, logon: "0:0x3e7", rc4Index: 1},
		{file: "windows_utf16le_bom.txt", format: KlistWindows, enc: "UTF-16LE", client: "WEB01$@CORP.EXAMPLE", n: 3, check: winTickets, logon: "0:0x3e7", rc4Index: 1},
		{file: "windows_empty.txt", format: KlistWindows, enc: "UTF-8", n: 0, logon: "0:0x1a2b3c", rc4Index: -1},
		{file: "mit_plain.txt", format: KlistMIT, enc: "UTF-8", client: "alice@EXAMPLE.TEST", n: 2, cache: "FILE:/tmp/krbC/cc", rc4Index: -1,
			check: []Ticket{{Client: "alice@EXAMPLE.TEST", Server: "krbtgt/EXAMPLE.TEST", Realm: "EXAMPLE.TEST",
				Start: d("2026-11-25 00:04:51"), End: d("2026-11-25 10:04:51"), Line: 5}}},
		{file: "mit_ef.txt", format: KlistMIT, enc: "UTF-8", client: "alice@EXAMPLE.TEST", n: 2, cache: "FILE:/tmp/krbC/cc", rc4Index: -1,
			check: []Ticket{
				{Client: "alice@EXAMPLE.TEST", Server: "krbtgt/EXAMPLE.TEST", Realm: "EXAMPLE.TEST",
					EncType: "aes256-cts-hmac-sha1-96", EncTypeID: 18, SessionKeyType: "aes256-cts-hmac-sha1-96",
					Flags: []string{"forwardable", "initial"}, Start: d("2026-11-25 00:04:51"), End: d("2026-11-25 10:04:51"), Line: 5},
				{Client: "alice@EXAMPLE.TEST", Server: "HTTP/web.example.test", Realm: "EXAMPLE.TEST",
					EncType: "aes256-cts-hmac-sha1-96", EncTypeID: 18, SessionKeyType: "aes256-cts-hmac-sha1-96",
					Flags: []string{"forwardable", "transited"}, Start: d("2026-11-25 00:04:51"), End: d("2026-11-25 10:04:51"), Line: 7},
			}},
		{file: "mit_ef_renew.txt", format: KlistMIT, enc: "UTF-8", client: "alice@EXAMPLE.TEST", n: 2, cache: "FILE:/tmp/krbC/cc2", rc4Index: -1,
			check: []Ticket{{Client: "alice@EXAMPLE.TEST", Server: "krbtgt/EXAMPLE.TEST", Realm: "EXAMPLE.TEST",
				EncType: "aes256-cts-hmac-sha1-96", EncTypeID: 18, SessionKeyType: "aes256-cts-hmac-sha1-96",
				Flags: []string{"forwardable", "renewable", "initial"}, Start: d("2026-11-25 00:04:54"), End: d("2026-11-25 10:04:54"),
				Renew: d("2026-12-02 00:04:54"), Line: 5}}},
		{file: "mit_f.txt", format: KlistMIT, enc: "UTF-8", client: "alice@EXAMPLE.TEST", n: 2, cache: "FILE:/tmp/krbC/cc", rc4Index: -1},
		{file: "mit_e.txt", format: KlistMIT, enc: "UTF-8", client: "alice@EXAMPLE.TEST", n: 2, cache: "FILE:/tmp/krbC/cc", rc4Index: -1},
		{file: "mit_rc4.txt", format: KlistMIT, enc: "UTF-8", client: "alice@EXAMPLE.TEST", n: 2, cache: "FILE:/tmp/krb5cc_1000", rc4Index: 1},
		{file: "mit_doc_example.txt", format: KlistMIT, enc: "UTF-8", client: "jennifer@ATHENA.MIT.EDU", n: 2, cache: "FILE:/tmp/krb5cc_1000", rc4Index: -1,
			// 06/07/04: nothing in the output settles the day/month order;
			// read as month/day (MIT's C locale) and flagged.
			check: []Ticket{{Client: "jennifer@ATHENA.MIT.EDU", Server: "krbtgt/ATHENA.MIT.EDU", Realm: "ATHENA.MIT.EDU",
				Start: d("2004-06-07 19:49:21"), End: d("2004-06-08 05:49:19"), Line: 5,
				TimeIssue: `day/month order of "06/07/04 19:49:21" not settled by the output: read as month/day`,
				StartText: "06/07/04 19:49:21", EndText: "06/08/04 05:49:19"}}},
		{file: "mit_nocache.txt", format: KlistMIT, enc: "UTF-8", n: 0, notes: 1, rc4Index: -1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			k, err := ParseKlistFile(filepath.Join("testdata", "klist", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if k.Format != tc.format || k.Encoding != tc.enc || k.Client != tc.client || len(k.Tickets) != tc.n ||
				k.LogonID != tc.logon || k.Cache != tc.cache || len(k.Notes) != tc.notes {
				t.Fatalf("got format %v enc %q client %q tickets %d logon %q cache %q notes %q", k.Format, k.Encoding, k.Client, len(k.Tickets), k.LogonID, k.Cache, k.Notes)
			}
			for i, want := range tc.check {
				if !reflect.DeepEqual(k.Tickets[i], want) {
					t.Errorf("ticket %d:\n got %+v\nwant %+v", i, k.Tickets[i], want)
				}
			}
			for i, tk := range k.Tickets {
				if got := IsRC4(tk.EncTypeID); got != (i == tc.rc4Index) {
					t.Errorf("ticket %d (%s): IsRC4 = %v", i, tk.EncType, got)
				}
			}
		})
	}
}

func TestKlistFind(t *testing.T) {
	k, err := ParseKlistFile("testdata/klist/windows_crlf.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"HTTP/web.corp.example", "http/WEB.corp.example@corp.example"} {
		if got := k.Find(q); len(got) != 1 || got[0].Server != "HTTP/web.corp.example" {
			t.Errorf("Find(%q) = %v", q, got)
		}
	}
	if got := k.Find("HTTP/web.corp.example@OTHER.REALM"); len(got) != 0 {
		t.Errorf("Find with other realm = %v", got)
	}
	if got := k.Find("HTTP/missing.corp.example"); len(got) != 0 {
		t.Errorf("Find(missing) = %v", got)
	}
	if !k.Tickets[0].IsTGT() || k.Tickets[1].IsTGT() {
		t.Error("IsTGT wrong")
	}
}

func TestParseKlistErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		is       error
		contains string
	}{
		{"setspn output", "Registered ServicePrincipalNames for CN=WEB01,OU=Servers,DC=corp,DC=example:\n\tHTTP/web01\n", 0, ErrUnknownFormat, "unrecognised"},
		{"empty", "", 0, ErrUnknownFormat, "unrecognised"},
		{"windows ticket without server", "Current LogonId is 0:0x3e7\nCached Tickets: (1)\n#0>\tClient: a @ R\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\n", 3, ErrMalformed, "no Server"},
		{"windows garbage line", "Current LogonId is 0:0x3e7\n#0>\tClient: a @ R\n\tServer: HTTP/x @ R\nthis is not klist\n", 4, ErrMalformed, "unexpected line"},
		{"mit garbage before ticket", "Ticket cache: FILE:/tmp/x\nDefault principal: a@R\n\nValid starting     Expires            Service principal\nhello world\n", 5, ErrMalformed, "before the first ticket"},
		{"mit bad etype", "Ticket cache: FILE:/tmp/x\n11/25/26 00:04:51  11/25/26 10:04:51  krbtgt/R@R\n\tEtype (skey, tkt): aes256-cts-hmac-sha1-96\n", 3, ErrMalformed, "Etype"},
		{"mit bad detail", "Ticket cache: FILE:/tmp/x\n11/25/26 00:04:51  11/25/26 10:04:51  krbtgt/R@R\n\tsomething odd\n", 3, ErrMalformed, "unexpected ticket detail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKlist(strings.NewReader(tc.in))
			var ke *KlistError
			if !errors.As(err, &ke) {
				t.Fatalf("got %v, %v; want *KlistError", k, err)
			}
			if !errors.Is(err, tc.is) || ke.Line != tc.line || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("got %v (line %d); want %v at line %d containing %q", err, ke.Line, tc.is, tc.line, tc.contains)
			}
		})
	}
}

func TestEncTypeNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   int32
	}{
		{"AES-256-CTS-HMAC-SHA1-96", 18}, {"aes128-cts-hmac-sha1-96", 17}, {"RSADSI RC4-HMAC(NT)", 23},
		{"arcfour-hmac", 23}, {"rc4-hmac", 23}, {"DES-CBC-MD5", 3}, {"aes256-cts-hmac-sha384-192", 20}, {"23", 23},
	} {
		id, ok := EncTypeID(tc.name)
		if !ok || id != tc.id {
			t.Errorf("EncTypeID(%q) = %d, %v; want %d", tc.name, id, ok, tc.id)
		}
	}
	if _, ok := EncTypeID("rot13"); ok {
		t.Error("EncTypeID(rot13) ok")
	}
	if EncTypeName(18) != "aes256-cts-hmac-sha1-96" || EncTypeWindowsName(23) != "RSADSI RC4-HMAC(NT)" || EncTypeName(99) != "etype 99" {
		t.Error("EncTypeName wrong")
	}
	if !IsRC4(23) || IsRC4(18) || !IsDES(3) || IsDES(17) {
		t.Error("IsRC4/IsDES wrong")
	}
}

func FuzzParseKlist(f *testing.F) {
	testenv.ShortFuzzMinimize()
	files, _ := filepath.Glob("testdata/klist/*.txt")
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Current LogonId is 0:0x3e7\n#0>\tClient: a @ R\n\tTicket Flags 0xffffffff\n\tServer: x\n"))
	for _, seed := range klistFailureSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKlist(strings.NewReader(string(b)))
		if err != nil {
			var ke *KlistError
			if !errors.As(err, &ke) {
				t.Fatalf("error %T is not *KlistError: %v", err, err)
			}
			return
		}
		if k.Format == KlistUnknown {
			t.Fatal("nil error with unknown format")
		}
		for _, tk := range k.Tickets {
			if tk.Line <= 0 {
				t.Fatalf("ticket without line: %+v", tk)
			}
		}
		for _, fl := range k.Failures {
			if fl.Line <= 0 || len(fl.Text) > 203 || (fl.Name == "") != (fl.Meaning == "") {
				t.Fatalf("bad failure: %+v", fl)
			}
		}
	})
}

func TestParseKlistWindowsTGT(t *testing.T) {
	k, err := ParseKlistFile("testdata/klist/windows_tgt.txt")
	if err != nil {
		t.Fatal(err)
	}
	if k.Format != KlistWindows || len(k.Tickets) != 1 || k.Client != "alice@CORP.EXAMPLE" || len(k.Notes) != 0 {
		t.Fatalf("%+v", k)
	}
	tk := k.Tickets[0]
	if tk.Server != "krbtgt/CORP.EXAMPLE" || tk.Realm != "CORP.EXAMPLE" || !tk.IsTGT() || tk.SessionKeyType != "aes256-cts-hmac-sha1-96" ||
		tk.FlagsValue != 0x40e10000 || len(tk.Flags) != 5 || tk.End.Hour() != 18 || tk.Renew.Day() != 1 {
		t.Fatalf("%+v", tk)
	}
	// The session key and the encoded ticket klist prints are never kept.
	b, _ := json.Marshal(k)
	if strings.Contains(string(b), "5e 1f 9a") || strings.Contains(string(b), "61 82 04") || strings.Contains(fmt.Sprintf("%+v", k), "5e 1f 9a") {
		t.Fatalf("key material kept: %s", b)
	}
}

func TestParseKlistDropsUnknownPreamble(t *testing.T) {
	in := "Current LogonId is 0:0x3e7\nsome secret-looking line\nklist failed with 0xc000018b/-1073741429: The SAM database on the Windows Server does not have a computer account for this workstation trust relationship.\nCached Tickets: (0)\n"
	k, err := ParseKlist(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Notes) != 1 || !strings.HasPrefix(k.Notes[0], "klist failed with 0xc000018b") {
		t.Fatalf("%q", k.Notes)
	}
}
