package cli

import (
	"fmt"
	"os"
	"strings"
)

// Password is a secret the command line names but never holds: a file
// (-password-file) or an environment variable (-password-env).
type Password struct {
	File string // -PREFIXpassword-file
	Env  string // -PREFIXpassword-env

	fileFlag, envFlag string
}

// AddPassword registers -PREFIXpassword-file FILE and -PREFIXpassword-env
// NAME (default defEnv) for the password of who ("the Kerberos user
// -user"), and refuses -PREFIXpassword (a value on the command line).
func (c *Command) AddPassword(prefix, who, defEnv string) *Password {
	p := &Password{fileFlag: prefix + "password-file", envFlag: prefix + "password-env"}
	c.fs.StringVar(&p.File, p.fileFlag, "", "read the password of "+who+" from the first line of `FILE`")
	c.fs.StringVar(&p.Env, p.envFlag, defEnv, "read the password of "+who+" from the environment variable `NAME` unless -"+p.fileFlag+" is given")
	c.Refuse(prefix+"password", p.Flags())
	return p
}

// Flags names the two ways to give the password, for messages.
func (p *Password) Flags() string {
	return "-" + p.fileFlag + " FILE or -" + p.envFlag + " NAME"
}

// Given reports whether a file was named or the environment variable is
// set and not empty.
func (p *Password) Given(getenv func(string) string) bool {
	return p.File != "" || (p.Env != "" && getenv(p.Env) != "")
}

// Get returns the password: the first line of the file when one is named,
// else the environment variable's value (empty when it is unset). Errors
// never hold the password.
func (p *Password) Get(getenv func(string) string) (string, error) {
	if p.File != "" {
		b, err := os.ReadFile(p.File)
		if err != nil {
			return "", fmt.Errorf("-%s: %w", p.fileFlag, err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return "", fmt.Errorf("-%s %s: the first line is empty", p.fileFlag, p.File)
		}
		return line, nil
	}
	if p.Env == "" {
		return "", nil
	}
	return getenv(p.Env), nil
}

// Need is Get for a password that must be there: an empty one is a usage
// error naming what needs it and where the password was looked for.
func (p *Password) Need(what string, getenv func(string) string) (string, error) {
	pw, err := p.Get(getenv)
	if err != nil || pw != "" {
		return pw, err
	}
	where := "no -" + p.envFlag
	if p.Env != "" {
		where = "$" + p.Env + " is empty"
	}
	return "", Usagef("%s needs a password: give %s (%s)", what, p.Flags(), where)
}
