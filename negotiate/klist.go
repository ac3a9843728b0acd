package negotiate

import (
	"io"
	"time"
)

// KlistFormat says which program wrote klist output.
type KlistFormat int

// Klist formats.
const (
	KlistUnknown KlistFormat = iota
	KlistWindows
	KlistMIT
)

// Klist is parsed klist output.
type Klist struct {
	Format  KlistFormat
	Client  string
	Tickets []Ticket
}

// Ticket is a Kerberos service ticket as klist lists it or as RequestTicket obtains it.
type Ticket struct {
	Client    string
	Server    string
	Realm     string
	EncType   string
	EncTypeID int32
	Flags     []string
	Start     time.Time
	End       time.Time
	Renew     time.Time
	KVNO      int
}

// ParseKlist parses Windows or MIT klist output.
func ParseKlist(r io.Reader) (*Klist, error) { return nil, &KlistError{Err: ErrUnknownFormat} }
