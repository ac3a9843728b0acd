package diagnose

import (
	"fmt"
	"strings"
)

// sources lists, one line per evidence kind present, what the run looked
// at: "config: applicationHost.config (1 site, 7 applications, 2 pools)".
func sources(ev *Evidence) []string {
	var out []string
	add := func(kind EvidenceKind, format string, args ...any) {
		out = append(out, string(kind)+": "+fmt.Sprintf(format, args...))
	}
	if ev.Config != nil {
		apps := 0
		for _, s := range ev.Config.Sites {
			apps += len(s.Applications)
		}
		name := ev.ConfigSource
		if name == "" {
			name = "applicationHost.config"
		}
		add(EvConfig, "%s (%s, %s, %s)", name, plural(len(ev.Config.Sites), "site", "sites"),
			plural(apps, "application", "applications"), plural(len(ev.Config.AppPoolList()), "pool", "pools"))
	}
	if ev.Has(EvHost) {
		names := strings.Join(ev.Host.Names(), ", ")
		if ev.Host.Role != "" {
			names += " (" + ev.Host.Role + ")"
		}
		add(EvHost, "%s", names)
	}
	if ev.Directory != nil {
		add(EvDirectory, "%s", ev.Directory.Describe())
	}
	if ev.Has(EvDNS) {
		if ev.Resolver != nil {
			add(EvDNS, "resolver")
		} else {
			add(EvDNS, "%s from host.json", plural(len(ev.Host.CNAMEs), "CNAME", "CNAMEs"))
		}
	}
	if ev.Has(EvTickets) {
		n := 0
		for _, k := range ev.Klists {
			if k != nil {
				n += len(k.Tickets)
			}
		}
		var parts []string
		if len(ev.Klists) > 0 {
			parts = append(parts, plural(len(ev.Klists), "klist output", "klist outputs")+" ("+plural(n, "ticket", "tickets")+")")
		}
		if len(ev.TicketRequests) > 0 {
			parts = append(parts, plural(len(ev.TicketRequests), "ticket request", "ticket requests"))
		}
		add(EvTickets, "%s", strings.Join(parts, ", "))
	}
	if len(ev.Probes) > 0 {
		var urls []string
		for _, p := range ev.Probes {
			if p != nil {
				urls = append(urls, p.URL)
			}
		}
		add(EvProbe, "%s", strings.Join(urls, ", "))
	}
	if len(ev.Tokens) > 0 || len(ev.HTTPTraces) > 0 {
		add(EvTokens, "%s from %s", plural(len(ev.Tokens), "token", "tokens"), plural(len(ev.HTTPTraces), "HTTP trace", "HTTP traces"))
	}
	for _, l := range []struct {
		kind EvidenceKind
		logs []LogFile
	}{{EvIISLogs, ev.IISLogs}, {EvAgentLogs, ev.AgentLogs}, {EvSMPLogs, ev.SMPLogs}, {EvEvents, ev.Events}} {
		if len(l.logs) > 0 {
			add(l.kind, "%s", plural(len(l.logs), "file", "files"))
		}
	}
	if ev.Has(EvScenario) {
		var facts []string
		s := ev.Scenario
		for _, f := range []struct {
			on   bool
			name string
		}{{s.NTLMDisabled, "NTLM disabled"}, {s.NonDomainClients, "non-domain clients"},
			{s.TLSInspection, "TLS inspection"}, {s.FirewallShowsServiceAccount, "firewall shows a service account"}} {
			if f.on {
				facts = append(facts, f.name)
			}
		}
		add(EvScenario, "%s", strings.Join(facts, ", "))
	}
	return out
}
