package diagnose

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var zzCount, zzLen, zzMax, zzSum atomic.Int64
var zzOnce sync.Once

func FuzzZZSlow(f *testing.F) {
	for _, p := range []string{"testdata/http/curl-kerberos.txt", "testdata/http/proxy-ntlm.txt", "testdata/bundles/messy/http/broken.txt"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("GET / HTTP/1.1\nAuthorization: Negotiate YIIB\n\nHTTP/1.1 401 x\nWWW-Authenticate: Negotiate oRQwEqADCgEBoQsGCSqGSIb3EgECAg==, NTLM\n"))
	f.Add([]byte("\xff\xfeG\x00E\x00T\x00 \x00/\x00 \x00H\x00T\x00T\x00P\x00/\x001\x00.\x001\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		zzOnce.Do(func() {
			go func() {
				fn := fmt.Sprintf("/tmp/zzrate-%d.txt", os.Getpid())
				for {
					time.Sleep(time.Second)
					fd, _ := os.OpenFile(fn, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
					c := zzCount.Swap(0)
					avg := int64(0)
					if c > 0 {
						avg = zzSum.Swap(0) / c
					}
					fmt.Fprintf(fd, "%s execs=%d lastlen=%d avgus=%d maxus=%d\n", time.Now().Format("05"), c, zzLen.Load(), avg, zzMax.Swap(0))
					fd.Close()
				}
			}()
		})
		st := time.Now()
		zzLen.Store(int64(len(data)))
		tr, err := ParseHTTPTrace("fuzz.txt", strings.NewReader(string(data)))
		if err == nil {
			tr.Tokens(context.Background())
		}
		d := time.Since(st).Microseconds()
		zzCount.Add(1)
		zzSum.Add(d)
		if d > zzMax.Load() {
			zzMax.Store(d)
		}
	})
}
