package pii

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maskedFields are the string fields that carry free text in the model
// protocol (content parts, documents, tool-call arguments); identifiers,
// model names and enums are left alone.
var maskedFields = map[protoreflect.Name]bool{"text": true, "arguments": true}

// MaskMessage masks, in place, the free text of m and of every message
// nested in it: string fields named text or arguments, and the string
// values of google.protobuf.Struct (prompt variables, JSON tool arguments).
// Clone m first to keep the original.
func MaskMessage(m proto.Message) {
	if m != nil {
		maskReflect(m.ProtoReflect())
	}
}

func maskReflect(m protoreflect.Message) {
	structValue := m.Descriptor().FullName() == "google.protobuf.Value"
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			list := v.List()
			for i := range list.Len() {
				switch fd.Kind() {
				case protoreflect.MessageKind, protoreflect.GroupKind:
					maskReflect(list.Get(i).Message())
				case protoreflect.StringKind:
					if maskedFields[fd.Name()] {
						list.Set(i, protoreflect.ValueOfString(Mask(list.Get(i).String())))
					}
				}
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					maskReflect(mv.Message())
					return true
				})
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			maskReflect(v.Message())
		case fd.Kind() == protoreflect.StringKind:
			if maskedFields[fd.Name()] || (structValue && fd.Name() == "string_value") {
				if s := v.String(); s != "" {
					if masked := Mask(s); masked != s {
						m.Set(fd, protoreflect.ValueOfString(masked))
					}
				}
			}
		}
		return true
	})
}
