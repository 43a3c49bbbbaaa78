// Package splittest runs Manifold in split mode as a user would: the real
// binary, one process per service (two routers, two prompt registries),
// registered in a real Consul agent and sharing a fresh PostgreSQL
// database, and checks discovery, health and failover end to end.
package splittest
