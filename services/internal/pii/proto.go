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
		maskReflect(m.ProtoReflect(), Mask)
	}
}

// MaskSecretsMessage is MaskMessage with MaskSecrets.
func MaskSecretsMessage(m proto.Message) {
	if m != nil {
		maskReflect(m.ProtoReflect(), MaskSecrets)
	}
}

func maskReflect(m protoreflect.Message, mask func(string) string) {
	structValue := m.Descriptor().FullName() == "google.protobuf.Value"
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			list := v.List()
			for i := range list.Len() {
				switch fd.Kind() {
				case protoreflect.MessageKind, protoreflect.GroupKind:
					maskReflect(list.Get(i).Message(), mask)
				case protoreflect.StringKind:
					if maskedFields[fd.Name()] {
						list.Set(i, protoreflect.ValueOfString(mask(list.Get(i).String())))
					}
				}
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					maskReflect(mv.Message(), mask)
					return true
				})
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			maskReflect(v.Message(), mask)
		case fd.Kind() == protoreflect.StringKind:
			if maskedFields[fd.Name()] || (structValue && fd.Name() == "string_value") {
				if s := v.String(); s != "" {
					if masked := mask(s); masked != s {
						m.Set(fd, protoreflect.ValueOfString(masked))
					}
				}
			}
		}
		return true
	})
}
