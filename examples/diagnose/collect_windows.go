//go:build windows

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// localSource describes the local IIS server: the live configuration, the
// computer's names, setspn.exe, and the IIS, agent and Notification Server
// log folders.
func localSource() (collectSource, error) {
	windir := os.Getenv("windir")
	if windir == "" {
		windir = `C:\Windows`
	}
	sysDrive := os.Getenv("SystemDrive")
	if sysDrive == "" {
		sysDrive = "C:"
	}
	programData := os.Getenv("ProgramData")
	if programData == "" {
		programData = `C:\ProgramData`
	}
	computer := os.Getenv("COMPUTERNAME")
	dnsDomain := strings.ToLower(os.Getenv("USERDNSDOMAIN"))
	host := map[string]string{"computer": computer, "domain": os.Getenv("USERDOMAIN")}
	if dnsDomain != "" {
		host["fqdn"] = strings.ToLower(computer) + "." + dnsDomain
		host["realm"] = strings.ToUpper(dnsDomain)
	} else if names, err := net.LookupAddr("127.0.0.1"); err == nil && len(names) > 0 {
		host["fqdn"] = strings.TrimSuffix(names[0], ".")
	}
	setspn := filepath.Join(windir, "System32", "setspn.exe")
	return collectSource{
		ConfigPath: filepath.Join(windir, "System32", "inetsrv", "config", "applicationHost.config"),
		Host:       host,
		LogDirs: map[string]string{
			"logs/iis":   filepath.Join(sysDrive+`\`, "inetpub", "logs", "LogFiles"),
			"logs/agent": filepath.Join(programData, "Symantec", "Symantec Agent", "Logs"),
			"logs/smp":   filepath.Join(programData, "Symantec", "SMP", "Logs"),
		},
		Setspn: func(ctx context.Context, account string) ([]byte, error) {
			return exec.CommandContext(ctx, setspn, "-L", account).CombinedOutput()
		},
	}, nil
}
