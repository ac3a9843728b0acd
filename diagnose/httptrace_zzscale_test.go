package diagnose

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZZCorpusScale(t *testing.T) {
	dirs := strings.Split(os.Getenv("ZZDIRS"), ":")
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			s := string(raw)
			i := strings.Index(s, "[]byte(")
			if i < 0 {
				continue
			}
			q := strings.TrimSuffix(strings.TrimSpace(s[i+7:]), ")")
			data, err := strconv.Unquote(q)
			if err != nil {
				continue
			}
			var ds []time.Duration
			for _, k := range []int{1, 8, 64} {
				in := strings.Repeat(data, k)
				st := time.Now()
				for r := 0; r < 3; r++ {
					tr, err := ParseHTTPTrace("x", strings.NewReader(in))
					if err == nil {
						tr.Tokens(context.Background())
					}
				}
				ds = append(ds, time.Since(st)/3)
			}
			if ds[2] > 200*ds[0] && ds[2] > 20*time.Millisecond {
				t.Logf("SUPERLINEAR %s len=%d: %v", filepath.Base(f), len(data), ds)
			}
		}
	}
}
