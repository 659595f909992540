package schema

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/ent"
	"entgo.io/ent/schema/mixin"

	gen "github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// AuthorityMixin marks an entity whose rows carry authority: tokens,
// clients, agents, people, memberships, grants, tools, credentials,
// signing keys and the workspace (its settings). Every update or delete
// of one moves the workspace's authority version (audit_chains.
// authority_version) in the same statement's transaction, after the
// change, so that whoever read a version and then found it unchanged
// knows nothing they read since then was revoked. The tool gateway keeps
// the checks it made under a version (agents/gateway/cache.go). Creating a
// row takes no authority away, and moves nothing.
type AuthorityMixin struct{ mixin.Schema }

// Hooks of the AuthorityMixin.
func (AuthorityMixin) Hooks() []ent.Hook { return []ent.Hook{moveAuthorityVersion} }

// bookkeeping are fields whose change alone grants and revokes nothing.
var bookkeeping = []string{"updated_at", "last_used_at", "refresh_claimed_until"}

// txOf is what every generated mutation offers: its transaction, if
// it runs in one.
type txOf interface {
	Tx() (*gen.Tx, error)
	Client() *gen.Client
}

// moveAuthorityVersion moves the version after the change: in a
// transaction, when it commits, right before COMMIT (so the version's
// row is locked last, after the rows the transaction changed, as an
// audit append does, and once per workspace however many rows changed);
// outside one, at once.
func moveAuthorityVersion(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil || !m.Op().Is(ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne) {
			return v, err
		}
		if n, ok := v.(int); ok && n == 0 && m.Op().Is(ent.OpDelete|ent.OpUpdate) {
			return v, nil // nothing changed
		}
		if m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) && len(m.ClearedFields()) == 0 &&
			!slices.ContainsFunc(m.Fields(), func(f string) bool { return !slices.Contains(bookkeeping, f) }) &&
			!slices.ContainsFunc(m.AddedFields(), func(f string) bool { return !slices.Contains(bookkeeping, f) }) {
			return v, nil
		}
		tm, ok := m.(txOf)
		if !ok {
			return nil, fmt.Errorf("mutation %T has no client", m)
		}
		// The system bound to the viewer's workspace moves that
		// workspace's version; the tenantless system, every one.
		sys := viewer.AsSystem(context.WithoutCancel(ctx), "authority version")
		if tx, err := tm.Tx(); err == nil {
			tx.OnCommit(moveAtCommit(sys))
			return v, nil
		}
		if err := move(sys, tm.Client()); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// moved are the workspaces whose version a commit already moved (0: all).
type movedKey struct{}

// moveAtCommit is the commit hook of one change; the first of a
// transaction's hooks for a workspace moves its version, the others
// find it moved.
func moveAtCommit(sys context.Context) gen.CommitHook {
	tenant := viewer.FromContext(sys).TenantID
	return func(next gen.Committer) gen.Committer {
		return gen.CommitFunc(func(ctx context.Context, tx *gen.Tx) error {
			moved, _ := ctx.Value(movedKey{}).(map[int]bool)
			if moved == nil {
				moved = map[int]bool{}
				ctx = context.WithValue(ctx, movedKey{}, moved)
			}
			if !moved[0] && !moved[tenant] {
				if err := move(sys, tx.Client()); err != nil {
					return err
				}
				moved[tenant] = true
			}
			return next.Commit(ctx, tx)
		})
	}
}

func move(sys context.Context, c *gen.Client) error {
	if _, err := c.AuditChain.Update().AddAuthorityVersion(1).Save(sys); err != nil {
		return fmt.Errorf("moving the authority version: %w", err)
	}
	return nil
}
