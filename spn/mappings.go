package spn

import (
	"fmt"
	"strings"
)

// SPNMapping is one value of Active Directory's sPNMappings attribute:
// "alias=class1,class2,...". An SPN whose service class is one of Classes is
// satisfied by the same SPN with the Alias class ("host/web01" covers
// "http/web01" under the default mapping). Source: MS-DRSR 4.1.4.2.19
// (MapSPN).
type SPNMapping struct {
	Alias   string   // the class that covers the others, e.g. "host"
	Classes []string // the classes it covers, lower-case
}

// SPNMappings is the whole sPNMappings attribute. The zero value maps
// nothing. Values are immutable once built.
type SPNMappings []SPNMapping

// defaultSPNMappingValue is the sPNMappings value Windows Server writes to
// CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,<forest DN>
// at forest creation (the same list Samba provisions; rarely changed).
const defaultSPNMappingValue = "host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,eventlog," +
	"eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,msiserver,ias,messenger,netlogon,netman,netdde," +
	"netddedsm,nmagent,plugplay,protectedstorage,rasman,rpclocator,rpc,rpcss,remoteaccess,rsvp,samss,scardsvr," +
	"scesrv,seclogon,scm,dcom,cifs,spooler,snmp,schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc," +
	"iisadmin,msdtc"

// SPNMappingsDN returns the DN of the object holding sPNMappings for the
// forest whose root domain DN is forestDN ("DC=example,DC=com").
func SPNMappingsDN(forestDN string) string {
	return "CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration," + forestDN
}

// DefaultSPNMappings returns the mapping a new Active Directory forest has:
// host covers http, www, w3svc, cifs and about fifty other classes.
func DefaultSPNMappings() SPNMappings {
	m, _ := ParseSPNMappings([]string{defaultSPNMappingValue})
	return m
}

// ParseSPNMappings parses the values of the sPNMappings attribute as read
// over LDAP. Classes are compared case-insensitively and stored lower-case.
func ParseSPNMappings(values []string) (SPNMappings, error) {
	out := make(SPNMappings, 0, len(values))
	for i, v := range values {
		alias, list, ok := strings.Cut(v, "=")
		alias = strings.ToLower(strings.TrimSpace(alias))
		if !ok || alias == "" || strings.ContainsAny(alias, "/ \t") {
			return nil, fmt.Errorf("spn: sPNMappings value %d %q: want alias=class1,class2", i+1, v)
		}
		m := SPNMapping{Alias: alias}
		for _, c := range strings.Split(list, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" {
				m.Classes = append(m.Classes, c)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// AliasFor returns the class that covers serviceClass ("host" for "http"
// under the default mapping), compared case-insensitively.
func (m SPNMappings) AliasFor(serviceClass string) (string, bool) {
	for _, r := range m {
		for _, c := range r.Classes {
			if strings.EqualFold(c, serviceClass) {
				return r.Alias, true
			}
		}
	}
	return "", false
}

// Values formats m back into sPNMappings attribute values.
func (m SPNMappings) Values() []string {
	out := make([]string, len(m))
	for i, r := range m {
		out[i] = r.Alias + "=" + strings.Join(r.Classes, ",")
	}
	return out
}
