// Package validate checks messages against their protovalidate rules and
// reports violations as invalid-request errors naming the field, for every
// surface (Connect interceptor, OpenAI and Anthropic HTTP APIs).
package validate

import (
	"errors"
	"strings"
	"sync"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/manifoldgw/manifold/services/internal/apierror"
)

var (
	once      sync.Once
	validator protovalidate.Validator
	initErr   error
)

// Check validates m. A violation is an *apierror.Error of class
// INVALID_REQUEST whose Field is the first violating field path and whose
// message lists every violation.
func Check(m proto.Message) error {
	once.Do(func() { validator, initErr = protovalidate.New() })
	if initErr != nil {
		return apierror.Internal(initErr)
	}
	err := validator.Validate(m)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) || len(verr.Violations) == 0 {
		return apierror.Internal(err)
	}
	var first string
	msgs := make([]string, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		field := violationField(m.ProtoReflect().Descriptor(), v)
		if field == "" {
			field = "(message)"
		}
		if first == "" {
			first = field
		}
		msgs = append(msgs, field+": "+message(v))
	}
	return apierror.Invalid(first, "invalid request: %s", strings.Join(msgs, "; "))
}

// violationField names the field at fault. A message-level rule (a CEL
// expression over several fields, such as "messages or prompt") reports the
// path of its message; when the rule's id names one of that message's
// fields after the message's own name ("request.messages",
// "request.tool_choice.tool_name"), the field is named instead, so that
// callers learn which field to fix.
func violationField(root protoreflect.MessageDescriptor, v *protovalidate.Violation) string {
	path := protovalidate.FieldPathString(v.Proto.GetField())
	if v.FieldDescriptor != nil {
		return path
	}
	md := root
	for _, el := range v.Proto.GetField().GetElements() {
		fd := md.Fields().ByNumber(protoreflect.FieldNumber(el.GetFieldNumber()))
		if fd == nil {
			return path
		}
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if md = fd.Message(); md == nil {
			return path
		}
	}
	// The first part of the id after the message's own that names one of
	// its fields: "request.tool_choice.tool_name" names tool_choice.
	name := ""
	for _, part := range strings.Split(v.Proto.GetRuleId(), ".")[1:] {
		if md.Fields().ByName(protoreflect.Name(part)) != nil {
			name = part
			break
		}
	}
	if name == "" {
		return path
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// message is the violation's message, except that an enum left at its zero
// value where that is not allowed ("must not be in list [0]") reads as
// missing.
func message(v *protovalidate.Violation) string {
	if v.Proto.GetRuleId() == "enum.not_in" && v.FieldDescriptor != nil && v.FieldDescriptor.Kind() == protoreflect.EnumKind &&
		v.FieldValue.IsValid() && v.FieldValue.Enum() == 0 {
		return "is required"
	}
	return v.Proto.GetMessage()
}
