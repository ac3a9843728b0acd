package winevent

import (
	"bufio"
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// corpusCase is what PROVENANCE (the MANIFEST of shared/corpus/events) says a
// correct reader draws from each file; check asserts it on the one event.
type corpusCase struct {
	id    int
	check func(t *testing.T, e *Event)
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

var corpusCases = map[string]corpusCase{
	"msdocs-4624-v2-interactive-negotiate.xml": {4624, func(t *testing.T, e *Event) {
		eq(t, "LogonType", e.LogonType, 2)
		eq(t, "LogonProcess", e.LogonProcess, "User32")
		eq(t, "AuthPackage", e.AuthPackage, "Negotiate")
		eq(t, "LmPackage", e.LmPackage, "-")
		eq(t, "Account", e.Account(), `WIN-GG82ULGC9GO\Administrator`)
		eq(t, "IP", e.IP, ip("127.0.0.1"))
		eq(t, "Version", e.Version, 2)
		eq(t, "IsNetworkLogon", e.IsNetworkLogon(), false)
		eq(t, "Protocol", e.Protocol(), ProtocolNegotiate) // not Kerberos, not NTLM
		eq(t, "ProcessName", e.Fields["ProcessName"], `C:\\Windows\\System32\\svchost.exe`)
		eq(t, "Extra Correlation", e.Extra["Correlation/@ActivityID"], "{00D66690-1CDF-0000-AC66-D600DF1CD101}")
	}},
	"msdocs-4625-locked-out-0xc0000234.xml": {4625, func(t *testing.T, e *Event) {
		eq(t, "LogonType", e.LogonType, 2)
		eq(t, "Account", e.Account(), `CONTOSO\Auditor`)
		eq(t, "Computer", e.Computer, "DC01.contoso.local")
		eq(t, "Status", e.Status.String(), "0xc0000234 STATUS_ACCOUNT_LOCKED_OUT")
		eq(t, "Status meaning", e.Status.Meaning(), "account is locked out")
		eq(t, "SubStatus", e.SubStatus.Code, 0)
		eq(t, "SubStatus set", e.SubStatus.Set, true)
		eq(t, "Failed", e.Failed(), true)
		eq(t, "IsNetworkLogon", e.IsNetworkLogon(), false)
	}},
	"msdocs-4768-aes-pkinit.xml": {4768, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.String(), "0x0 KDC_ERR_NONE")
		eq(t, "OK", e.Status.OK(), true)
		eq(t, "Account", e.Account(), `CONTOSO.LOCAL\dadmin`)
		eq(t, "IP", e.IP, ip("10.0.0.12"))
		eq(t, "IPRaw", e.IPRaw, "::ffff:10.0.0.12")
		eq(t, "Ticket", e.TicketEncryption.String(), "aes256-cts-hmac-sha1-96 (18)")
		eq(t, "RC4", e.TicketEncryption.IsRC4(), false)
		eq(t, "PreAuthType", e.PreAuthType, "15")
		eq(t, "Cert", e.Fields["CertIssuerName"], "contoso-DC01-CA-1")
		eq(t, "Protocol", e.Protocol(), ProtocolKerberos)
	}},
	"msdocs-4769-aes-computer-service.xml": {4769, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.OK(), true)
		eq(t, "Account", e.Account(), "dadmin@CONTOSO.LOCAL")
		eq(t, "IP", e.IP, ip("10.0.0.12"))
		eq(t, "Port", e.Port, 49272)
		eq(t, "ServiceName", e.ServiceName, "WIN2008R2$")
		eq(t, "Ticket", e.TicketEncryption.Value, 18)
		eq(t, "RC4", e.TicketEncryption.IsRC4(), false)
		eq(t, "Failed", e.Failed(), false)
	}},
	"msdocs-4770-tgt-renewed.xml": {4770, func(t *testing.T, e *Event) {
		eq(t, "ServiceName", e.ServiceName, "krbtgt")
		eq(t, "Account", e.Account(), "WIN2008R2$@CONTOSO.LOCAL")
		eq(t, "IP", e.IP, ip("10.0.0.12"))
		eq(t, "Ticket", e.TicketEncryption.Name(), "aes256-cts-hmac-sha1-96")
		eq(t, "TicketOptions", e.TicketOptions, "0x2")
		eq(t, "Status set", e.Status.Set, false) // success event, no status field
		eq(t, "Failed", e.Failed(), false)
	}},
	"msdocs-4771-0x10-smartcard.xml": {4771, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.Name(), "KDC_ERR_PADATA_TYPE_NOSUPP")
		eq(t, "not wrong password", e.Status.Code != 0x18, true)
		eq(t, "PreAuthType", e.PreAuthType, "15")
		eq(t, "Account", e.Account(), "dadmin")
		eq(t, "IP", e.IP, ip("10.0.0.12"))
		v, ok := e.Fields["CertIssuerName"]
		eq(t, "empty CertIssuerName present", ok && v == "", true)
		eq(t, "Failed", e.Failed(), true)
	}},
	"msdocs-4776-0xc0000234-md-escaped.xml": {4776, func(t *testing.T, e *Event) {
		eq(t, "Computer", e.Computer, "DC01.contoso.local")
		eq(t, "Account", e.Account(), "dadmin")
		eq(t, "Workstation", e.Workstation, "WIN81")
		eq(t, "Status", e.Status.Name(), "STATUS_ACCOUNT_LOCKED_OUT")
		eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
		eq(t, "AuthPackage", e.AuthPackage, "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")
		eq(t, "raw PackageName kept", e.Fields["PackageName"], `MICROSOFT\_AUTHENTICATION\_PACKAGE\_V1\_0`)
		eq(t, "no IP", e.IP.IsValid(), false)
	}},
	"ctfwriteup-boocorp-4624-ntlmv2-no-ip.xml": {4624, func(t *testing.T, e *Event) {
		eq(t, "IsNetworkLogon", e.IsNetworkLogon(), true)
		eq(t, "Account", e.Account(), `BOOCORP\Administrator`)
		eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
		eq(t, "NTLMVersion", e.NTLMVersion(), 2)
		eq(t, "Workstation", e.Workstation, "kali")
		eq(t, "IP unknown", e.IP.IsValid(), false)
		eq(t, "IPRaw", e.IPRaw, "-")
		eq(t, "Port", e.Port, 0)
		eq(t, "LogonProcess keeps space", e.LogonProcess, "NtLmSsp ")
	}},
	"goad-esc15-4768-v2-pkinit-fail-0x4d.xml": {4768, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.String(), "0x4d KDC_ERR_INCONSISTENT_KEY_PURPOSE")
		eq(t, "Failed", e.Failed(), true)
		eq(t, "IP", e.IP, ip("192.168.56.200"))
		eq(t, "Account", e.Account(), `ESSOS.LOCAL\administrator`)
		eq(t, "Ticket", e.TicketEncryption.Value, uint32(NoTicket))
		eq(t, "Ticket name", e.TicketEncryption.Name(), "none")
		eq(t, "Version", e.Version, 2)
		eq(t, "AccountAvailableKeys", len(e.AccountAvailableKeys), 0)
		eq(t, "ClientAdvertized", len(e.ClientAdvertizedEncryptionTypes), 0)
		eq(t, "AccountSupported", e.AccountSupportedEncryptionTypes.Set, false)
		eq(t, "2025 field kept", e.Fields["ClientAdvertizedEncryptionTypes"], "-")
	}},
	"goad-esc9-4768-v2-pkinit-rc4-only-keys.xml": {4768, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.OK(), true)
		eq(t, "PreAuthType", e.PreAuthType, "16")
		eq(t, "Ticket", e.TicketEncryption.Value, 18)
		eq(t, "Session", e.SessionKeyEncryption.Value, 18)
		eq(t, "AccountAvailableKeys only RC4", e.AccountAvailableKeys.OnlyRC4(), true)
		eq(t, "AccountSupported", e.AccountSupportedEncryptionTypes.Value, 0x27)
		eq(t, "AccountSupported RC4", e.AccountSupportedEncryptionTypes.HasRC4(), true)
		eq(t, "AccountSupported AES", e.AccountSupportedEncryptionTypes.HasAES(), false)
		eq(t, "AccountSupported names", strings.Join(e.AccountSupportedEncryptionTypes.Names(), ","), "DES-CBC-CRC,DES-CBC-MD5,RC4-HMAC,AES256-CTS-HMAC-SHA1-96-SK")
		eq(t, "ServiceAvailableKeys", strings.Join(e.ServiceAvailableKeys, ","), "AES-SHA1,RC4")
		eq(t, "client advertised only AES", e.ClientAdvertizedEncryptionTypes.HasAES() && !e.ClientAdvertizedEncryptionTypes.HasRC4(), true)
		eq(t, "ClientAdvertized", strings.Join(e.ClientAdvertizedEncryptionTypes, ","), "AES256-CTS-HMAC-SHA1-96,AES128-CTS-HMAC-SHA1-96")
	}},
	"goad-esc-system-kdc-19-empty-eventdata.xml": {19, func(t *testing.T, e *Event) {
		eq(t, "Channel", e.Channel, "System")
		eq(t, "IsKDC", e.IsKDC(), true)
		eq(t, "EventSourceName", e.EventSourceName, "KDC")
		eq(t, "Level", e.Level, 2)
		eq(t, "Qualifiers", e.Extra["EventID/@Qualifiers"], "32768")
		eq(t, "no fields", len(e.Fields), 0)
	}},
	"supportarticles-draft-system-kdc-7-ws2025.xml": {7, func(t *testing.T, e *Event) {
		eq(t, "Computer", e.Computer, "2025DC1.contoso.com")
		eq(t, "IsKDC", e.IsKDC(), true)
		name, ok := e.Fields["AccountName"]
		eq(t, "AccountName present", ok, true)
		eq(t, "AccountName whitespace-only", Blank(name) && name != "", true)
		eq(t, "Account blank", e.Account(), "")
		eq(t, "LookupType", e.Fields["LookupType"], "0x108")
		eq(t, "Binary", e.Binary, "0D0000C0")
	}},
	"wazuhdocs-4625-singleline-type7-0xc000006a.xml": {4625, func(t *testing.T, e *Event) {
		eq(t, "LogonType", e.LogonType, 7)
		eq(t, "LogonTypeName", LogonTypeName(e.LogonType), "Unlock")
		eq(t, "AuthPackage", e.AuthPackage, "Negotiate")
		eq(t, "Account", e.Account(), `WIN-6UJQ4IGFLK2\Administrator`)
		eq(t, "IP", e.IP, ip("127.0.0.1"))
		eq(t, "SubStatus", e.SubStatus.String(), "0xc000006a STATUS_WRONG_PASSWORD")
		eq(t, "Status", e.Status.Name(), "STATUS_LOGON_FAILURE")
		eq(t, "IsNetworkLogon", e.IsNetworkLogon(), false)
	}},
	"atc-8002-ntlm-incoming-dc.xml": {8002, func(t *testing.T, e *Event) {
		eq(t, "Channel", e.Channel, "Microsoft-Windows-NTLM/Operational")
		eq(t, "Computer", e.Computer, "dc.yugoslavskiy.local")
		eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
		eq(t, "Account", e.Account(), `atc\DC$`)
		eq(t, "MechanismOID", e.Fields["MechanismOID"], "1.3.6.1.4.1.311.2.2.10")
		eq(t, "CallerPID", e.Fields["CallerPID"], "4")
		v, ok := e.Fields["ProcessName"]
		eq(t, "ProcessName empty", ok && v == "", true)
		eq(t, "Failed (audit, not blocked)", e.Failed(), false)
	}},
	"msblog-u2u-system-kerberos-3-0x1b-reconstructed.xml": {3, func(t *testing.T, e *Event) {
		eq(t, "IsKerberosClient", e.IsKerberosClient(), true)
		eq(t, "Status", e.Status.String(), "0x1b KDC_ERR_MUST_USE_USER2USER")
		eq(t, "ErrorMessage", e.Fields["ErrorMessage"], "Unknown Error")
		eq(t, "ServerName", e.ServerName, "Administrator")
		eq(t, "TargetName", e.TargetName, "Administrator@CONTOSO.COM")
		eq(t, "SPN (a user, not an SPN)", e.SPN(), "")
		eq(t, "Computer", e.Computer, "client2016rs1.contoso.com")
		eq(t, "not modified", e.Status.Code != 0x29, true)
		eq(t, "Failed", e.Failed(), true)
	}},
	"json/securitydatasets-purplesharp-4769-aes-wec.json": {4769, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.OK(), true)
		eq(t, "ServiceName", e.ServiceName, "WEC$")
		eq(t, "Account", e.Account(), "pgustavo@THESHIRE.LOCAL")
		eq(t, "IP", e.IP, ip("172.18.39.5"))
		eq(t, "Ticket", e.TicketEncryption.String(), "aes256-cts-hmac-sha1-96 (18)")
		eq(t, "Computer", e.Computer, "MORDORDC.theshire.local")
		eq(t, "Time", e.Time, time.Date(2020, 10, 22, 8, 29, 55, 432e6, time.UTC))
		eq(t, "host is metadata", e.Extra["host"], "wec.internal.cloudapp.net")
	}},
	"json/securitydatasets-purplesharp-4776-0xc000006a.json": {4776, func(t *testing.T, e *Event) {
		eq(t, "Computer", e.Computer, "MORDORDC.theshire.local")
		eq(t, "Account", e.Account(), "pgustavo")
		eq(t, "Workstation", e.Workstation, "WORKSTATION5")
		eq(t, "Status", e.Status.String(), "0xc000006a STATUS_WRONG_PASSWORD")
		eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
	}},
	"json/securitydatasets-purplesharp-4625-0xc000006a-type2.json": {4625, func(t *testing.T, e *Event) {
		eq(t, "LogonType", e.LogonType, 2)
		eq(t, "LogonProcess", e.LogonProcess, "Advapi  ")
		eq(t, "Account", e.Account(), `theshire.local\pgustavo`)
		eq(t, "Computer", e.Computer, "WORKSTATION5.theshire.local")
		eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
		eq(t, "Status", e.Status.Name(), "STATUS_LOGON_FAILURE")
		eq(t, "SubStatus", e.SubStatus.Name(), "STATUS_WRONG_PASSWORD")
		eq(t, "IP unknown", e.IP.IsValid(), false)
		eq(t, "IPRaw", e.IPRaw, "-")
	}},
	"json/securitydatasets-purplesharp-4624-kerberos-type3.json": {4624, func(t *testing.T, e *Event) {
		eq(t, "IsNetworkLogon", e.IsNetworkLogon(), true)
		eq(t, "Computer", e.Computer, "WORKSTATION6.theshire.local")
		eq(t, "Account", e.Account(), `THESHIRE.LOCAL\pgustavo`)
		eq(t, "IP", e.IP, ip("172.18.39.5"))
		eq(t, "Protocol", e.Protocol(), ProtocolKerberos)
		eq(t, "LmPackage", e.LmPackage, "-")
		eq(t, "NTLMVersion", e.NTLMVersion(), 0)
		eq(t, "Message kept", strings.HasPrefix(e.Message, "An account was successfully logged on."), true)
	}},
	"json/securitydatasets-rubeus-ptt-4768-rc4.json": {4768, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.OK(), true)
		eq(t, "Account", e.Account(), `theshire.local\pgustavo`)
		eq(t, "IP", e.IP, ip("172.18.39.6"))
		eq(t, "Ticket", e.TicketEncryption.String(), "rc4-hmac (23)")
		eq(t, "RC4", e.TicketEncryption.IsRC4(), true)
		eq(t, "PreAuthType", e.PreAuthType, "2")
		eq(t, "TicketOptions", e.TicketOptions, "0x40800010")
	}},
	"json/securitydatasets-covenant-4769-0x1b-user2user.json": {4769, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.String(), "0x1b KDC_ERR_MUST_USE_USER2USER")
		eq(t, "ServiceName", e.ServiceName, "pgustavo")
		eq(t, "Account", e.Account(), "pgustavo@THESHIRE.LOCAL")
		eq(t, "IP", e.IP, ip("172.18.39.5"))
		eq(t, "Ticket", e.TicketEncryption.Value, uint32(NoTicket))
		eq(t, "Failed", e.Failed(), true)
	}},
	"json/securitydatasets-smbexec-4776-success.json": {4776, func(t *testing.T, e *Event) {
		eq(t, "Computer", e.Computer, "MORDORDC.theshire.local")
		eq(t, "Account", e.Account(), "pgustavo")
		eq(t, "Workstation", e.Workstation, "WORKSTATION5")
		eq(t, "Status", e.Status.OK(), true)
		eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
		eq(t, "Failed", e.Failed(), false)
	}},
	"json/securitydatasets-netsessenum-4770.json": {4770, func(t *testing.T, e *Event) {
		eq(t, "ServiceName", e.ServiceName, "krbtgt")
		eq(t, "TicketOptions", e.TicketOptions, "0x10002")
		eq(t, "Account", e.Account(), "WORKSTATION5$@THESHIRE.LOCAL")
		eq(t, "IP", e.IP, ip("172.18.39.5"))
		eq(t, "Ticket", e.TicketEncryption.Value, 18)
	}},
	"json/securitydatasets-winlogbeat67-4769-aes.json": {4769, func(t *testing.T, e *Event) {
		eq(t, "Status", e.Status.OK(), true)
		eq(t, "ServiceName", e.ServiceName, "HFDC01$")
		eq(t, "Account", e.Account(), "HFDC01$@SHIRE.COM")
		eq(t, "IP", e.IP, ip("::1"))
		eq(t, "IP loopback", e.IP.IsLoopback(), true)
		eq(t, "Ticket", e.TicketEncryption.Value, 18)
		eq(t, "Computer", e.Computer, "HFDC01.shire.com")
		eq(t, "Channel", e.Channel, "Security")
		eq(t, "RecordID", e.RecordID, 12282492)
		eq(t, "beat metadata", e.Extra["beat.hostname"], "WECserver")
	}},
}

// TestCorpus reads every file of testdata/corpus (copied byte for byte from
// shared/corpus/events) and asserts what PROVENANCE says a correct reader
// draws from it.
func TestCorpus(t *testing.T) {
	f, err := os.Open("testdata/corpus/PROVENANCE")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "file\t") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			t.Fatalf("PROVENANCE line has %d columns: %q", len(cols), line)
		}
		name := cols[0]
		listed[name] = true
		c, ok := corpusCases[name]
		if !ok {
			t.Errorf("%s: in PROVENANCE but no test case", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			var evs []*Event
			st, err := ScanFile(context.Background(), filepath.Join("testdata/corpus", name), nil, func(e *Event) error {
				evs = append(evs, e)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || st.Events != 1 || st.Skipped != 0 || st.WarningCount != 0 {
				t.Fatalf("got %d events, stats %+v; want exactly one event, no warnings", len(evs), st)
			}
			e := evs[0]
			if want := strings.TrimSpace(cols[1]); want != "" {
				eq(t, "manifest event_id column", want, strconv.Itoa(c.id))
			}
			eq(t, "ID", e.ID, c.id)
			ch, prov, _ := strings.Cut(cols[2], " / ")
			eq(t, "Channel", e.Channel, strings.TrimSpace(ch))
			prov = strings.TrimSpace(prov)
			if i := strings.Index(prov, " ("); i >= 0 {
				prov = prov[:i]
			}
			eq(t, "Provider", e.Provider, prov)
			if e.Time.IsZero() || e.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want a UTC time", e.Time)
			}
			raw, _ := os.ReadFile(filepath.Join("testdata/corpus", name))
			if i := bytes.Index(raw, []byte("<Event")); i >= 0 && !strings.HasSuffix(name, ".json") {
				eq(t, "Line", e.Line, 1+bytes.Count(raw[:i], []byte("\n")))
				eq(t, "Offset", e.Offset, int64(i))
			}
			c.check(t, e)
		})
	}
	for name := range corpusCases {
		if !listed[name] {
			t.Errorf("%s: test case without a PROVENANCE line", name)
		}
	}
	files, _ := filepath.Glob("testdata/corpus/*.xml")
	js, _ := filepath.Glob("testdata/corpus/json/*.json")
	for _, p := range append(files, js...) {
		rel, _ := filepath.Rel("testdata/corpus", p)
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("%s: file without a PROVENANCE line", rel)
		}
	}
}
