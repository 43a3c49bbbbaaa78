package splittest

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"connectrpc.com/connect"

	quotav1 "github.com/manifoldgw/manifold/gen/go/manifold/quota/v1"
	"github.com/manifoldgw/manifold/gen/go/manifold/quota/v1/quotav1connect"
)

// chatError sends a chat completion and returns the status and the
// OpenAI error code of a refusal.
func chatError(t *testing.T, router, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, router+"/v1/chat/completions",
		strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"metered"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chat through %s: %v", router, err)
	}
	defer res.Body.Close()
	var out struct {
		Error struct {
			Code string `json:"code"`
			Type string `json:"type"`
		} `json:"error"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out.Error.Code
}

// TestQuotaOutage: a router admits calls from its budget lease while the
// quota service is down, refuses them with the quota_unconfirmed class
// (fail closed) once the lease has ended, and serves again when a quota
// service comes back, without a restart of the router.
func TestQuotaOutage(t *testing.T) {
	c := newCluster(t)
	keyvault := c.start("keyvault", "keyvault")
	// Leases live 20 s: routers renew (or, idle, return) them only in
	// their last 10 s, so the calls right after the stop fall well within
	// the lease, and the test still sees it end.
	const leaseTTL = "20s"
	quota := c.start("quota", "quota", "--quota.lease-ttl", leaseTTL)
	router := c.start("router", "router")

	// A monthly budget for team ops, which the key belongs to.
	client := quotav1connect.NewQuotaServiceClient(http.DefaultClient, quota.URL())
	req := connect.NewRequest(&quotav1.PutBudgetRequest{Budget: &quotav1.Budget{
		Id:          "ops-monthly",
		Subject:     &quotav1.Subject{Kind: quotav1.SubjectKind_SUBJECT_KIND_TEAM, Id: "ops"},
		Period:      quotav1.BudgetPeriod_BUDGET_PERIOD_MONTHLY,
		LimitMicros: 1_000_000_000,
	}})
	req.Header().Set("Authorization", "Bearer "+adminToken)
	if _, err := client.PutBudget(t.Context(), req); err != nil {
		t.Fatalf("put budget: %v", err)
	}
	var created struct{ Secret string }
	out := c.manifold("keys", "create", "--server", keyvault.URL(), "--token", adminToken,
		"--name", "metered", "--team", "ops", "--models", "*", "--output", "json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Secret == "" {
		t.Fatalf("keys create: %q %v", out, err)
	}
	key := created.Secret
	// The first admitted call acquires the leases.
	eventually(t, "a metered call admitted", func() bool {
		status, _ := chatError(t, router.URL(), key)
		return status == http.StatusOK
	})

	// Steady state: leases held, duplicate grants returned, settlements
	// flowing, all while quota is up.
	for i := range 5 {
		if status, code := chatError(t, router.URL(), key); status != http.StatusOK {
			t.Fatalf("call %d with quota up: %d %s", i, status, code)
		}
	}

	// Stop the quota service. Calls within the current lease go on.
	quota.signal(t, syscall.SIGTERM)
	if code := quota.wait(t); code != 0 {
		t.Fatalf("quota exited with %d", code)
	}
	for i := range 3 {
		if status, code := chatError(t, router.URL(), key); status != http.StatusOK {
			t.Fatalf("call %d within the lease, quota stopped: %d %s", i, status, code)
		}
	}
	// Once the lease ends, quota cannot be confirmed: the router fails
	// closed with the documented class.
	var status int
	var code string
	eventually(t, "calls refused once the lease has ended", func() bool {
		status, code = chatError(t, router.URL(), key)
		return status != http.StatusOK
	})
	if status != http.StatusServiceUnavailable || code != "quota_unconfirmed" {
		t.Fatalf("call after the lease ended: %d %q, want 503 quota_unconfirmed", status, code)
	}

	// A quota service comes back (on another port; the router finds it in
	// Consul) and calls are admitted again, with the same router process.
	c.start("quota-2", "quota", "--quota.lease-ttl", leaseTTL)
	eventually(t, "calls admitted after quota returned", func() bool {
		status, _ := chatError(t, router.URL(), key)
		return status == http.StatusOK
	})
	select {
	case <-router.exited:
		t.Fatal("the router exited")
	default:
	}
}
