package winevent

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func addSeeds(f *testing.F, pattern string, extra ...string) {
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// fuzzRead reads data twice (default limits, and tiny limits that exercise
// the skip and depth paths) and checks the reader's contract: no panic, an
// end (io.EOF or a typed error) that is sticky, counts that add up, and
// events whose helpers work.
func fuzzRead(t *testing.T, data []byte) {
	for _, o := range []*Options{nil, {MaxEventBytes: 256, MaxDepth: 8, MaxWarnings: 2}} {
		rd := NewReader(bytes.NewReader(data), o)
		n := 0
		var err error
		for {
			var e *Event
			e, err = rd.Next()
			if err != nil {
				break
			}
			n++
			if n > len(data) {
				t.Fatalf("%d events from %d bytes", n, len(data))
			}
			_ = e.Account() + e.SPN() + e.Protocol().String() + e.Status.String() + e.SubStatus.String() +
				e.TicketEncryption.String() + e.SessionKeyEncryption.Name()
			_ = e.Failed() || e.IsNetworkLogon() || e.IsKDCRC4Audit() || e.AccountAvailableKeys.OnlyRC4()
			_ = e.NTLMVersion()
			if e.Fields == nil || e.Extra == nil {
				t.Fatal("nil maps")
			}
		}
		if err != io.EOF {
			var se *SyntaxError
			var fe *FormatError
			var ee *EVTXError
			if !errors.As(err, &se) && !errors.As(err, &fe) && !errors.As(err, &ee) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
		if _, err2 := rd.Next(); err2 != err {
			t.Fatalf("error not sticky: %v then %v", err, err2)
		}
		st := rd.Stats()
		if st.Events != n || len(st.Warnings) > st.WarningCount || st.Skipped > st.WarningCount {
			t.Fatalf("stats %+v with %d events", st, n)
		}
		if o != nil && len(st.Warnings) > o.MaxWarnings {
			t.Fatalf("%d warnings kept, max %d", len(st.Warnings), o.MaxWarnings)
		}
	}
}

func FuzzXML(f *testing.F) {
	testenv.ShortFuzzMinimize()
	addSeeds(f, "testdata/corpus/*.xml",
		"<Events><Event><System><EventID>4</EventID></System><EventData><Data>a</Data></EventData></Event></Events>",
		"<?xml version='1.1'?><!DOCTYPE a [<!ENTITY x '&x;'>]><Event><![CDATA[]]]]><!-- - --></Event>",
		"- <Event xmlns=\"x\">\n- <System><Provider Name='Microsoft-Windows-Security-Kerberos'/><EventID>4</EventID></System><RenderingInfo><Message>from the server a. The target name used was HTTP/b. x</Message></RenderingInfo></Event>",
		"\xff\xfe<\x00E\x00v\x00e\x00n\x00t\x00/\x00>\x00",
		"ElfFile\x00",
	)
	f.Fuzz(fuzzRead)
}

func FuzzJSON(f *testing.F) {
	testenv.ShortFuzzMinimize()
	addSeeds(f, "testdata/corpus/json/*.json",
		`[{"winlog":{"event_id":"4624","event_data":{"IpAddress":"::ffff:1.2.3.4","LogonType":"3"}}},{"Event":{"System":{"EventID":{"#text":4769}}}}]`,
		`{"EventID":4625,"EventData":"<EventData><Data Name=\"Status\">0xc000006d</Data></EventData>","TimeGenerated":"/Date(1)/"}`,
		`{"EventData":{"Data":[{"@Name":"TargetUserName","#text":"x"},"y"]}}`+"\n"+`{"result":{"EventCode":"4768","TicketEncryptionType":"-1"}}`,
		`[[[{}]]]`,
	)
	f.Fuzz(fuzzRead)
}
