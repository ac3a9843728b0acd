//go:build !windows

package main

import (
	"errors"
)

// localSource is only available on Windows, where the IIS server runs.
func localSource() (collectSource, error) {
	return collectSource{}, errors.New("-collect gathers evidence from the local IIS server and is Windows-only; on other systems copy a bundle made on the server (see the README's bundle layout)")
}
