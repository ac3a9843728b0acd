//go:build windows

package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// localSource is the local IIS server: its files, the programs of
// %windir%\System32 (never looked up in PATH), the registry and the domain
// it is joined to.
func localSource() (collectSource, error) {
	windir := os.Getenv("windir")
	if windir == "" {
		windir = `C:\Windows`
	}
	return collectSource{
		ConfigPath: filepath.Join(windir, "System32", "inetsrv", "config", "applicationHost.config"),
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			return exec.CommandContext(ctx, filepath.Join(windir, "System32", name+".exe"), args...).CombinedOutput()
		},
		FS:           osFS{},
		Getenv:       os.Getenv,
		Registry:     registryString,
		JoinedDomain: joinedDomain,
		Hostname:     os.Hostname,
		Now:          time.Now,
	}, nil
}

// osFS reads local files.
type osFS struct{}

func (osFS) Open(name string) (io.ReadCloser, error)    { return os.Open(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// registryString reads a string value under HKEY_LOCAL_MACHINE.
func registryString(key, name string) (string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, key, registry.QUERY_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	return v, err
}

// joinedDomain returns the NetBIOS name of the domain the computer is
// joined to (NetGetJoinInformation), "" for a workgroup.
func joinedDomain() (string, error) {
	var buf *uint16
	var status uint32
	if err := windows.NetGetJoinInformation(nil, &buf, &status); err != nil {
		return "", err
	}
	defer windows.NetApiBufferFree((*byte)(unsafe.Pointer(buf)))
	if status != windows.NetSetupDomainName {
		return "", nil
	}
	return windows.UTF16PtrToString(buf), nil
}
