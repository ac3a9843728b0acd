// Package winevent reads Windows event exports - the ground truth of which
// logons used Kerberos and which NTLM - into typed events for the EVT checks
// of package diagnose.
//
// # What it reads
//
// XML as `wevtutil qe LOG /f:xml` and `/f:RenderedXml` write it (one event
// per line, no root element), Event Viewer "Save All Events As" XML and
// PowerShell ToXml() (pretty-printed, <Events> root), python-evtx output
// (XML 1.1 declaration, zone-less SystemTime), and XML pasted from
// documentation or Internet Explorer's view ("- <Event ...>" collapse
// markers, trailing spaces, the xmlns on its own line). Double or single
// quotes, CDATA, comments and any XML declaration are accepted; DTDs are
// skipped and their entities never expanded. UTF-8 (with or without BOM) and
// UTF-16 (PowerShell 5 redirection) are both read.
//
// JSON as JSON lines, concatenated or pretty-printed objects, or top-level
// arrays, in the shapes SIEMs and converters write: flat NXLog/Logstash/HELK
// records (EventID, Hostname, SourceName, TargetUserName ... at the top),
// Winlogbeat 6 (event_id, computer_name, event_data), Winlogbeat 7+ and
// Elastic Agent (winlog.event_id, winlog.event_data, event.code), Microsoft
// Sentinel SecurityEvent rows (EventID, Computer, TimeGenerated, flat columns,
// EventData as an XML string) and WindowsEvent rows (EventData object),
// evtx_dump/Velociraptor ({"Event": {"System": ..., "EventData": ...}}),
// Elasticsearch hits (_source) and Splunk results (result).
//
// # The binary .evtx format is refused
//
// A .evtx file (magic "ElfFile") is not parsed: Reader returns an *EVTXError
// whose message gives the exact conversion command,
//
//	wevtutil qe FILE /lf:true /f:xml > FILE.xml
//
// with FILE filled in. The binary format (chunks, string and template tables,
// BinXML with substitutions) needs a reader of its own; the XML that wevtutil
// writes from it carries the same events and is read here.
//
// # Events
//
// Each Event has the system fields (provider, event ID, channel, computer,
// record ID, time in UTC) and the EventData the checks need decoded:
// accounts (TargetUserName, TargetDomainName, TargetSid), the client address
// (IpAddress with "::ffff:10.0.0.5" unmapped and "-" as no address), port,
// logon type, authentication package and LmPackageName (NTLM V1/V2),
// workstation, ticket service name, encryption types (hex with any zero
// padding: 0x12 and 0x00000017 give aes256-cts-hmac-sha1-96 (18) and
// rc4-hmac (23)), status codes with names (Kerberos codes such as 0x18
// KDC_ERR_PREAUTH_FAILED in 4768/4769/4771 and System Kerberos 3; NTSTATUS
// such as 0xc000006a STATUS_WRONG_PASSWORD in 4625/4776), the fields added
// to 4768/4769 in 2025 (AccountAvailableKeys, ServiceAvailableKeys,
// ClientAdvertizedEncryptionTypes, SessionKeyEncryptionType, the
// msDS-SupportedEncryptionTypes masks), and the target SPN of System Kerberos
// events 3 and 4 (KRB_AP_ERR_MODIFIED) and the duplicate name of KDC event
// 11. Every EventData value, decoded or not, stays in Event.Fields; the rest
// of the record is in Event.Extra. Values are kept as written: "-" and
// white-space-only names are not invented into something else (see Blank).
// An Event marshals to snake_case JSON with the time in RFC 3339 (UTC) and
// names beside codes ({"code":"0x18","kind":"kerberos","name":
// "KDC_ERR_PREAUTH_FAILED",...}).
//
// Classification helpers (Event.Protocol, NTLMVersion, IsNetworkLogon,
// Failed, Account, SPN, IsKDCRC4Audit) and a Summarizer (client address ->
// accounts with first/last time and counts; account -> protocols and
// addresses) serve the checks; the checks themselves live in diagnose.
//
// # Limits
//
// Events are streamed (Reader.Next, Reader.All, Scan) with memory bounded by
// Options.MaxEventBytes (1 MiB): a larger event is skipped, counted in
// Stats.Skipped and reported as a Warning. Nesting deeper than
// Options.MaxDepth is a *SyntaxError with its position, as is malformed XML
// and input that ends inside an event. Time is linear in the input and no
// input makes the reader panic (fuzzed). Input that is none of these formats
// is a *FormatError naming what it looked like (Event Viewer CSV or text,
// wevtutil /f:text, a zip archive, an HTML page ...); errors.Is(err,
// ErrNotEvents) matches it and *EVTXError.
package winevent
