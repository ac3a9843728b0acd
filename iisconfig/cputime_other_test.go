//go:build !unix

package iisconfig

import "time"

// processCPU is unavailable here; benchmarks fall back to wall time only.
func processCPU() time.Duration { return 0 }
