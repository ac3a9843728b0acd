package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/internal/textenc"
)

// removedValue replaces a secret value that is kept as an attribute or a
// connection-string part, so a reader sees that something was there.
const removedValue = "REMOVED-BY-IISKERB"

// stripReport counts what stripSecrets removed, by kind.
type stripReport map[string]int

// String renders the counts ("3 password attributes, 1 connection-string
// password"), or "nothing to remove".
func (r stripReport) String() string {
	if len(r) == 0 {
		return "no secret found"
	}
	kinds := make([]string, 0, len(r))
	for k := range r {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", r[k], k))
	}
	return "removed " + strings.Join(parts, ", ")
}

// stripSecrets returns a configuration file (applicationHost.config or a
// web.config) with every secret removed, found by walking its XML:
//
//   - attributes whose name holds a secret: any name containing "password"
//     (processModel, virtualDirectory, anonymousAuthentication, identity,
//     credentials/user, ...), "passwd", "passphrase" or "secret", a name
//     ending in "pwd", and a name ending in "Key" other than "key" itself
//     (machineKey validationKey and decryptionKey, the AES providers'
//     sessionKey, apiKey ...): the attribute is deleted;
//   - "[enc:...:enc]" values wherever they appear, in attributes or text;
//   - the Password=/Pwd= parts of connection strings, in any attribute or
//     text (connectionStrings/add@connectionString, appSettings values,
//     sessionState sqlConnectionString, Entity Framework "provider connection
//     string=&quot;...&quot;" nested inside another), and the password of a
//     URL written scheme://user:password@host;
//   - the value of a setting whose name names a secret: <add key|name=K
//     value=V/> and <setting name=K><value>V</value></setting> where K
//     contains password, pwd, secret, token, credential, passphrase,
//     apikey, or the word "key" (EncryptionKey, Api.Key);
//   - the content of every EncryptedData element (protected configuration
//     sections), and the text of every comment (a commented-out connection
//     string is still a password); their line breaks are kept.
//
// User names (userName attributes, User ID= parts, <user name>) are kept:
// the checks need them. The input may be UTF-8 (with or without a BOM) or
// UTF-16; the output is UTF-8. A document that does not parse is an error
// and nothing of it is returned: a file that cannot be cleaned is not
// collected.
func stripSecrets(data []byte) ([]byte, stripReport, error) {
	text, _, err := textenc.ReadAll(bytes.NewReader(data), int64(len(data))*2+16)
	if err != nil {
		return nil, nil, err
	}
	text = strings.TrimPrefix(text, "\ufeff")
	doc := etree.NewDocument()
	// The text is UTF-8 now, whatever the declaration says ("utf-16").
	doc.ReadSettings.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	doc.ReadSettings.PreserveCData = true
	doc.ReadSettings.PreserveDuplicateAttrs = true
	if err := doc.ReadFromString(text); err != nil {
		return nil, nil, fmt.Errorf("not well-formed XML, not collected: %w", err)
	}
	if doc.Root() == nil {
		return nil, nil, errors.New("no root element, not collected")
	}
	rep := stripReport{}
	tagLines := startTagLines(text)
	var elems []*etree.Element
	preorder(doc.Root(), &elems)
	stripTokens(&doc.Element, rep)
	if len(tagLines) == len(elems) {
		keepLines(elems, tagLines)
	}
	// Line breaks and tabs inside attribute values are written as character
	// references, as the original must have had them (a literal one would
	// be read as a space).
	doc.WriteSettings.CanonicalAttrVal = true
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, nil, err
	}
	return out, rep, nil
}

// stripTokens cleans the children of e, recursively.
func stripTokens(e *etree.Element, rep stripReport) {
	for _, tok := range e.Child {
		switch t := tok.(type) {
		case *etree.ProcInst:
			if t.Target == "xml" {
				// The output is UTF-8 whatever the input was.
				t.Inst = declUTF8(t.Inst)
			}
		case *etree.Comment:
			if strings.TrimSpace(t.Data) != "" {
				t.Data = " comment removed by iiskerb collect" + strings.Repeat("\n", strings.Count(t.Data, "\n")) + " "
				rep["comments"]++
			}
		case *etree.CharData:
			if s, n := stripValue(t.Data); n > 0 {
				t.SetData(s)
				rep["secrets in text"] += n
			}
		case *etree.Element:
			stripElement(t, rep)
		}
	}
}

// stripElement cleans one element and its subtree.
func stripElement(e *etree.Element, rep stripReport) {
	if strings.EqualFold(e.Tag, "EncryptedData") {
		if len(e.Child) > 0 {
			lines := 0
			countLines(e, &lines)
			for len(e.Child) > 0 {
				e.RemoveChildAt(0)
			}
			e.SetText(strings.Repeat("\n", lines))
			rep["encrypted sections"]++
		}
		return
	}
	// <add key|name="SecretName" value="..."/>
	named := e.SelectAttrValue("key", "")
	if named == "" {
		named = e.SelectAttrValue("name", "")
	}
	secretSetting := named != "" && secretName(named)
	for i := 0; i < len(e.Attr); {
		a := &e.Attr[i]
		switch {
		case secretAttr(a.Key):
			e.Attr = append(e.Attr[:i], e.Attr[i+1:]...)
			rep["secret attributes"]++
			continue
		case secretSetting && strings.EqualFold(a.Key, "value") && a.Value != "":
			a.Value = removedValue
			rep["secret settings"]++
		default:
			if s, n := stripValue(a.Value); n > 0 {
				a.Value = s
				rep["secret values"] += n
			}
		}
		i++
	}
	// <setting name="SecretName"><value>...</value></setting>
	if secretSetting && strings.EqualFold(e.Tag, "setting") {
		for _, v := range e.SelectElements("value") {
			if strings.TrimSpace(v.Text()) != "" {
				v.SetText(removedValue)
				rep["secret settings"]++
			}
		}
	}
	stripTokens(e, rep)
}

// startTagLines returns the number of line breaks inside every start tag
// of the document, in document order (nil when it does not tokenize).
func startTagLines(text string) []int {
	d := xml.NewDecoder(strings.NewReader(text))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var out []int
	prev := int64(0)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return nil
		}
		off := d.InputOffset()
		if _, ok := tok.(xml.StartElement); ok && off <= int64(len(text)) {
			out = append(out, strings.Count(text[prev:off], "\n"))
		}
		prev = off
	}
}

// preorder lists e and its descendant elements in document order.
func preorder(e *etree.Element, out *[]*etree.Element) {
	if e == nil {
		return
	}
	*out = append(*out, e)
	for _, c := range e.ChildElements() {
		preorder(c, out)
	}
}

// keepLines puts back the line breaks that writing a start tag on one line
// drops (attributes on several lines), right after the tag, so every line
// after it keeps its number and the report's line references match the
// server's file.
func keepLines(elems []*etree.Element, tagLines []int) {
	for i, e := range elems {
		k := tagLines[i]
		if k <= 0 {
			continue
		}
		nl := etree.NewText(strings.Repeat("\n", k))
		switch {
		case len(e.Child) > 0:
			e.InsertChildAt(0, nl)
		case e.Parent() != nil:
			e.Parent().InsertChildAt(e.Index()+1, nl)
		}
	}
}

// countLines counts the line breaks inside e.
func countLines(e *etree.Element, n *int) {
	for _, tok := range e.Child {
		switch t := tok.(type) {
		case *etree.CharData:
			*n += strings.Count(t.Data, "\n")
		case *etree.Comment:
			*n += strings.Count(t.Data, "\n")
		case *etree.Element:
			countLines(t, n)
		}
	}
}

// declUTF8 rewrites the encoding pseudo-attribute of an XML declaration to
// utf-8.
func declUTF8(inst string) string {
	i := strings.Index(inst, "encoding")
	if i < 0 {
		return inst
	}
	j := i + len("encoding")
	for j < len(inst) && (inst[j] == ' ' || inst[j] == '=' || inst[j] == '\t') {
		j++
	}
	if j >= len(inst) || (inst[j] != '"' && inst[j] != '\'') {
		return inst
	}
	q := inst[j]
	k := strings.IndexByte(inst[j+1:], q)
	if k < 0 {
		return inst
	}
	return inst[:j+1] + "utf-8" + inst[j+1+k:]
}

// secretAttr reports whether an attribute name holds a secret value.
func secretAttr(name string) bool {
	n := strings.ToLower(name)
	if i := strings.LastIndexByte(n, ':'); i >= 0 {
		n = n[i+1:] // xdt:..., namespaced attributes
	}
	switch {
	case strings.Contains(n, "password"), strings.Contains(n, "passwd"), strings.Contains(n, "passphrase"),
		strings.Contains(n, "secret"), strings.HasSuffix(n, "pwd"):
		return true
	case strings.HasSuffix(n, "key") && n != "key":
		return true
	}
	return false
}

// secretName reports whether a setting's name (an appSettings key, a
// setting or environment variable name) names a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "pwd", "secret", "token", "credential", "passphrase", "apikey", "api_key", "api-key", "privatekey", "private_key", "accesskey", "access_key"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	for _, w := range nameWords(name) {
		if w == "key" {
			return true
		}
	}
	return false
}

// nameWords splits a setting name into lower-case words at separators and
// camel-case boundaries ("EncryptionKey" -> encryption, key).
func nameWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// stripValue removes the secrets inside one attribute value or text: every
// [enc:...:enc] value, the Password/Pwd parts of connection strings and the
// password of URLs with credentials. It returns the value and how many
// secrets it removed.
func stripValue(s string) (string, int) {
	n := 0
	// [enc:Provider:ciphertext:enc]
	for {
		i := strings.Index(strings.ToLower(s), "[enc:")
		if i < 0 {
			break
		}
		end := len(s)
		if j := strings.Index(strings.ToLower(s[i:]), ":enc]"); j >= 0 {
			end = i + j + len(":enc]")
		}
		s = s[:i] + "[" + removedValue + "]" + s[end:]
		n++
	}
	if strings.Contains(s, "=") && strings.Contains(s, ";") || hasConnKey(s) {
		var m int
		s, m = stripConnString(s)
		n += m
	}
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		var m int
		s, m = stripURLPassword(s)
		n += m
	}
	return s, n
}

// hasConnKey reports whether s starts a password key of a connection
// string with no other part ("Password=x").
func hasConnKey(s string) bool {
	k, _, ok := strings.Cut(s, "=")
	return ok && connPasswordKey(k)
}

// connPasswordKey reports whether a connection-string key names the
// password (ADO.NET, ODBC and OLE DB spellings).
func connPasswordKey(k string) bool {
	switch strings.ToLower(strings.TrimSpace(k)) {
	case "password", "pwd", "passwd", "user password", "jet oledb:database password", "accountkey", "sharedaccesskey":
		return true
	}
	return false
}

// stripConnString replaces the password parts of a connection string,
// following its quoting: parts are split at ';' outside quotes, and a quoted
// value (the Entity Framework "provider connection string") is cleaned
// recursively.
func stripConnString(s string) (string, int) {
	parts := splitConn(s)
	n := 0
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if connPasswordKey(k) {
			if strings.TrimSpace(v) != "" {
				parts[i] = k + "=" + removedValue
				n++
			}
			continue
		}
		tv := strings.TrimSpace(v)
		if len(tv) >= 2 && (tv[0] == '"' || tv[0] == '\'') && tv[len(tv)-1] == tv[0] {
			inner, m := stripConnString(tv[1 : len(tv)-1])
			if m > 0 {
				lead := v[:strings.Index(v, tv)]
				parts[i] = k + "=" + lead + string(tv[0]) + inner + string(tv[0])
				n += m
			}
		}
	}
	if n == 0 {
		return s, 0
	}
	return strings.Join(parts, ";"), n
}

// splitConn splits a connection string at ';' outside single or double
// quotes and braces.
func splitConn(s string) []string {
	var parts []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{':
			quote = '}'
		case c == ';':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// stripURLPassword removes the password of every scheme://user:password@host
// in s.
func stripURLPassword(s string) (string, int) {
	n := 0
	from := 0
	for {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			return s, n
		}
		i += from + 3
		end := len(s)
		if j := strings.IndexAny(s[i:], "/?# \t\r\n\"'"); j >= 0 {
			end = i + j
		}
		auth := s[i:end]
		at := strings.LastIndexByte(auth, '@')
		if at >= 0 {
			if c := strings.IndexByte(auth[:at], ':'); c >= 0 && c+1 < at {
				s = s[:i+c+1] + removedValue + s[i+at:]
				n++
				end = i + c + 1 + len(removedValue) + 1
			}
		}
		from = end
	}
}
