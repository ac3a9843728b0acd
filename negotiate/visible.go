package negotiate

import (
	"fmt"
	"strings"
)

// Visibility is exactly what an observer on the network path (a proxy, an
// identity-aware firewall such as Palo Alto User-ID, a packet capture) can
// read from a token without any key.
//
// NTLM sends the user, domain and workstation in clear text in the
// AUTHENTICATE message (MS-NLMP 2.2.1.3), so an observer can attribute the
// connection to the user. A Kerberos AP-REQ shows only the ticket's realm,
// the server's SPN, the encryption type and key version: the client's name
// is inside the encrypted ticket and authenticator (RFC 4120 5.3, 5.5.1). An
// observer that cannot decrypt Kerberos therefore falls back to whatever
// identity it already knows for the source address: a service, machine or
// unknown account. That is visibility, not wrong credentials.
type Visibility struct {
	// Summary is one sentence for a report.
	Summary string `json:"summary"`
	// Mechanism is the mechanism of the token ("Kerberos", "NTLM", ...).
	Mechanism string `json:"mechanism"`
	// ClientIdentityVisible reports whether the client's user name can be
	// read from this token.
	ClientIdentityVisible bool `json:"client_identity_visible"`
	// NTLM (AUTHENTICATE, and NEGOTIATE when the client supplies them).
	User        string `json:"user,omitempty"`
	Domain      string `json:"domain,omitempty"`
	Workstation string `json:"workstation,omitempty"`
	// Server names an NTLM CHALLENGE reveals (DNS or NetBIOS computer name).
	Server string `json:"server,omitempty"`
	// Kerberos: what the AP-REQ (or KRB-ERROR) shows.
	Realm   string `json:"realm,omitempty"`
	SPN     string `json:"spn,omitempty"`
	EncType string `json:"enctype,omitempty"`
	KVNO    int    `json:"kvno,omitempty"`
	// Hidden lists what the token carries but an observer cannot read.
	Hidden []string `json:"hidden,omitempty"`
}

// Mechanism names the authentication mechanism the token belongs to:
// "Kerberos" or "NTLM" when the token is or carries such a message; for a
// SPNEGO token without one, the mechanism the server selected
// (supportedMech) or, for a NegTokenInit, the first (preferred) one offered:
// "Kerberos", "NTLM", "NegoEx", ... and "SPNEGO" when nothing says.
func (t *Token) Mechanism() string {
	switch {
	case t == nil:
		return ""
	case t.Kerberos != nil:
		return "Kerberos"
	case t.NTLM != nil:
		return "NTLM"
	case t.SPNEGO != nil && len(t.SPNEGO.SupportedMech) > 0:
		return simpleMech(MechName(t.SPNEGO.SupportedMech))
	case t.SPNEGO != nil && len(t.SPNEGO.MechTypes) > 0 && t.Kind == SPNEGOInit:
		return simpleMech(MechName(t.SPNEGO.MechTypes[0]))
	}
	return "SPNEGO"
}

func simpleMech(name string) string {
	switch name {
	case "MS-Kerberos", "Kerberos (old OID)":
		return "Kerberos"
	}
	return name
}

// Visible returns what an observer on the path can read from t.
func (t *Token) Visible() Visibility {
	v := Visibility{Mechanism: t.Mechanism()}
	if t == nil {
		v.Summary = "no token"
		return v
	}
	wrap := ""
	if t.SPNEGO != nil && (t.Kerberos != nil || t.NTLM != nil) {
		wrap = " (inside SPNEGO)"
	}
	switch {
	case t.NTLM != nil:
		visibleNTLM(t.NTLM, &v, wrap)
	case t.Kerberos != nil:
		visibleKerberos(t.Kerberos, &v, wrap, t.Truncated)
	case t.SPNEGO != nil:
		s := t.SPNEGO
		if t.Kind == SPNEGOResp {
			v.Summary = fmt.Sprintf("SPNEGO NegTokenResp (%s", s.NegState)
			if len(s.SupportedMech) > 0 {
				v.Summary += ", " + MechName(s.SupportedMech)
			}
			v.Summary += ") carries no identity."
		} else {
			names := make([]string, 0, len(s.MechTypes))
			for _, m := range s.MechTypes {
				names = append(names, MechName(m))
			}
			v.Summary = fmt.Sprintf("%s offering %s carries no identity.", t.Kind, strings.Join(names, ", "))
		}
	default:
		v.Summary = "Unknown token: nothing decoded."
	}
	return v
}

func visibleNTLM(n *NTLM, v *Visibility, wrap string) {
	switch n.MessageType {
	case 1:
		var parts []string
		if n.Domain != "" {
			v.Domain = n.Domain
			parts = append(parts, "domain "+n.Domain)
		}
		if n.Workstation != "" {
			v.Workstation = n.Workstation
			parts = append(parts, "workstation "+n.Workstation)
		}
		if len(parts) == 0 {
			v.Summary = "NTLM NEGOTIATE" + wrap + " shows no user, domain or workstation."
		} else {
			v.Summary = "NTLM NEGOTIATE" + wrap + " shows " + strings.Join(parts, " and ") + " in clear text, but no user name."
		}
	case 2:
		server := ""
		for _, id := range []uint16{AvDNSComputerName, AvNbComputerName} {
			for _, p := range n.TargetInfo {
				if p.ID == id && server == "" {
					server = p.Text
				}
			}
		}
		v.Server = server
		v.Domain = n.TargetName
		v.Summary = "NTLM CHALLENGE" + wrap + " from the server"
		if server != "" {
			v.Summary += " " + server
		}
		if n.TargetName != "" {
			v.Summary += " (target " + n.TargetName + ")"
		}
		v.Summary += " names the server, not the user."
	case 3:
		v.User, v.Domain, v.Workstation = n.User, n.Domain, n.Workstation
		v.ClientIdentityVisible = n.User != ""
		v.Hidden = []string{"password (only a challenge response is sent)"}
		who := n.User
		if n.Domain != "" {
			who = n.Domain + `\` + n.User
		}
		ver := n.Version()
		switch {
		case ver == Anonymous || n.User == "":
			v.Summary = fmt.Sprintf("NTLM AUTHENTICATE%s is anonymous: no user name is sent.", wrap)
		default:
			v.Summary = fmt.Sprintf("NTLM AUTHENTICATE%s (%s) shows user %s", wrap, ver, who)
			if n.Workstation != "" {
				v.Summary += " from workstation " + n.Workstation
			}
			v.Summary += " in clear text to any observer on the path."
		}
	}
}

func visibleKerberos(k *Kerberos, v *Visibility, wrap string, truncated bool) {
	switch {
	case k.APReq != nil:
		a := k.APReq
		v.Realm, v.SPN, v.KVNO = a.Realm, a.SPN, a.TicketKVNO
		if a.TicketEncType != 0 || !truncated {
			v.EncType = EncTypeName(a.TicketEncType)
		}
		v.Hidden = []string{"client name (in the encrypted ticket and authenticator)", "authorization data (PAC)"}
		spn := a.SPN
		if spn == "" {
			spn = "an unknown service"
		}
		if truncated {
			spn += " (token truncated, names may be cut short)"
		}
		v.Summary = fmt.Sprintf("Kerberos AP-REQ%s for %s", wrap, spn)
		if a.Realm != "" {
			v.Summary += " in realm " + a.Realm
		}
		if v.EncType != "" {
			v.Summary += fmt.Sprintf(" (%s, kvno %d)", v.EncType, a.TicketKVNO)
		}
		v.Summary += " shows the service, not the user: the client's name is encrypted inside the ticket, so an observer cannot tell who is authenticating."
	case k.APRep != nil:
		v.Hidden = []string{"session subkey and timestamps (encrypted)"}
		v.Summary = "Kerberos AP-REP" + wrap + " (the server's mutual-authentication answer) carries no identity."
	case k.Error != nil:
		e := k.Error
		v.Realm, v.SPN = e.Realm, e.SPN
		v.Summary = fmt.Sprintf("Kerberos KRB-ERROR%s %s (%d)", wrap, e.Name, e.Code)
		if e.SPN != "" {
			v.Summary += " for " + e.SPN
		}
		if e.Realm != "" {
			v.Summary += " in realm " + e.Realm
		}
		if len(e.CName.Names) > 0 {
			v.User = e.CName.String()
			v.Domain = e.CRealm
			v.ClientIdentityVisible = true
			v.Summary += "; it names the client " + v.User
			if e.CRealm != "" {
				v.Summary += "@" + e.CRealm
			}
			v.Summary += " in clear text."
		} else {
			v.Summary += "; it does not name the client."
		}
	default:
		v.Summary = "Kerberos message" + wrap + " with no readable fields."
	}
}
