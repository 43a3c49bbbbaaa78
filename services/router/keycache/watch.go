package keycache

import (
	"context"
	"crypto/sha256"
	"time"

	"connectrpc.com/connect"

	keyvaultv1 "github.com/manifoldgw/manifold/gen/go/manifold/keyvault/v1"
)

// Run keeps the cache current until ctx ends: it watches the key vault,
// resumes from the last applied revision after a failure, and reconnects
// when the stream goes silent.
func (c *Cache) Run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		progressed, err := c.watch(ctx)
		if ctx.Err() != nil {
			return
		}
		if progressed {
			backoff = 50 * time.Millisecond
		}
		c.logger.Debug("key watch ended; reconnecting", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// watch runs one watch stream; progressed reports whether any message came.
func (c *Cache) watch(ctx context.Context) (progressed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.mu.RLock()
	after := c.revision
	c.mu.RUnlock()
	stream, err := c.client.WatchKeys(ctx, connect.NewRequest(&keyvaultv1.WatchKeysRequest{AfterRevision: after}))
	if err != nil {
		return false, err
	}
	defer func() { _ = stream.Close() }()
	watchdog := time.AfterFunc(staleAfter, cancel)
	defer watchdog.Stop()
	var pending *keyvaultv1.KeySnapshot
	for stream.Receive() {
		progressed = true
		watchdog.Reset(staleAfter)
		msg := stream.Msg()
		switch ev := msg.GetEvent().(type) {
		case *keyvaultv1.WatchKeysResponse_Snapshot:
			if pending == nil {
				pending = &keyvaultv1.KeySnapshot{}
			}
			pending.VirtualKeys = append(pending.VirtualKeys, ev.Snapshot.GetVirtualKeys()...)
			pending.Credentials = append(pending.Credentials, ev.Snapshot.GetCredentials()...)
			if ev.Snapshot.GetComplete() {
				c.applySnapshot(pending, msg.GetRevision())
				pending = nil
			}
		case *keyvaultv1.WatchKeysResponse_Change:
			c.applyChange(ev.Change, msg.GetRevision())
		case *keyvaultv1.WatchKeysResponse_Heartbeat:
			c.mu.Lock()
			c.heard = c.now()
			c.mu.Unlock()
		}
	}
	return progressed, stream.Err()
}

// applySnapshot replaces the cache. Cached authentications start over: each
// key is checked with the vault again on its next use.
func (c *Cache) applySnapshot(s *keyvaultv1.KeySnapshot, revision int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys = map[string]*keyvaultv1.VirtualKey{}
	for _, k := range s.GetVirtualKeys() {
		c.keys[k.GetId()] = k
	}
	c.auth = map[[sha256.Size]byte]*entry{}
	creds := map[string]*keyvaultv1.ProviderCredential{}
	for _, cr := range s.GetCredentials() {
		creds[cr.GetName()] = cr
	}
	for name := range c.secrets {
		if creds[name] == nil {
			delete(c.secrets, name)
		}
	}
	c.creds = creds
	c.revision, c.heard = revision, c.now()
	if !c.ready {
		c.ready = true
		close(c.readyOnce)
	}
}

// applyChange applies one change on top of the cache.
func (c *Cache) applyChange(ch *keyvaultv1.KeyChange, revision int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch v := ch.GetChange().(type) {
	case *keyvaultv1.KeyChange_VirtualKeyUpserted:
		c.keys[v.VirtualKeyUpserted.GetId()] = v.VirtualKeyUpserted
		c.forget(v.VirtualKeyUpserted.GetId())
	case *keyvaultv1.KeyChange_VirtualKeyRevoked:
		delete(c.keys, v.VirtualKeyRevoked)
		c.forget(v.VirtualKeyRevoked)
	case *keyvaultv1.KeyChange_CredentialUpserted:
		c.creds[v.CredentialUpserted.GetName()] = v.CredentialUpserted
	case *keyvaultv1.KeyChange_CredentialDeleted:
		delete(c.creds, v.CredentialDeleted)
		delete(c.secrets, v.CredentialDeleted)
	}
	c.revision, c.heard = revision, c.now()
}

// forget drops the cached authentications of a key. Call with mu held.
func (c *Cache) forget(keyID string) {
	for h, e := range c.auth {
		if e.keyID == keyID {
			delete(c.auth, h)
		}
	}
}
