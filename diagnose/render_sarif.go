package diagnose

import (
	"encoding/json"
	"io"
	"path"
	"strconv"
	"strings"
)

// SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) output, so
// the report can be read by code-scanning dashboards and SARIF viewers.
// Only the parts of the format the report fills are modelled.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     *sarifText     `json:"shortDescription,omitempty"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration *sarifRuleConf `json:"defaultConfiguration,omitempty"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool   `json:"executionSuccessful"`
	EndTimeUTC          string `json:"endTimeUtc,omitempty"`
}

type sarifResult struct {
	RuleID           string                 `json:"ruleId"`
	RuleIndex        int                    `json:"ruleIndex"`
	Level            string                 `json:"level"`
	Message          sarifText              `json:"message"`
	Locations        []sarifLocation        `json:"locations,omitempty"`
	PartialPrints    map[string]string      `json:"partialFingerprints,omitempty"`
	Properties       map[string]any         `json:"properties,omitempty"`
	RelatedLocations []sarifRelatedLocation `json:"relatedLocations,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifRelatedLocation struct {
	ID               int            `json:"id"`
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

// checksHelpURI is where docs/checks.md is published; rules link to their
// section in it.
const checksHelpURI = "https://github.com/iiskerb/iiskerb/blob/main/docs/checks.md"

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// sarifURI turns an evidence file name into a relative URI reference.
func sarifURI(file string) string {
	f := strings.ReplaceAll(file, `\`, "/")
	var parts []string
	for _, p := range strings.Split(f, "/") {
		parts = append(parts, strings.ReplaceAll(strings.ReplaceAll(p, "%", "%25"), " ", "%20"))
	}
	return path.Clean(strings.Join(parts, "/"))
}

// WriteSARIF writes the report as SARIF 2.1.0: one rule per check of the
// catalogue (and per other check with a result), its ID, name, title, doc,
// help URI into docs/checks.md and default level; one result per finding
// with its level, message, the files and lines its evidence cites as
// locations, and the configuration path or subject as a logical location.
// Root causes and the plan are run properties (iiskerb/root_causes,
// iiskerb/plan), so a SARIF consumer keeps the diagnosis.
func (r *Report) WriteSARIF(w io.Writer) error {
	catalogue := map[string]*Check{}
	for _, c := range Checks() {
		catalogue[c.ID] = c
	}
	driver := sarifDriver{Name: "iiskerb", Version: r.Tool.Version, InformationURI: "https://github.com/iiskerb/iiskerb", Rules: []sarifRule{}}
	index := map[string]int{}
	addRule := func(id string) int {
		if i, ok := index[id]; ok {
			return i
		}
		rule := sarifRule{ID: id, HelpURI: checksHelpURI + "#" + strings.ToLower(id)}
		if c := catalogue[id]; c != nil {
			rule.Name = c.Name
			rule.ShortDescription = &sarifText{c.Title()}
			rule.FullDescription = &sarifText{c.Explanation()}
			rule.DefaultConfiguration = &sarifRuleConf{Level: sarifLevel(c.Severity)}
		}
		index[id] = len(driver.Rules)
		driver.Rules = append(driver.Rules, rule)
		return index[id]
	}
	for _, c := range Checks() {
		addRule(c.ID)
	}
	for _, res := range r.Results {
		addRule(res.CheckID)
	}
	run := sarifRun{Results: []sarifResult{}}
	for _, f := range r.Findings {
		res := sarifResult{RuleID: f.CheckID, RuleIndex: addRule(f.CheckID), Level: sarifLevel(f.Severity),
			Message: sarifText{f.Message}, Properties: map[string]any{"finding_id": f.ID, "subject": f.Subject}}
		if f.Cause != "" {
			res.Properties["cause"] = f.Cause
		}
		var logical []sarifLogical
		if f.Subject != "" {
			kind := "resource"
			if isSPNLike(f.Subject) {
				kind = "member" // an SPN: service class / host
			}
			logical = append(logical, sarifLogical{FullyQualifiedName: f.Subject, Kind: kind})
		}
		seen := map[string]bool{}
		for _, e := range f.Evidence {
			loc := e.Location
			if loc == nil || loc.File == "" {
				continue
			}
			key := loc.File + ":" + strconv.Itoa(loc.Line)
			if seen[key] {
				continue
			}
			seen[key] = true
			pl := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(loc.File)}}
			if loc.Line > 0 {
				pl.Region = &sarifRegion{StartLine: loc.Line}
			}
			sl := sarifLocation{PhysicalLocation: pl}
			if e.Detail != "" {
				sl.Message = &sarifText{e.Detail}
			}
			if len(res.Locations) == 0 {
				sl.LogicalLocations = logical
			}
			res.Locations = append(res.Locations, sl)
		}
		if len(res.Locations) == 0 && len(logical) > 0 {
			res.Locations = []sarifLocation{{LogicalLocations: logical}}
		}
		run.Results = append(run.Results, res)
	}
	run.Tool = sarifTool{Driver: driver}
	inv := sarifInvocation{ExecutionSuccessful: true}
	if !r.GeneratedAt.IsZero() {
		inv.EndTimeUTC = r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	run.Invocations = []sarifInvocation{inv}
	run.Properties = map[string]any{
		"iiskerb/schema_version": r.SchemaVersion,
		"iiskerb/profile":        r.Profile,
		"iiskerb/summary":        r.Summary,
		"iiskerb/root_causes":    r.normalized().RootCauses,
		"iiskerb/plan":           r.normalized().Plan,
		"iiskerb/after_plan":     r.normalized().AfterPlan,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
