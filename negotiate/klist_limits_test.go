package negotiate

import (
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// A line longer than klist ever prints is a positioned *KlistError, found
// without reading the rest of it.
func TestKlistLongLine(t *testing.T) {
	head := "\nCurrent LogonId is 0:0x3e7\n\nCached Tickets: (1)\n\n#0>\tClient: a @ X\n"
	src := &testenv.Endless{N: 4 << 20, B: 'a'}
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	_, err := ParseKlist(io.MultiReader(strings.NewReader(head), src, strings.NewReader("\n")))
	runtime.ReadMemStats(&b)
	var ke *KlistError
	if !errors.As(err, &ke) || ke.Line != 7 || !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "token too long") {
		t.Fatalf("err = %v", err)
	}
	if read := 4<<20 - src.N; read > 2*maxKlistLine {
		t.Errorf("read %d bytes of the long line", read)
	}
	if d := b.TotalAlloc - a.TotalAlloc; d > 2<<20 {
		t.Errorf("allocated %d bytes", d)
	}
}

func TestKlistLinear(t *testing.T) {
	ticket := "#0>\tClient: a @ X\n\tServer: HTTP/web.x @ X\n\tKerbTicket Encryption Type: AES-256-CTS-HMAC-SHA1-96\n\tTicket Flags 0x40a10000 -> forwardable renewable pre_authent name_canonicalize\n\tStart Time: 5/16/2024 11:51:05 (local)\n\tEnd Time:   5/16/2024 21:51:05 (local)\n\tRenew Time: 5/23/2024 11:51:05 (local)\n\tSession Key Type: AES-256-CTS-HMAC-SHA1-96\n\tCache Flags: 0\n\tKdc Called: dc1.x\n\n"
	testenv.CheckLinear(t, "ParseKlist", 20000, func(n int) func() {
		in := "\nCurrent LogonId is 0:0x3e7\n\nCached Tickets: (" + strconv.Itoa(n) + ")\n\n" + strings.Repeat(ticket, n)
		return func() {
			if _, err := ParseKlist(strings.NewReader(in)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
