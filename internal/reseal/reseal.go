// Package reseal runs the second half of a master-secret rotation for the
// packages that seal values with the master secret directly (TOTP
// secrets, social providers' client secrets, webhook secrets, CIBA ping
// tokens, signing keys): each workspace's values of one kind are re-sealed
// under the current master in one transaction, each row updated only if
// its sealed value is still the one read, with one audit event per kind
// and workspace naming how many moved (never a secret). The owning
// package lists its rows and says how to re-seal one; this package does
// the grouping, the transactions and the audit.
package reseal

import (
	"context"
	"sort"
	"strconv"

	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Kind describes the values of one kind.
type Kind[R any] struct {
	// Name is the kind in the audit event: action "<Name>.resealed".
	Name string
	// Tenant is a row's workspace.
	Tenant func(R) int
	// Reseal re-seals one row in tx when its value is under a previous
	// master, conditional on the value read. It reports whether the row
	// changed (false: already current, or changed meanwhile).
	Reseal func(ctx context.Context, tx *ent.Tx, row R) (bool, error)
}

// Run re-seals rows (read by the caller as the system) workspace by
// workspace and returns how many values moved. A failure stops it: what
// committed before stays, and running it again finishes the rest.
func Run[R any](ctx context.Context, client *ent.Client, rec *audit.Recorder, k Kind[R], rows []R) (int, error) {
	byTenant := map[int][]R{}
	for _, r := range rows {
		byTenant[k.Tenant(r)] = append(byTenant[k.Tenant(r)], r)
	}
	tids := make([]int, 0, len(byTenant))
	for t := range byTenant {
		tids = append(tids, t)
	}
	sort.Ints(tids)
	total := 0
	for _, tid := range tids {
		tctx := viewer.AsSystem(viewer.ForTenant(ctx, tid), "master secret rotation")
		n := 0
		err := entx.InTx(tctx, client, func(tx *ent.Tx) error {
			n = 0
			for _, r := range byTenant[tid] {
				changed, err := k.Reseal(tctx, tx, r)
				if err != nil {
					return err
				}
				if changed {
					n++
				}
			}
			if n == 0 {
				return nil
			}
			_, err := rec.Record(tctx, tx, audit.Event{Action: k.Name + ".resealed", TargetType: "workspace",
				TargetID: strconv.Itoa(tid), Details: map[string]string{"count": strconv.Itoa(n)}})
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
