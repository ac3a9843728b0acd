package cli

import (
	"io"
	"os"

	"github.com/mattn/go-colorable"
	"golang.org/x/term"
)

// IsTerminal reports whether f is a terminal (a console on Windows).
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// Color reports whether output to f may use colour: f is a terminal,
// NO_COLOR is unset or empty (https://no-color.org) and TERM is not "dumb".
func Color(f *os.File, getenv func(string) string) bool {
	return colorWanted(IsTerminal(f), getenv)
}

func colorWanted(terminal bool, getenv func(string) string) bool {
	return terminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// Writer is f for text that may hold ANSI colour and line-control codes:
// on a Windows console without virtual-terminal processing go-colorable
// turns the codes into console calls; elsewhere it is f itself. Only write
// codes when f is a terminal (Color, IsTerminal): a pipe or file gets them
// as bytes.
func Writer(f *os.File) io.Writer {
	return colorable.NewColorable(f)
}
