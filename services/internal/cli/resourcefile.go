package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"gopkg.in/yaml.v3"
)

// readResource reads a YAML or JSON file ("-": standard input) holding one
// resource in protobuf JSON field names (snake_case), e.g. a Route, into m.
//
// The file is checked field by field against m's type before it is decoded,
// so that a bad file is a usage error of one line naming the line of the file
// and the field as the file writes it: protojson alone would report a position
// in the JSON made from the YAML and the field's camelCase JSON name.
func readResource(path string, stdin io.Reader, m proto.Message) error {
	var b []byte
	var err error
	name := path
	if path == "-" {
		name = "standard input"
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	md := m.ProtoReflect().Descriptor()
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return usageError{fmt.Errorf("%s: not YAML or JSON: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		return usageError{fmt.Errorf("%s is empty: want a %s in YAML or JSON", name, md.FullName())}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return usageError{fmt.Errorf("%s line %d: want a mapping of %s fields, not %s", name, top.Line, md.FullName(), shown(top))}
	}
	if err := checkFields(top, md); err != nil {
		return usageError{fmt.Errorf("%s %w", name, err)}
	}
	var v any
	if err := top.Decode(&v); err != nil {
		return usageError{fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	j, err := json.Marshal(v)
	if err != nil {
		return usageError{fmt.Errorf("%s: %v", name, err)}
	}
	if err := protojson.Unmarshal(j, m); err != nil {
		// Every field checked out, so this is rare (a oneof set twice); the
		// position protojson gives is in j, not in the file.
		return usageError{fmt.Errorf("%s: %s", name, protojsonPosition.ReplaceAllString(err.Error(), ""))}
	}
	return nil
}

// protojsonPosition is the start of a protojson error: "proto:", a space
// that varies, and the position in the JSON.
var protojsonPosition = regexp.MustCompile(`^proto:[\s\x{a0}]*|\(line \d+:\d+\): `)

// checkFields checks n, a mapping holding a message of type md, and returns
// its first bad field as "line N: …".
func checkFields(n *yaml.Node, md protoreflect.MessageDescriptor) error {
	seen := map[protoreflect.Name]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		// protojson takes a field's JSON name or its proto name.
		fd := md.Fields().ByJSONName(k.Value)
		if fd == nil {
			fd = md.Fields().ByTextName(k.Value)
		}
		if fd == nil {
			return fmt.Errorf("line %d: unknown field %s of %s", k.Line, k.Value, md.FullName())
		}
		if first, ok := seen[fd.Name()]; ok {
			return fmt.Errorf("line %d: %s given twice (as %s before)", k.Line, k.Value, first)
		}
		seen[fd.Name()] = k.Value
		if err := checkField(k.Value, v, fd); err != nil {
			return err
		}
	}
	return nil
}

// checkField checks v, the value the file gives the field fd under the name
// key.
func checkField(key string, v *yaml.Node, fd protoreflect.FieldDescriptor) error {
	switch {
	case v.Tag == "!!null":
		return nil // null leaves a field unset
	case fd.IsList() && v.Kind == yaml.SequenceNode:
		for _, e := range v.Content {
			if err := checkValue(key, e, fd); err != nil {
				return err
			}
		}
		return nil
	case fd.IsMap() && v.Kind == yaml.MappingNode:
		for i := 1; i < len(v.Content); i += 2 {
			if err := checkValue(key, v.Content[i], fd.MapValue()); err != nil {
				return err
			}
		}
		return nil
	case fd.IsList():
		return fmt.Errorf("line %d: invalid %s %s: want a list", v.Line, key, shown(v))
	case fd.IsMap():
		return fmt.Errorf("line %d: invalid %s %s: want a mapping", v.Line, key, shown(v))
	}
	return checkValue(key, v, fd)
}

// checkValue checks one value of the field fd: the value of a singular
// field, an element of a list or the value of a map entry.
func checkValue(key string, v *yaml.Node, fd protoreflect.FieldDescriptor) error {
	if md := fd.Message(); md != nil && md.FullName().Parent() != "google.protobuf" {
		if v.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: invalid %s %s: want a mapping of %s fields", v.Line, key, shown(v), md.FullName())
		}
		return checkFields(v, md)
	}
	// A scalar, an enum or a well-known type (Duration, Struct, …): ask
	// protojson, on a message holding the value alone.
	var x any
	err := v.Decode(&x)
	if err == nil {
		if fd.IsList() {
			x = []any{x}
		}
		var j []byte
		if j, err = json.Marshal(map[string]any{string(fd.Name()): x}); err == nil {
			err = protojson.Unmarshal(j, dynamicpb.NewMessage(fd.ContainingMessage()))
		}
	}
	if err != nil {
		return fmt.Errorf("line %d: invalid %s %s: want %s", v.Line, key, shown(v), wanted(fd))
	}
	return nil
}

// shown is a value of the file as an error quotes it.
func shown(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "(a list)"
	case yaml.MappingNode:
		return "(a mapping)"
	}
	return fmt.Sprintf("%q", v.Value)
}

// wanted says what a field of fd's kind takes.
func wanted(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		var names []string
		vals := fd.Enum().Values()
		for i := range vals.Len() {
			if vals.Get(i).Number() != 0 { // the zero value is "unspecified"
				names = append(names, string(vals.Get(i).Name()))
			}
		}
		return "one of " + strings.Join(names, ", ")
	case protoreflect.BoolKind:
		return "true or false"
	case protoreflect.StringKind:
		return "a string"
	case protoreflect.BytesKind:
		return "base64 bytes"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return "a number"
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Duration":
			return `a duration such as "1.5s"`
		case "google.protobuf.Timestamp":
			return `an RFC 3339 time such as "2025-01-02T15:04:05Z"`
		}
		return "a " + string(fd.Message().FullName())
	}
	return fmt.Sprintf("a whole number (%s)", fd.Kind())
}
