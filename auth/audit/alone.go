package audit

import (
	"context"
	"log/slog"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/entx"
)

// RecordAlone appends e in a transaction of its own, for outcomes that
// change nothing else (a failed sign-in, a wrong code, a refused login).
// A failure to record is logged, not returned: the outcome stands.
func (r *Recorder) RecordAlone(ctx context.Context, client *ent.Client, log *slog.Logger, e Event) {
	err := entx.InTx(ctx, client, func(tx *ent.Tx) error {
		_, err := r.Record(ctx, tx, e)
		return err
	})
	if err != nil {
		log.ErrorContext(ctx, "audit", "action", e.Action, "err", err)
	}
}
