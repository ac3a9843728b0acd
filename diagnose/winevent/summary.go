package winevent

import (
	"net/netip"
	"sort"
	"strings"
	"time"
)

// DefaultMaxKeys caps the distinct accounts and client addresses a
// Summarizer keeps (memory stays bounded on huge logs).
const DefaultMaxKeys = 100000

// Use is how often one account was seen (from one client address, or
// overall), with the time span and the protocols.
type Use struct {
	// Account is the account as Event.Account returns it (first spelling seen;
	// grouping is case-insensitive).
	Account string
	// Count is the number of events.
	Count int
	// Failures is the number of those events that recorded a failure (Event.Failed).
	Failures int
	// First and Last are the earliest and latest event times (zero if none had a time).
	First, Last time.Time
	// Protocols counts the events by protocol (Event.Protocol).
	Protocols map[Protocol]int
	// NTLMv1 counts events with LmPackageName "NTLM V1".
	NTLMv1 int
	// EventIDs lists the distinct event IDs, sorted.
	EventIDs []int
}

// AccountSummary is one account across all clients.
type AccountSummary struct {
	Use
	// IPs lists the distinct client addresses the account came from
	// (sorted; at most 64 are kept).
	IPs []netip.Addr
}

// ClientSummary is one client address and the accounts seen from it: the
// IP-to-user mapping an identity-aware firewall builds from these events.
type ClientSummary struct {
	// IP is the client address (IPv4-mapped addresses unmapped).
	IP netip.Addr
	// Accounts are the accounts seen from IP, sorted by name.
	Accounts []Use
	// First and Last are the earliest and latest event times from IP.
	First, Last time.Time
}

// Summary groups events by client address and by account.
type Summary struct {
	// Events is the number of events added.
	Events int
	// ByID counts events by event ID.
	ByID map[int]int
	// NoIP counts events that had an address field that was "-" or empty:
	// the source address is unknown (not invented).
	NoIP int
	// Clients are the client addresses, sorted.
	Clients []ClientSummary
	// Accounts are the accounts, sorted case-insensitively.
	Accounts []AccountSummary
	// Truncated is true when more than the key cap of distinct accounts or
	// addresses were seen: the lists are incomplete.
	Truncated bool
}

type useAcc struct {
	u   Use
	ids map[int]bool
	ips map[netip.Addr]bool
}

func (a *useAcc) add(e *Event) {
	a.u.Count++
	if e.Failed() {
		a.u.Failures++
	}
	if !e.Time.IsZero() {
		if a.u.First.IsZero() || e.Time.Before(a.u.First) {
			a.u.First = e.Time
		}
		if e.Time.After(a.u.Last) {
			a.u.Last = e.Time
		}
	}
	a.u.Protocols[e.Protocol()]++
	if e.NTLMVersion() == 1 {
		a.u.NTLMv1++
	}
	a.ids[e.ID] = true
	if a.ips != nil && e.IP.IsValid() && len(a.ips) < 64 {
		a.ips[e.IP] = true
	}
}

func (a *useAcc) use() Use {
	u := a.u
	p := make(map[Protocol]int, len(u.Protocols))
	for k, v := range u.Protocols {
		p[k] = v
	}
	u.Protocols = p
	u.EventIDs = make([]int, 0, len(a.ids))
	for id := range a.ids {
		u.EventIDs = append(u.EventIDs, id)
	}
	sort.Ints(u.EventIDs)
	return u
}

func newUseAcc(account string, withIPs bool) *useAcc {
	a := &useAcc{u: Use{Account: account, Protocols: map[Protocol]int{}}, ids: map[int]bool{}}
	if withIPs {
		a.ips = map[netip.Addr]bool{}
	}
	return a
}

type clientAcc struct {
	accounts    map[string]*useAcc
	first, last time.Time
}

// Summarizer accumulates events into a Summary. It is not safe for
// concurrent use.
type Summarizer struct {
	max       int
	events    int
	byID      map[int]int
	noIP      int
	clients   map[netip.Addr]*clientAcc
	accounts  map[string]*useAcc
	keys      int
	truncated bool
}

// NewSummarizer returns a Summarizer keeping at most maxKeys distinct
// accounts plus client/account pairs (DefaultMaxKeys when maxKeys <= 0).
func NewSummarizer(maxKeys int) *Summarizer {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Summarizer{max: maxKeys, byID: map[int]int{}, clients: map[netip.Addr]*clientAcc{}, accounts: map[string]*useAcc{}}
}

// Add counts one event.
func (s *Summarizer) Add(e *Event) {
	s.events++
	s.byID[e.ID]++
	if !e.IP.IsValid() && Blank(e.IPRaw) && e.IPRaw != "" {
		s.noIP++
	}
	acct := e.Account()
	if acct == "" {
		return
	}
	key := strings.ToLower(acct)
	a := s.accounts[key]
	if a == nil {
		if s.keys >= s.max {
			s.truncated = true
			return
		}
		s.keys++
		a = newUseAcc(acct, true)
		s.accounts[key] = a
	}
	a.add(e)
	if !e.IP.IsValid() {
		return
	}
	c := s.clients[e.IP]
	if c == nil {
		if s.keys >= s.max {
			s.truncated = true
			return
		}
		c = &clientAcc{accounts: map[string]*useAcc{}}
		s.clients[e.IP] = c
	}
	if !e.Time.IsZero() {
		if c.first.IsZero() || e.Time.Before(c.first) {
			c.first = e.Time
		}
		if e.Time.After(c.last) {
			c.last = e.Time
		}
	}
	u := c.accounts[key]
	if u == nil {
		if s.keys >= s.max {
			s.truncated = true
			return
		}
		s.keys++
		u = newUseAcc(acct, false)
		c.accounts[key] = u
	}
	u.add(e)
}

// Summary returns the summary of the events added so far.
func (s *Summarizer) Summary() *Summary {
	out := &Summary{Events: s.events, ByID: make(map[int]int, len(s.byID)), NoIP: s.noIP, Truncated: s.truncated}
	for k, v := range s.byID {
		out.ByID[k] = v
	}
	for _, a := range s.accounts {
		as := AccountSummary{Use: a.use()}
		for ip := range a.ips {
			as.IPs = append(as.IPs, ip)
		}
		sort.Slice(as.IPs, func(i, j int) bool { return as.IPs[i].Less(as.IPs[j]) })
		out.Accounts = append(out.Accounts, as)
	}
	sort.Slice(out.Accounts, func(i, j int) bool {
		return strings.ToLower(out.Accounts[i].Account) < strings.ToLower(out.Accounts[j].Account)
	})
	for ip, c := range s.clients {
		cs := ClientSummary{IP: ip, First: c.first, Last: c.last}
		for _, u := range c.accounts {
			cs.Accounts = append(cs.Accounts, u.use())
		}
		sort.Slice(cs.Accounts, func(i, j int) bool {
			return strings.ToLower(cs.Accounts[i].Account) < strings.ToLower(cs.Accounts[j].Account)
		})
		out.Clients = append(out.Clients, cs)
	}
	sort.Slice(out.Clients, func(i, j int) bool { return out.Clients[i].IP.Less(out.Clients[j].IP) })
	return out
}
