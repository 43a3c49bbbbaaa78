package keyvault

import (
	"testing"

	"google.golang.org/protobuf/types/descriptorpb"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
)

// TestProcedureRules checks the access table against the proto: every RPC
// has a rule, a read (NO_SIDE_EFFECTS) is never admin-only, and a change is
// never open to viewers or any caller.
func TestProcedureRules(t *testing.T) {
	svc := keyvaultv1.File_manifold_keyvault_v1_keyvault_service_proto.Services().ByName("KeyVaultService")
	methods := svc.Methods()
	if methods.Len() != len(procedures) {
		t.Errorf("KeyVaultService has %d RPCs, the access table %d", methods.Len(), len(procedures))
	}
	reads := 0
	for i := range methods.Len() {
		m := methods.Get(i)
		procedure := "/" + string(svc.FullName()) + "/" + string(m.Name())
		need, ok := procedures[procedure]
		if !ok {
			t.Errorf("%s: no access rule", m.Name())
			continue
		}
		read := m.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
		switch {
		case read && need == accessAdmin:
			t.Errorf("%s is a read but needs role admin", m.Name())
		case !read && (need == accessRead || need == accessAny):
			t.Errorf("%s is a change but is open to every admin key", m.Name())
		}
		if read {
			reads++
		}
	}
	if reads == 0 {
		t.Fatal("no RPC is marked NO_SIDE_EFFECTS: the check above proved nothing")
	}
}
