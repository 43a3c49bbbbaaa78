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

// SecretsMasked returns m itself when none of its free text can hold a
// secret (the usual case), and otherwise a clone of m with
// MaskSecretsMessage applied: m is never changed, and only copied when
// there is something to mask.
func SecretsMasked[M proto.Message](m M) M {
	suspect := false
	maskReflect(m.ProtoReflect(), func(s string) string {
		suspect = suspect || mayHoldSecret(s)
		return s
	})
	if !suspect {
		return m
	}
	c := proto.CloneOf(m)
	MaskSecretsMessage(c)
	return c
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
						if s := list.Get(i).String(); s != "" {
							if masked := mask(s); masked != s {
								list.Set(i, protoreflect.ValueOfString(masked))
							}
						}
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
