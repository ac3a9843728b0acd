package diagnose

import (
	"embed"
	"io/fs"
)

//go:embed sample
var sampleFS embed.FS

// SampleBundle returns the built-in sample evidence bundle (the LoadBundle
// layout): an ITMS Notification Server whose Task Server agents cannot
// register (authPersistNonNTLM false on CTAgent, HTTP SPNs on the app pool
// account while kernel-mode authentication decrypts with the computer
// account, a duplicate SPN, an RC4 ticket, and the agent and IIS logs that
// show it). Names are fictitious; sample/README.md describes it. Use it to
// try the API without evidence of your own:
//
//	ev, err := diagnose.LoadBundleFS(ctx, diagnose.SampleBundle())
func SampleBundle() fs.FS {
	sub, err := fs.Sub(sampleFS, "sample")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
