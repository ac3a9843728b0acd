package iisconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/beevik/etree"
)

// ErrNoSchema is returned by LoadSchema when no file in the directory defines
// any section this package uses.
var ErrNoSchema = errors.New("no IIS schema definitions for authentication or application pools found")

// LoadSchema reads every *.xml file of dir (as
// %windir%\System32\inetsrv\config\schema) in name order and returns defaults
// taken from their <sectionSchema> definitions; a later file overrides an
// earlier one, as IIS merges schema files. Values no file defines keep the
// built-in defaults. Malformed files yield a *ParseError.
func LoadSchema(dir string) (*Schema, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, fmt.Errorf("iisconfig: schema directory %s: %w", dir, err)
	}
	sort.Strings(files)
	s := DefaultSchema()
	s.source = "schema files in " + dir
	found := false
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, &ParseError{File: name, Offset: -1, Err: err}
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(data); err != nil {
			line, off := errorPosition(data)
			return nil, &ParseError{File: name, Line: line, Offset: off, Err: err}
		}
		root := doc.Root()
		if root == nil {
			continue
		}
		for _, tok := range root.Child {
			sec, ok := tok.(*etree.Element)
			if !ok || sec.Tag != "sectionSchema" {
				continue
			}
			if s.applySection(sec) {
				found = true
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("iisconfig: schema directory %s: %w", dir, ErrNoSchema)
	}
	return s, nil
}

// schemaAttrs maps sectionSchema name -> child path -> attribute -> field.
var schemaAttrs = map[string]map[string]field{
	"system.webServer/security/authentication/windowsAuthentication": {
		"enabled": fWinEnabled, "useKernelMode": fWinKernel, "useAppPoolCredentials": fWinAppPoolCreds,
		"authPersistNonNTLM": fWinPersistNonNTLM, "authPersistSingleRequest": fWinPersistSingle,
		"extendedProtection/tokenChecking": fEPTokenChecking, "extendedProtection/flags": fEPFlags,
	},
	"system.webServer/security/authentication/anonymousAuthentication": {"enabled": fAnonEnabled, "userName": fAnonUser},
	"system.webServer/security/authentication/basicAuthentication":     {"enabled": fBasicEnabled},
	"system.webServer/security/authentication/digestAuthentication":    {"enabled": fDigestEnabled},
}

// applySection reads defaults from one <sectionSchema>; it reports whether
// the section is one this package uses.
func (s *Schema) applySection(sec *etree.Element) bool {
	name := sec.SelectAttrValue("name", "")
	if name == "system.applicationHost/applicationPools" {
		coll := sec.SelectElement("collection")
		if coll == nil {
			return false
		}
		for _, tok := range coll.Child {
			el, ok := tok.(*etree.Element)
			if !ok {
				continue
			}
			switch {
			case el.Tag == "attribute":
				def := el.SelectAttr("defaultValue")
				if def == nil {
					continue
				}
				switch el.SelectAttrValue("name", "") {
				case "managedRuntimeVersion":
					s.poolRuntime = def.Value
				case "managedPipelineMode":
					s.poolPipeline = def.Value
				case "autoStart":
					if b, ok := parseBool(def.Value); ok {
						s.poolAuto = b
					}
				}
			case el.Tag == "element" && el.SelectAttrValue("name", "") == "processModel":
				for _, t2 := range el.Child {
					a, ok := t2.(*etree.Element)
					if !ok || a.Tag != "attribute" || a.SelectAttrValue("name", "") != "identityType" {
						continue
					}
					if t, ok := parseIdentity(a.SelectAttrValue("defaultValue", "")); ok {
						s.poolIdentity = t
					}
				}
			}
		}
		return true
	}
	attrs, ok := schemaAttrs[name]
	if !ok {
		return false
	}
	var walk func(el *etree.Element, prefix string)
	walk = func(el *etree.Element, prefix string) {
		for _, tok := range el.Child {
			ch, ok := tok.(*etree.Element)
			if !ok {
				continue
			}
			switch ch.Tag {
			case "attribute":
				f, ok := attrs[prefix+ch.SelectAttrValue("name", "")]
				def := ch.SelectAttr("defaultValue")
				if !ok || def == nil {
					continue
				}
				switch f {
				case fAnonUser:
					s.vals[f].s = def.Value
				case fEPTokenChecking:
					if v, ok := canonicalTokenChecking(def.Value); ok {
						s.vals[f].s = v
					}
				case fEPFlags:
					if v, ok := canonicalFlags(def.Value); ok {
						s.vals[f].s = v
					}
				default:
					if b, ok := parseBool(def.Value); ok {
						s.vals[f].b = b
					}
				}
			case "element":
				walk(ch, prefix+ch.SelectAttrValue("name", "")+"/")
			}
		}
	}
	walk(sec, "")
	return true
}
