package spn

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestOfflineDirectoryFromSetspnList(t *testing.T) {
	ctx := context.Background()
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{parseSetspnFile(t, "setspn-L.txt")}})
	// setspn -L of two accounts cannot prove anything about other holders.
	ans, err := d.Owners(ctx, "http/PORTAL")
	if err != nil || len(ans.Accounts) != 1 || ans.Accounts[0].Name != `svc-web` || ans.Complete || ans.Reason == "" {
		t.Fatalf("Owners = %+v %v", ans, err)
	}
	if ans, _ := d.Owners(ctx, "HTTP/nothing"); ans.Complete {
		t.Error("absence claimed from setspn -L")
	}
	// The account itself is fully listed.
	ans, _ = d.Account(ctx, "WEB01$")
	if len(ans.Accounts) != 1 || !ans.Complete || len(ans.Accounts[0].SPNs) != 8 {
		t.Errorf("Account = %+v", ans)
	}
	if ans, _ := d.Account(ctx, "svc-missing"); ans.Complete {
		t.Error("absence of an account claimed from setspn -L")
	}
	_, comp, err := Duplicates(ctx, d)
	if comp.Complete || !errors.Is(err, ErrIncomplete) {
		t.Errorf("Duplicates from -L: %+v %v", comp, err)
	}
	if !strings.Contains(d.Describe(), "setspn-L.txt") {
		t.Errorf("Describe = %q", d.Describe())
	}
}

func TestOfflineDirectoryProofs(t *testing.T) {
	ctx := context.Background()
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{
		parseSetspnFile(t, "setspn-L.txt"), parseSetspnFile(t, "setspn-QF-notfound.txt"), parseSetspnFile(t, "setspn-X.txt"),
	}})
	// setspn -F -Q HTTP/intranet... said "No such SPN found.": absence proven.
	if ans, _ := d.Owners(ctx, "http/intranet.corp.example.com"); !ans.Complete || len(ans.Accounts) != 0 {
		t.Errorf("-Q proof: %+v", ans)
	}
	// setspn -X lists HTTP/portal.corp.example.com on two accounts: complete.
	ans, _ := d.Owners(ctx, "HTTP/portal.corp.example.com")
	if !ans.Complete || len(ans.Accounts) != 2 {
		t.Errorf("-X group: %+v", ans)
	}
	// HOST/WEB01 is on one account and -X shows it is not duplicated.
	if ans, _ := d.Owners(ctx, "HOST/WEB01"); !ans.Complete || len(ans.Accounts) != 1 {
		t.Errorf("-X non-duplicate: %+v", ans)
	}
	dups, comp, err := Duplicates(ctx, d)
	if err != nil || !comp.Complete || len(dups) != 2 || dups[0].SPN != "HTTP/portal.corp.example.com" ||
		dups[0].Owners[0] != `svc-web` || dups[0].Owners[1] != `WEB02` {
		t.Errorf("Duplicates = %+v %+v %v", dups, comp, err)
	}
	// An -X-only account is not fully known.
	if ans, _ := d.Account(ctx, `CORP\svc-sql`); ans.Complete || len(ans.Accounts) != 1 {
		t.Errorf("-X account: %+v", ans)
	}

	trunc := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{parseSetspnFile(t, "setspn-X-truncated.txt")}})
	if _, comp, err := Duplicates(ctx, trunc); comp.Complete || !errors.Is(err, ErrIncomplete) {
		t.Errorf("truncated -X: %+v %v", comp, err)
	}
	none := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{parseSetspnFile(t, "setspn-X-none.txt")}})
	if dups, comp, err := Duplicates(ctx, none); err != nil || !comp.Complete || len(dups) != 0 {
		t.Errorf("no duplicates: %+v %+v %v", dups, comp, err)
	}
}

func TestOfflineDirectoryLDIF(t *testing.T) {
	ctx := context.Background()
	x := parseLDIFFile(t)
	d := NewOfflineDirectory(OfflineInput{LDIF: []*LDIFExport{x}, LDIFComplete: true, Domain: "CONTOSO"})
	if ans, _ := d.Owners(ctx, "HTTP/nothing"); !ans.Complete {
		t.Error("complete LDIF does not prove absence")
	}
	ans, _ := d.Account(ctx, `CONTOSO\svc-web`)
	if len(ans.Accounts) != 1 || ans.Accounts[0].Name != `CONTOSO\svc-web` {
		t.Errorf("Account = %+v", ans)
	}
	dups, comp, err := Duplicates(ctx, d)
	if err != nil || !comp.Complete || len(dups) != 1 || len(dups[0].Owners) != 2 {
		t.Errorf("Duplicates = %+v %+v %v", dups, comp, err)
	}
	partial := NewOfflineDirectory(OfflineInput{LDIF: []*LDIFExport{x}})
	if ans, _ := partial.Owners(ctx, "HTTP/nothing"); ans.Complete {
		t.Error("LDIF not declared complete proves absence")
	}
}

func TestOfflineDirectoryMergesSources(t *testing.T) {
	ctx := context.Background()
	// setspn -L alone: WEB01 holds HOST/WEB01, so it is taken for a computer
	// named WEB01$; its encryption types are unknown (no RC4 verdict).
	l := parseSetspnFile(t, "setspn-L.txt")
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{l}})
	ans, _ := d.Account(ctx, `CORP\WEB01$`)
	if len(ans.Accounts) != 1 || ans.Accounts[0].Kind != Computer || ans.Accounts[0].Name != `WEB01$` || !ans.Accounts[0].EncTypesUnknown {
		t.Fatalf("setspn account = %+v", ans)
	}
	if _, ok := RC4Verdict(&ans.Accounts[0]); ok {
		t.Error("RC4 verdict from setspn output, which cannot show encryption types")
	}
	if ans, _ := d.Account(ctx, "svc-web"); len(ans.Accounts) != 1 || ans.Accounts[0].Kind != Unknown {
		t.Errorf("svc-web = %+v", ans)
	}
	// With the LDIF export too, its attributes win.
	d = NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{l}, LDIF: []*LDIFExport{parseLDIFFile(t)}})
	ans, _ = d.Account(ctx, "svc-web")
	a := ans.Accounts[0]
	if len(ans.Accounts) != 1 || a.Kind != User || a.EncTypesUnknown || a.SAMAccountName != "svc-web" || len(a.SPNs) != 4 {
		t.Errorf("merged svc-web = %+v", a)
	}
	if _, ok := RC4Verdict(&a); !ok {
		t.Error("no RC4 verdict for svc-web without msDS-SupportedEncryptionTypes in LDIF")
	}
}
