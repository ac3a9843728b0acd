package w3clog

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/iiskerb/iiskerb/diagnose/w3clog/internal/gen"
)

// FuzzAnalyze feeds arbitrary bytes to both paths: neither may panic, both
// must agree on the error kind, and on success produce the same summary.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(handLog))
	f.Add([]byte("#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n1 /a 401 1 2148074254\n1 /a 200 0 0\n"))
	f.Add([]byte("#Fields:\n#Fields: sc-status\n401\n-\n99999999999\n"))
	f.Add([]byte("<event date='x'><![CDATA[y]]></event>\n"))
	f.Add([]byte{0xFF, 0xFE, '#', 0, 'F', 0})
	// Cut last lines: in the last field, with only the "\n" lost, a bad
	// win32 status.
	f.Add([]byte("#Fields: c-ip cs-uri-stem sc-status sc-substatus sc-win32-status\n1 /a 401 1 2148074254\n1 /a 200 0 0\n1 /a 401 1 21480"))
	f.Add([]byte("#Fields: c-ip sc-status sc-win32-status\r\n1 401 -7\r\n1 200 0\r"))
	data, _ := generate(f, gen.Config{Seed: 5, Size: 6000, HeaderEvery: 2000, GarbleEvery: 20, Layouts: [][]string{gen.Default, gen.Odd}})
	f.Add(data)
	f.Fuzz(func(t *testing.T, in []byte) {
		want, err := stream(t, "f", in, &Options{HandshakeWindow: 3})
		path := writeTemp(t, in)
		got, err2 := AnalyzeFile(context.Background(), path, &Options{HandshakeWindow: 3, ChunkSize: 4096, Workers: 2})
		if (err == nil) != (err2 == nil) || errors.Is(err, ErrNotW3C) != errors.Is(err2, ErrNotW3C) {
			t.Fatalf("stream error %v, AnalyzeFile error %v", err, err2)
		}
		if err != nil {
			return
		}
		// Locators carry the file name; align them before comparing.
		for i := range want.Groups {
			want.Groups[i].Locator = path + want.Groups[i].Locator[1:]
		}
		for i := range want.Warnings {
			want.Warnings[i].File = path
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("paths differ:\n got %s\nwant %s", brief(got), brief(want))
		}
		if want.Handshake+want.Failed != want.Unauthorized {
			t.Fatalf("handshake %d + failed %d != 401s %d", want.Handshake, want.Failed, want.Unauthorized)
		}
	})
}
