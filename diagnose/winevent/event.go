package winevent

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Well-known provider names.
const (
	// ProviderSecurityAuditing writes the Security log (4624, 4625, 4768-4771, 4776).
	ProviderSecurityAuditing = "Microsoft-Windows-Security-Auditing"
	// ProviderKerberos is the Kerberos client (System log, source "Kerberos": events 3, 4).
	ProviderKerberos = "Microsoft-Windows-Security-Kerberos"
	// ProviderKDC is the KDC service (System log, sources "KDC" and "Kdcsvc":
	// events 7, 11, 19, 201-209).
	ProviderKDC = "Microsoft-Windows-Kerberos-Key-Distribution-Center"
	// ProviderNTLM writes Microsoft-Windows-NTLM/Operational (8001-8004).
	ProviderNTLM = "Microsoft-Windows-NTLM"
)

// Event is one Windows event with the fields the Kerberos/NTLM checks read
// decoded. String fields hold the text as the event wrote it ("-" included);
// use the methods for normalised views. Every EventData value, decoded or
// not, is also in Fields, so nothing is lost.
type Event struct {
	// Format is the input format the event was read from.
	Format Format `json:"format"`
	// Line is the 1-based line of the input where the event starts
	// (counted in the decoded text for UTF-16 input).
	Line int `json:"line,omitempty"`
	// Offset is the byte offset where the event starts (in the UTF-8 text
	// after transcoding, for UTF-16 input).
	Offset int64 `json:"offset,omitempty"`

	// Provider is the provider name ("Microsoft-Windows-Security-Auditing").
	Provider string `json:"provider,omitempty"`
	// EventSourceName is the classic source name ("Kerberos", "KDC",
	// "Kdcsvc") where the event has one.
	EventSourceName string `json:"event_source_name,omitempty"`
	// ID is the event ID (4624, 4769, 3, ...); 0 when absent.
	ID int `json:"id"`
	// Version is the event's schema version (4768 version 2 has the 2025 fields).
	Version int `json:"version,omitempty"`
	// Level is the event level (0 audit, 2 error, 3 warning, 4 information).
	Level int `json:"level,omitempty"`
	// Channel is the log ("Security", "System", "Microsoft-Windows-NTLM/Operational").
	Channel string `json:"channel,omitempty"`
	// Computer is the computer that logged the event.
	Computer string `json:"computer,omitempty"`
	// RecordID is the EventRecordID (RecordNumber in NXLog); 0 when absent.
	RecordID uint64 `json:"record_id,omitempty"`
	// Time is the event time in UTC; zero when the event had none.
	Time time.Time `json:"time,omitzero"`
	// TimeField names the field Time was read from ("TimeCreated/@SystemTime",
	// "@timestamp", "EventTime", ...).
	TimeField string `json:"time_field,omitempty"`
	// TimeNoZone is true when Time came from a field without a zone (NXLog
	// EventTime is the collector's local time) and was read as UTC.
	TimeNoZone bool `json:"time_no_zone,omitempty"`

	// TargetUserName is the account the event is about (TargetUserName;
	// "dadmin@CONTOSO.LOCAL" in 4769/4770).
	TargetUserName string `json:"target_user_name,omitempty"`
	// TargetDomainName is its domain or realm.
	TargetDomainName string `json:"target_domain_name,omitempty"`
	// TargetSid is TargetSid or TargetUserSid.
	TargetSid string `json:"target_sid,omitempty"`
	// SubjectUserName is the account that requested the logon (4624/4625).
	SubjectUserName string `json:"subject_user_name,omitempty"`
	// SubjectDomainName is its domain.
	SubjectDomainName string `json:"subject_domain_name,omitempty"`
	// IP is the client address (IpAddress, ClientAddress), IPv4-mapped IPv6
	// ("::ffff:10.0.0.5") unmapped to IPv4; invalid when the event has none
	// or wrote "-".
	IP netip.Addr `json:"ip,omitzero"`
	// IPRaw is the address field as written ("::ffff:10.0.0.5", "-").
	IPRaw string `json:"ip_raw,omitempty"`
	// Port is the client port (IpPort); 0 when absent or "-".
	Port int `json:"port,omitempty"`
	// LogonType is the 4624/4625 logon type (3 network); -1 when absent.
	LogonType int `json:"logon_type"`
	// LogonProcess is LogonProcessName as written ("NtLmSsp " keeps its space).
	LogonProcess string `json:"logon_process,omitempty"`
	// AuthPackage is AuthenticationPackageName (4624/4625) or PackageName
	// (4776), with markdown escapes ("\_") removed: "Kerberos", "NTLM",
	// "Negotiate", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0".
	AuthPackage string `json:"auth_package,omitempty"`
	// LmPackage is LmPackageName ("NTLM V1", "NTLM V2", "LM", "-").
	LmPackage string `json:"lm_package,omitempty"`
	// Workstation is WorkstationName (4624/4625, 8004) or Workstation (4776, 8003).
	Workstation string `json:"workstation,omitempty"`
	// ServiceName is the service a ticket was requested for (4768-4771):
	// an account name ("WIN2008R2$", "krbtgt") or an SPN.
	ServiceName string `json:"service_name,omitempty"`
	// ServiceSid is ServiceSid.
	ServiceSid string `json:"service_sid,omitempty"`
	// TicketOptions is TicketOptions as written ("0x40810010").
	TicketOptions string `json:"ticket_options,omitempty"`
	// PreAuthType is PreAuthType as written ("2" password, "15"/"16" PKINIT, "-").
	PreAuthType string `json:"pre_auth_type,omitempty"`
	// TicketEncryption is TicketEncryptionType.
	TicketEncryption EncType `json:"ticket_encryption,omitzero"`
	// SessionKeyEncryption is SessionKeyEncryptionType (2025 field).
	SessionKeyEncryption EncType `json:"session_key_encryption,omitzero"`
	// PreAuthEncryption is PreAuthEncryptionType (2025 field).
	PreAuthEncryption EncType `json:"pre_auth_encryption,omitzero"`
	// Status is the result: Status (4768/4769/4771/4625/4776), FailureCode,
	// ErrorCode (System Kerberos 3), or KRB_AP_ERR_MODIFIED implied by
	// System Kerberos event 4 (Raw is then empty).
	Status Status `json:"status,omitzero"`
	// SubStatus is the 4625 SubStatus.
	SubStatus Status `json:"sub_status,omitzero"`
	// AccountSupportedEncryptionTypes is the client account's
	// msDS-SupportedEncryptionTypes (2025 field).
	AccountSupportedEncryptionTypes EncTypeMask `json:"account_supported_encryption_types,omitzero"`
	// ServiceSupportedEncryptionTypes is the service account's
	// msDS-SupportedEncryptionTypes (2025 field).
	ServiceSupportedEncryptionTypes EncTypeMask `json:"service_supported_encryption_types,omitzero"`
	// DCSupportedEncryptionTypes is the DC's supported types (2025 field).
	DCSupportedEncryptionTypes EncTypeMask `json:"dc_supported_encryption_types,omitzero"`
	// AccountAvailableKeys lists the keys the client account has ("RC4").
	AccountAvailableKeys KeyList `json:"account_available_keys,omitempty"`
	// ServiceAvailableKeys lists the keys the service account has ("AES-SHA1, RC4").
	ServiceAvailableKeys KeyList `json:"service_available_keys,omitempty"`
	// DCAvailableKeys lists the keys the DC account has.
	DCAvailableKeys KeyList `json:"dc_available_keys,omitempty"`
	// ClientAdvertizedEncryptionTypes lists the types the client offered.
	ClientAdvertizedEncryptionTypes KeyList `json:"client_advertized_encryption_types,omitempty"`
	// TargetName is the target a Kerberos client or KDC error names: TargetName
	// of System Kerberos 3 ("HTTP/web.contoso.com@CONTOSO.COM") and 4 (the
	// SPN whose ticket the server could not decrypt), the duplicate Name of
	// KDC event 11, the NTLM 8001 target. See SPN.
	TargetName string `json:"target_name,omitempty"`
	// ServerName is ServerName of System Kerberos 3 or the server of event 4.
	ServerName string `json:"server_name,omitempty"`
	// Message is the rendered message when the export carried one
	// (RenderedXml, NXLog, Winlogbeat, Sentinel).
	Message string `json:"message,omitempty"`
	// Fields holds every named EventData (or UserData) value as written,
	// keyed by its name. For flat JSON records it holds every field that is
	// not a known system or collector field.
	Fields map[string]string `json:"fields,omitempty"`
	// Params holds unnamed <Data> values in order (classic event sources).
	Params []string `json:"params,omitempty"`
	// Binary is the hex <Binary> data, if any.
	Binary string `json:"binary,omitempty"`
	// Extra holds the remaining values of the record: System elements not
	// decoded above (Task, Opcode, Keywords, Execution, ...), RenderingInfo,
	// and collector metadata of JSON records, keyed by path ("winlog.task").
	Extra map[string]string `json:"extra,omitempty"`
}

// Field returns the named EventData value, matching the name exactly first
// and then case-insensitively.
func (e *Event) Field(name string) (string, bool) {
	if v, ok := e.Fields[name]; ok {
		return v, true
	}
	for k, v := range e.Fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Blank reports whether a field value means "no value": empty,
// white space only, or "-".
func Blank(s string) bool {
	t := strings.TrimSpace(s)
	return t == "" || t == "-"
}

// Protocol is the authentication protocol an event shows.
type Protocol int

const (
	// ProtocolUnknown: the event does not say.
	ProtocolUnknown Protocol = iota
	// ProtocolKerberos: Kerberos.
	ProtocolKerberos
	// ProtocolNTLM: NTLM (or LM), including MSV1_0 validations.
	ProtocolNTLM
	// ProtocolNegotiate: the package was Negotiate and the event does not
	// say which protocol it chose (local interactive logons).
	ProtocolNegotiate
	// ProtocolOther: another package (Digest, Schannel, pku2u, CloudAP ...).
	ProtocolOther
)

// String returns "kerberos", "ntlm", "negotiate", "other" or "unknown".
func (p Protocol) String() string {
	switch p {
	case ProtocolKerberos:
		return "kerberos"
	case ProtocolNTLM:
		return "ntlm"
	case ProtocolNegotiate:
		return "negotiate"
	case ProtocolOther:
		return "other"
	}
	return "unknown"
}

func isProvider(e *Event, name, source string) bool {
	return strings.EqualFold(e.Provider, name) || (source != "" && strings.EqualFold(e.EventSourceName, source)) ||
		(source != "" && strings.EqualFold(e.Provider, source))
}

// IsSecurity reports whether the event is a Security-log audit event.
func (e *Event) IsSecurity() bool {
	return isProvider(e, ProviderSecurityAuditing, "") || (e.Provider == "" && strings.EqualFold(e.Channel, "Security"))
}

// IsKerberosClient reports whether the event is from the Kerberos client
// (Microsoft-Windows-Security-Kerberos, source "Kerberos").
func (e *Event) IsKerberosClient() bool { return isProvider(e, ProviderKerberos, "Kerberos") }

// IsKDC reports whether the event is from the KDC service
// (Microsoft-Windows-Kerberos-Key-Distribution-Center, source "KDC" or "Kdcsvc").
func (e *Event) IsKDC() bool {
	return isProvider(e, ProviderKDC, "KDC") || strings.EqualFold(e.EventSourceName, "Kdcsvc") ||
		strings.EqualFold(e.Provider, "Kdcsvc")
}

// IsNTLMOperational reports whether the event is from the NTLM operational
// log (Microsoft-Windows-NTLM, events 8001-8004).
func (e *Event) IsNTLMOperational() bool { return isProvider(e, ProviderNTLM, "") }

// IsKDCRC4Audit reports whether the event is one of the KDCSVC events 201-209
// that the January 2026 updates (CVE-2026-20833, KB5073381) log in the System
// log about RC4 use that the AES-only default will break.
func (e *Event) IsKDCRC4Audit() bool { return e.IsKDC() && e.ID >= 201 && e.ID <= 209 }

// Protocol tells which protocol the event shows: Kerberos for 4768-4773 and
// Kerberos client/KDC events, NTLM for 4776 and NTLM operational events, and
// for 4624/4625 the package (AuthenticationPackageName, or LmPackageName when
// the package is Negotiate).
func (e *Event) Protocol() Protocol {
	switch {
	case e.IsSecurity() && e.ID >= 4768 && e.ID <= 4773:
		return ProtocolKerberos
	case e.IsSecurity() && e.ID == 4776:
		return ProtocolNTLM
	case e.IsNTLMOperational():
		return ProtocolNTLM
	case e.IsKerberosClient() || e.IsKDC():
		return ProtocolKerberos
	}
	pkg := strings.ToUpper(strings.TrimSpace(e.AuthPackage))
	lm := strings.ToUpper(strings.TrimSpace(e.LmPackage))
	switch {
	case pkg == "KERBEROS":
		return ProtocolKerberos
	case pkg == "NTLM" || strings.Contains(pkg, "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0") || pkg == "MSV1_0":
		return ProtocolNTLM
	case strings.HasPrefix(lm, "NTLM") || lm == "LM":
		return ProtocolNTLM
	case pkg == "NEGOTIATE":
		return ProtocolNegotiate
	case pkg != "" && pkg != "-":
		return ProtocolOther
	}
	return ProtocolUnknown
}

// NTLMVersion returns 1 for LmPackageName "NTLM V1", 2 for "NTLM V2" and 0
// otherwise (not NTLM, "LM", or not recorded).
func (e *Event) NTLMVersion() int {
	switch strings.ToUpper(strings.Join(strings.Fields(e.LmPackage), " ")) {
	case "NTLM V1":
		return 1
	case "NTLM V2":
		return 2
	}
	return 0
}

// IsNetworkLogon reports whether the event is a 4624/4625 network logon
// (LogonType 3), the type an HTTP request authenticated by IIS produces.
func (e *Event) IsNetworkLogon() bool {
	return e.IsSecurity() && (e.ID == 4624 || e.ID == 4625) && e.LogonType == 3
}

// Failed reports whether the event records a failure: 4625, 4771, 4772,
// 4773, System Kerberos client events 3 and 4, or a non-zero Status.
func (e *Event) Failed() bool {
	if e.IsSecurity() && (e.ID == 4625 || e.ID == 4771 || e.ID == 4772 || e.ID == 4773) {
		return true
	}
	if e.IsKerberosClient() && (e.ID == 3 || e.ID == 4) {
		return true
	}
	return e.Status.Failed()
}

// Account returns the account the event is about, as DOMAIN\user or as
// written when the name already carries a domain (user@REALM, DOMAIN\user).
// It reads TargetUserName/TargetDomainName, then the NTLM operational
// UserName/DomainName and ClientUserName/ClientDomainName, then the KDC's
// AccountName; "" when none is set. Surrounding white space is trimmed.
func (e *Event) Account() string {
	user := firstNonBlank(e.TargetUserName, e.fieldCI("UserName"), e.fieldCI("ClientUserName"), e.fieldCI("AccountName"))
	if user == "" {
		return ""
	}
	if strings.ContainsAny(user, `@\`) {
		return user
	}
	dom := firstNonBlank(e.TargetDomainName, e.fieldCI("DomainName"), e.fieldCI("ClientDomainName"))
	if dom == "" {
		return user
	}
	return dom + `\` + user
}

func (e *Event) fieldCI(name string) string {
	v, _ := e.Field(name)
	return v
}

func firstNonBlank(v ...string) string {
	for _, s := range v {
		if !Blank(s) {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// SPN returns the service principal name the event names: TargetName of
// Kerberos client events (realm suffix removed), the duplicate name of KDC
// event 11, or ServiceName when it has the service/host form; "" when the
// event names no SPN (ServiceName "WIN2008R2$", a user principal).
func (e *Event) SPN() string {
	for _, s := range []string{e.TargetName, e.ServiceName, e.ServerName} {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			continue
		}
		if i := strings.LastIndexByte(s, '@'); i > strings.IndexByte(s, '/') {
			s = s[:i]
		}
		return s
	}
	return ""
}

// normIP parses an address field: "-" and "" give an invalid Addr,
// IPv4-mapped IPv6 is unmapped, zones and brackets are dropped.
func normIP(s string) netip.Addr {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimSuffix(s, "]"), "[")
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// decode fills the typed fields from Fields (called once per event).
func (e *Event) decode() {
	idx := make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		lk := strings.ToLower(k)
		if _, dup := idx[lk]; !dup || k == lk {
			idx[lk] = v
		}
	}
	get := func(names ...string) string {
		for _, n := range names {
			if v, ok := e.Fields[n]; ok {
				return v
			}
			if v, ok := idx[strings.ToLower(n)]; ok {
				return v
			}
		}
		return ""
	}
	if len(e.Params) == 0 {
		// Winlogbeat names unnamed <Data> values param1, param2, ...
		for i := 1; ; i++ {
			v, ok := e.Fields["param"+strconv.Itoa(i)]
			if !ok {
				break
			}
			e.Params = append(e.Params, v)
		}
	}
	e.TargetUserName = get("TargetUserName")
	e.TargetDomainName = get("TargetDomainName")
	e.TargetSid = get("TargetSid", "TargetUserSid")
	e.SubjectUserName = get("SubjectUserName")
	e.SubjectDomainName = get("SubjectDomainName")
	e.IPRaw = get("IpAddress", "ClientAddress", "SourceNetworkAddress", "ClientIPAddress")
	e.IP = normIP(e.IPRaw)
	if p, err := strconv.Atoi(strings.TrimSpace(get("IpPort", "ClientPort", "SourcePort"))); err == nil && p > 0 && p < 65536 {
		e.Port = p
	}
	e.LogonType = -1
	if lt, err := strconv.Atoi(strings.TrimSpace(get("LogonType"))); err == nil && lt >= 0 {
		e.LogonType = lt
	}
	e.LogonProcess = get("LogonProcessName")
	e.AuthPackage = strings.ReplaceAll(get("AuthenticationPackageName", "PackageName", "AuthenticationPackage"), `\_`, "_")
	e.LmPackage = get("LmPackageName")
	e.Workstation = get("WorkstationName", "Workstation")
	e.ServiceName = get("ServiceName")
	e.ServiceSid = get("ServiceSid")
	e.TicketOptions = get("TicketOptions")
	e.PreAuthType = get("PreAuthType")
	if v := get("TicketEncryptionType"); v != "" {
		e.TicketEncryption = ParseEncType(v)
	}
	if v := get("SessionKeyEncryptionType"); v != "" {
		e.SessionKeyEncryption = ParseEncType(v)
	}
	if v := get("PreAuthEncryptionType"); v != "" {
		e.PreAuthEncryption = ParseEncType(v)
	}
	e.AccountSupportedEncryptionTypes = ParseEncTypeMask(get("AccountSupportedEncryptionTypes"))
	e.ServiceSupportedEncryptionTypes = ParseEncTypeMask(get("ServiceSupportedEncryptionTypes"))
	e.DCSupportedEncryptionTypes = ParseEncTypeMask(get("DCSupportedEncryptionTypes"))
	e.AccountAvailableKeys = ParseKeyList(get("AccountAvailableKeys"))
	e.ServiceAvailableKeys = ParseKeyList(get("ServiceAvailableKeys"))
	e.DCAvailableKeys = ParseKeyList(get("DCAvailableKeys"))
	e.ClientAdvertizedEncryptionTypes = ParseKeyList(get("ClientAdvertizedEncryptionTypes", "ClientAdvertisedEncryptionTypes"))

	kind := StatusNT
	kerb := e.IsKerberosClient() || e.IsKDC() || (e.ID >= 4768 && e.ID <= 4773)
	if kerb {
		kind = StatusKerberos
	}
	statusText := get("Status", "FailureCode", "ErrorCode", "ResultCode")
	e.Status = parseStatus(statusText, kind)
	e.SubStatus = parseStatus(get("SubStatus"), StatusNT)

	switch {
	case e.IsKerberosClient() && e.ID == 3:
		e.TargetName = get("TargetName", "Targetname")
		e.ServerName = get("ServerName")
	case e.IsKerberosClient() && e.ID == 4:
		// Message: "... KRB_AP_ERR_MODIFIED error from the server %1. The
		// target name used was %3. ..."
		e.ServerName = get("Server", "ServerName")
		e.TargetName = get("TargetName", "Targetname")
		if e.ServerName == "" && len(e.Params) > 0 {
			e.ServerName = e.Params[0]
		}
		if e.TargetName == "" && len(e.Params) > 2 {
			e.TargetName = e.Params[2]
		}
		if e.ServerName == "" {
			e.ServerName = between(e.Message, "error from the server ", ". ")
		}
		if e.TargetName == "" {
			e.TargetName = between(e.Message, "The target name used was ", ". ")
		}
		if !e.Status.Set {
			e.Status = Status{Code: 0x29, Set: true, Kind: StatusKerberos}
		}
	case e.IsKDC() && e.ID == 11:
		// "The KDC encountered duplicate names while processing a Kerberos
		// authentication request. The duplicate name is %1 (of type %2)."
		e.TargetName = get("Name")
		if e.TargetName == "" && len(e.Params) > 0 {
			e.TargetName = e.Params[0]
		}
		if e.TargetName == "" {
			e.TargetName = between(e.Message, "The duplicate name is ", " (of type")
		}
	default:
		e.TargetName = get("TargetName")
	}
}

func parseStatus(s string, kind StatusKind) Status {
	v, ok := parseNumber(s)
	if !ok {
		return Status{Raw: s}
	}
	// NTSTATUS values have the severity bits set; a Kerberos event never
	// carries one, but an NT code in a Kerberos event is named as NT.
	if v >= 0x80000000 {
		kind = StatusNT
	}
	return Status{Code: v, Set: true, Kind: kind, Raw: s}
}

// between returns the text of s after prefix and before the next end (or
// line end), trimmed; "" when prefix is absent.
func between(s, prefix, end string) string {
	i := strings.Index(s, prefix)
	if i < 0 {
		return ""
	}
	s = s[i+len(prefix):]
	if j := strings.IndexAny(s, "\r\n"); j >= 0 {
		s = s[:j]
	}
	if j := strings.Index(s, end); j >= 0 {
		s = s[:j]
	} else {
		s = strings.TrimSuffix(s, ".")
	}
	return strings.TrimSpace(s)
}
