package diagnose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/iiskerb/iiskerb/negotiate"
)

// krb003Check is KRB003: open each captured AP-REQ with the keys given.
func krb003Check() *Check {
	return &Check{
		ID:   "KRB003",
		Name: "TicketOpensWithKey",
		Doc: `A captured AP-REQ does or does not open with the decrypting account's key

The KDC encrypts a service ticket with the key of the account that holds the SPN. Trying the key of the
account IIS decrypts with (a keytab, or a password with the account's salt) on a ticket captured in an
HTTP trace is the definitive test of SPN002/IIS007: if it opens, that account holds the SPN and the
ticket names the real client (the PAC's user and groups: who the firewall should have seen); if it does
not, the kvno and encryption type say why - a stale key after a password change, an RC4 ticket and only
AES keys, or a key for another principal, which on IIS is KRB_AP_ERR_MODIFIED and the 401.1 in the logs.
Keys are never printed.`,
		Severity:    Error,
		Requires:    []EvidenceKind{EvKeys},
		RequiresAny: []EvidenceKind{EvTokens},
		Run:         runKRB003,
	}
}

// apReqCapture is one captured Authorization header carrying Kerberos.
type apReqCapture struct {
	where  string // "http/x.txt:12"
	value  string
	source string
	line   int
}

func capturedAPReqs(ev *Evidence) []apReqCapture {
	var out []apReqCapture
	for _, tr := range ev.HTTPTraces {
		if tr == nil {
			continue
		}
		for _, m := range tr.Messages {
			if !m.IsRequest() {
				continue
			}
			for _, v := range m.Header.Values("Authorization") {
				c, err := negotiate.ParseAuthorization(v)
				if err != nil || len(c.Token) == 0 {
					continue
				}
				tok, err := negotiate.DecodeToken(c.Token)
				if err != nil || !isKind(tok, negotiate.KerberosAPReq) {
					continue
				}
				out = append(out, apReqCapture{where: tr.Source + ":" + strconv.Itoa(m.Line), value: v, source: tr.Source, line: m.Line})
			}
		}
	}
	return out
}

func keyNames(keys []negotiate.Key) string {
	seen := map[string]bool{}
	var names []string
	for _, k := range keys {
		n := cmp.Or(k.Principal, "(unnamed key)")
		if k.Realm != "" {
			n += "@" + k.Realm
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return listSubjects(names, 4)
}

func runKRB003(ctx context.Context, p *Pass) error {
	ev := p.Evidence
	caps := capturedAPReqs(ev)
	if len(caps) == 0 {
		p.NotVerified("no Kerberos AP-REQ in the captured traffic to try the keys on",
			"an HTTP trace (curl -v, browser developer tools, Fiddler) of a request that carried Authorization: Negotiate with a Kerberos ticket")
		return nil
	}
	for _, c := range caps {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, err := negotiate.DecryptAuthorization(c.value, ev.Keys)
		if err == nil {
			msg := fmt.Sprintf("The ticket for %s captured at %s opens with the key of %s (%s, kvno %d): that account holds the SPN and decrypts it. The client is %s.",
				d.Server, c.where, cmp.Or(d.Key.Principal, "the key given"), d.EncType, d.KVNO, d.Client())
			if d.PAC != nil && d.PAC.LogonInfo != nil {
				msg += fmt.Sprintf(" Its PAC names %s (SID %s) with %s.", cmp.Or(d.PAC.LogonInfo.EffectiveName, d.Client()), d.PAC.LogonInfo.UserSID, plural(len(d.PAC.LogonInfo.Groups), "group", "groups"))
			}
			p.ReportAs(Info, Finding{Subject: d.Server, Message: msg,
				Evidence: []EvidenceRef{{Source: c.source, Locator: strconv.Itoa(c.line), Detail: "Authorization: Negotiate (Kerberos AP-REQ) opened with " + d.Key.String()}}})
			continue
		}
		var de *negotiate.DecryptError
		if !errors.As(err, &de) {
			p.Warn(EvidenceWarning{Source: c.source, Locator: strconv.Itoa(c.line), Message: "the captured AP-REQ could not be decoded: " + err.Error()})
			continue
		}
		if errors.Is(err, negotiate.ErrNoKeys) {
			p.NotVerified("no key given for "+de.SPN, "a keytab of the account that decrypts "+de.SPN+" (ktpass, or the HTTP service keytab) in keys/")
			continue
		}
		p.Report(Finding{
			Subject: cmp.Or(de.SPN, c.where),
			Message: fmt.Sprintf("The ticket for %s captured at %s does not open with the keys given (%s): %s %s",
				cmp.Or(de.SPN, "the service"), c.where, keyNames(ev.Keys), strings.TrimSuffix(de.Detail, "."), cmp.Or(de.Meaning, "")),
			Evidence: []EvidenceRef{{Source: c.source, Locator: strconv.Itoa(c.line),
				Detail: fmt.Sprintf("ticket %s kvno %d enctype %s; %s", de.SPN, de.KVNO, de.EncType, de.ReasonName())}},
			Remediation: []Remedy{{Summary: "See who holds " + de.SPN + " and compare with the account IIS decrypts with (SPN002, IIS007)",
				Commands: []string{"setspn -F -Q " + de.SPN}}},
			symptomOf: []string{"spn-owner", "spn-duplicate"},
		})
	}
	return nil
}
