package diagnose

import (
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// toolInfo returns the program name and the module version from the build
// information.
func toolInfo() ToolInfo {
	t := ToolInfo{Name: "iiskerb", Version: "(devel)"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/iiskerb/iiskerb" && bi.Main.Version != "" {
			t.Version = bi.Main.Version
		} else {
			for _, d := range bi.Deps {
				if d.Path == "github.com/iiskerb/iiskerb" && d.Version != "" {
					t.Version = d.Version
				}
			}
		}
	}
	return t
}

// hostInfo returns the report's host object, nil when the evidence names
// no host.
func hostInfo(h Host) *HostInfo {
	names := h.Names()
	if len(names) == 0 && h.Role == "" && h.Domain == "" && h.Realm == "" {
		return nil
	}
	if names == nil {
		names = []string{}
	}
	return &HostInfo{Names: names, Role: h.Role, Domain: h.Domain, Realm: h.Realm}
}

// stampReport fills the report's metadata: schema version, time, tool and
// host, and structured locations of the findings' evidence.
func stampReport(rep *Report, ev *Evidence, now time.Time) {
	rep.SchemaVersion = SchemaVersion
	rep.GeneratedAt = now.UTC().Truncate(time.Second)
	rep.Tool = toolInfo()
	rep.Host = hostInfo(ev.Host)
	for i := range rep.Findings {
		for j := range rep.Findings[i].Evidence {
			e := &rep.Findings[i].Evidence[j]
			e.Location = locate(e.Source, e.Locator)
		}
	}
}

var (
	lineOnlyRE = regexp.MustCompile(`^\d+$`)
	// "applicationHost.config:412 (location "Default Web Site/Altiris")",
	// "applicationHost.config:412 (server level)", "a.log:3".
	fileLineRE = regexp.MustCompile(`^(.+?):(\d+)(?: \((?:location "(.*)"|server level)\))?$`)
)

// locate parses the locator forms the checks write into a Location; nil
// when the locator names no file line or configuration path.
func locate(source, locator string) *Location {
	file := source
	if strings.Contains(file, " ") || strings.Contains(file, "://") || file == "scenario" || file == "dns" || file == "host.json" && locator == "" {
		file = "" // a description ("offline evidence ..."), a URL or a pseudo-source
	}
	switch {
	case locator == "":
		if file == "" {
			return nil
		}
		return &Location{File: file}
	case lineOnlyRE.MatchString(locator):
		n, _ := strconv.Atoi(locator)
		if file == "" {
			return nil
		}
		return &Location{File: file, Line: n}
	}
	if m := fileLineRE.FindStringSubmatch(locator); m != nil {
		n, _ := strconv.Atoi(m[2])
		return &Location{File: m[1], Line: n, Path: m[3]}
	}
	if file == "" {
		return nil
	}
	return &Location{File: file}
}
