package curriculum

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FileFormat identifies the program file format; see FORMAT.md.
const FileFormat = "skillgate-program/1"

// MaxFileSize is the largest program file ParseProgram accepts. The shipped
// Medical Assistant program is about 60 KB.
const MaxFileSize = 4 << 20

// ExportProgram writes v as a human-readable YAML program file. Importing
// the result with ParseProgram gives back an identical version.
func ExportProgram(v *Version) ([]byte, error) {
	doc := &yaml.Node{Kind: yaml.MappingNode,
		HeadComment: "Skillgate program file. The format is described in curriculum/FORMAT.md."}
	addField(doc, "format", scalar("!!str", FileFormat))
	body, err := encodeValue(reflect.ValueOf(v).Elem())
	if err != nil {
		return nil, fmt.Errorf("export program %s version %d: %w", v.Program.Code, v.Number, err)
	}
	doc.Content = append(doc.Content, body.Content...)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export program %s version %d: %w", v.Program.Code, v.Number, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("export program %s version %d: %w", v.Program.Code, v.Number, err)
	}
	return buf.Bytes(), nil
}

// ParseProgram reads a program file. When the file is malformed or the
// program in it is invalid, it returns no version and a *ValidationError
// listing every problem with its line, column and field path (a YAML syntax
// error stops the parser, so only the first of those can be reported).
// Unknown fields are errors, so that a misspelt "critcal: true" is not
// silently ignored.
func ParseProgram(data []byte) (*Version, error) {
	if len(data) > MaxFileSize {
		return nil, &ValidationError{Problems: []Problem{{Message: fmt.Sprintf(
			"the file is %d bytes; program files may be at most %d", len(data), MaxFileSize)}}}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ValidationError{Problems: []Problem{{Line: 1, Column: 1, Message: "the file is empty"}}}
		}
		return nil, &ValidationError{Problems: []Problem{syntaxProblem(err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p := Problem{Message: "the file holds more than one YAML document (a line with --- starts another); put one program in a file"}
		if err != nil {
			p = syntaxProblem(err)
		} else {
			p.Line, p.Column = extra.Line, extra.Column
		}
		return nil, &ValidationError{Problems: []Problem{p}}
	}

	d := &fileDecoder{}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	v := &Version{}
	if doc.Kind != yaml.MappingNode {
		d.fail(doc, "", "a program file is a set of fields (format, number, status, program), not %s", describe(doc))
		return nil, d.result()
	}
	// The format line is checked here; the rest decodes as a Version.
	body := &yaml.Node{Kind: yaml.MappingNode, Line: doc.Line, Column: doc.Column}
	format := -1
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "format" {
			format = i
			continue
		}
		body.Content = append(body.Content, doc.Content[i], doc.Content[i+1])
	}
	switch {
	case format < 0:
		d.fail(doc, "format", "the format line is missing: start the file with \"format: %s\"", FileFormat)
	case doc.Content[format+1].Value != FileFormat:
		d.fail(doc.Content[format+1], "format", "unsupported format %q; this version of Skillgate reads %q", doc.Content[format+1].Value, FileFormat)
	}
	d.decode(body, reflect.ValueOf(v).Elem(), "")

	// Validation problems under a field that failed to decode would only
	// repeat that failure in other words.
	var vp []Problem
	var ve *ValidationError
	if err := v.Validate(); errors.As(err, &ve) {
		vp = ve.Problems
	}
	for _, p := range vp {
		if slices.ContainsFunc(d.problems, func(q Problem) bool { return q.Path != "" && pathWithin(p.Path, q.Path) }) {
			continue
		}
		n := nodeAt(body, p.Path)
		p.Line, p.Column = n.Line, n.Column
		d.problems = append(d.problems, p)
	}
	if err := d.result(); err != nil {
		return nil, err
	}
	return v, nil
}

// pathWithin reports whether path is base or below it.
func pathWithin(path, base string) bool {
	return path == base || strings.HasPrefix(path, base+".") || strings.HasPrefix(path, base+"[")
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func syntaxProblem(err error) Problem {
	msg := err.Error()
	p := Problem{Message: "the file is not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Message = "the file is not valid YAML: " + msg[len(m[0]):]
	}
	return p
}

type fileDecoder struct {
	problems []Problem
}

func (d *fileDecoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.problems = append(d.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...), Line: n.Line, Column: n.Column})
}

func (d *fileDecoder) result() error {
	if len(d.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(d.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return &ValidationError{Problems: d.problems}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a set of fields"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

var (
	dateType = reflect.TypeFor[Date]()
	timeType = reflect.TypeFor[time.Time]()
)

// decode fills v from n, recording every mismatch rather than stopping.
func (d *fileDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		// Aliases could expand exponentially; programs do not need them.
		d.fail(n, path, "YAML anchors and aliases (& and *) are not supported in program files; write the content out")
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.SetZero() // an empty value is the same as leaving the field out
		return
	}
	switch v.Type() {
	case dateType:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a date like 2026-03-14, found %s", describe(n))
			return
		}
		date, err := ParseDate(n.Value)
		if err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		v.Set(reflect.ValueOf(date))
		return
	case timeType:
		t, err := time.Parse(time.RFC3339Nano, n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n, path, "expected a date and time like 2026-03-14T09:30:00Z, found %s", describe(n))
			return
		}
		v.Set(reflect.ValueOf(t.UTC()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected text, found %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.fail(n, path, "expected true or false, found %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.fail(n, path, "expected a whole number, found %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
			d.fail(n, path, "expected a number, found %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list (lines starting with \"- \"), found %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	default:
		d.fail(n, path, "internal error: cannot read a %s", v.Type())
	}
}

func (d *fileDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a set of fields (name: value lines), found %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.fail(key, path, "field names must be plain words, found %s", describe(key))
			continue
		}
		fp := join(path, key.Value)
		if seen[key.Value] {
			d.fail(key, fp, "field %q appears more than once", key.Value)
			continue
		}
		seen[key.Value] = true
		idx := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == key.Value })
		if idx < 0 {
			names := make([]string, len(fields))
			for j, f := range fields {
				names[j] = f.name
			}
			d.fail(key, fp, "unknown field %q; the fields here are: %s", key.Value, strings.Join(names, ", "))
			continue
		}
		d.decode(val, v.Field(fields[idx].index), fp)
	}
}

type fieldInfo struct {
	name      string
	index     int
	omitEmpty bool // leave out zero scalars and nil slices/pointers
	omitZero  bool // leave out zero structs
}

// fieldsOf lists a struct's fields under their JSON names: the file format
// and the stored JSON document use the same names, so validation paths fit
// both.
func fieldsOf(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, fieldInfo{name: name, index: i,
			omitEmpty: strings.Contains(opts, "omitempty"), omitZero: strings.Contains(opts, "omitzero")})
	}
	return out
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func addField(m *yaml.Node, name string, val *yaml.Node) {
	m.Content = append(m.Content, scalar("!!str", name), val)
}

// encodeValue turns v into a YAML node. Nil slices and pointers and fields
// marked omitempty/omitzero that are zero are left out; empty lists are
// written as [] so that they read back as empty, not absent.
func encodeValue(v reflect.Value) (*yaml.Node, error) {
	switch v.Type() {
	case dateType:
		return scalar("!!str", v.Interface().(Date).String()), nil
	case timeType:
		return scalar("!!str", v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)), nil
	}
	switch v.Kind() {
	case reflect.String:
		return scalar("!!str", v.String()), nil
	case reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool())), nil
	case reflect.Int:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Float64:
		return scalar("!!float", strconv.FormatFloat(v.Float(), 'g', -1, 64)), nil
	case reflect.Pointer:
		return encodeValue(v.Elem())
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Len() == 0 {
			n.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			item, err := encodeValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, item)
		}
		return n, nil
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range fieldsOf(v.Type()) {
			fv := v.Field(f.index)
			switch {
			case (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Pointer) && fv.IsNil():
				continue
			case f.omitEmpty && fv.Kind() != reflect.Slice && fv.IsZero():
				continue
			case f.omitZero && isZero(fv):
				continue
			}
			item, err := encodeValue(fv)
			if err != nil {
				return nil, err
			}
			addField(n, f.name, item)
		}
		if len(n.Content) == 0 {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot write a %s", v.Type())
}

// isZero follows encoding/json's omitzero: an IsZero method if there is one.
func isZero(v reflect.Value) bool {
	if z, ok := v.Interface().(interface{ IsZero() bool }); ok {
		return z.IsZero()
	}
	return v.IsZero()
}

var pathPart = regexp.MustCompile(`^([a-z_]+)((?:\[\d+\])*)$`)

// nodeAt finds the node a validation path points to, or the nearest
// enclosing one that exists (a missing field is reported at its parent).
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	n := root
	for part := range strings.SplitSeq(path, ".") {
		m := pathPart.FindStringSubmatch(part)
		if m == nil || n.Kind != yaml.MappingNode {
			return n
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == m[1] {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return n
		}
		n = next
		for idx := range strings.SplitSeq(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			i, _ := strconv.Atoi(idx)
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return n
			}
			n = n.Content[i]
		}
	}
	return n
}
