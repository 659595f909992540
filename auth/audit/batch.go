package audit

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// maxBatch bounds the events one batch commits: a bulk insert of that
// many rows stays far below SQLite's and PostgreSQL's limits on bound
// parameters.
const maxBatch = 100

// maxQueued bounds the events waiting for a commit: past it, Go waits
// for its own event like Append, so a database slower than the traffic
// slows the callers instead of growing the queue.
const maxQueued = 4 * maxBatch

// Batcher appends events that change nothing else (a tool call through
// the gateway, a refusal) many to a transaction: a group commit. Under
// load the events of every caller that arrived while a commit ran go
// into the next one, and each tenant's chain head is read and moved once
// per batch. Events commit in the order they were given.
//
// A goroutine runs while events wait, and ends when none is left; Wait
// returns once every event given before it is committed (or failed).
type Batcher struct {
	rec    *Recorder
	client *ent.Client
	log    *slog.Logger

	mu      sync.Mutex
	idle    *sync.Cond // broadcast whenever done moves
	running bool
	pending []*entry
	given   int64 // events given so far
	done    int64 // events committed or failed so far, in order
}

// batchers are the process's batchers, for Settle.
var batchers struct {
	sync.Mutex
	all []*Batcher
}

// Settle waits until every event given to any batcher of this process
// before the call is committed (or failed): a reader of the audit trail
// calls it first, so that it sees the tool calls whose answers were
// already sent.
func Settle() {
	batchers.Lock()
	all := slices.Clone(batchers.all)
	batchers.Unlock()
	for _, b := range all {
		b.Wait()
	}
}

// Also is a write made in the batch's transaction beside an event (a
// credential's last use, say). Its error fails only its own event.
type Also func(ctx context.Context, tx *ent.Tx) error

type entry struct {
	pending
	also Also
	// out receives the entry's outcome when a caller waits for it.
	out chan error
}

// NewBatcher returns a batcher appending with rec through client; log
// receives the failures of events nobody waits for.
func NewBatcher(rec *Recorder, client *ent.Client, log *slog.Logger) *Batcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Batcher{rec: rec, client: client, log: log}
	b.idle = sync.NewCond(&b.mu)
	batchers.Lock()
	batchers.all = append(batchers.all, b)
	batchers.Unlock()
	return b
}

// Append records e, and runs also if not nil, in a transaction shared
// with other callers' events, and returns once it has committed. The
// viewer and request in ctx are e's, as for Record; ctx ending does not
// abandon the event.
func (b *Batcher) Append(ctx context.Context, e Event, also Also) error {
	en, err := newEntry(ctx, e, also)
	if err != nil {
		return err
	}
	en.out = make(chan error, 1)
	b.enqueue(en)
	return <-en.out
}

// Go records e as Append does, but returns at once, unless maxQueued
// events are already waiting: then it waits for its own. A failure is
// logged.
func (b *Batcher) Go(ctx context.Context, e Event, also Also) {
	en, err := newEntry(ctx, e, also)
	if err != nil {
		b.log.ErrorContext(ctx, "audit", "action", e.Action, "err", err)
		return
	}
	b.mu.Lock()
	full := len(b.pending) >= maxQueued
	b.mu.Unlock()
	if full {
		en.out = make(chan error, 1)
	}
	b.enqueue(en)
	if full {
		if err := <-en.out; err != nil {
			b.log.ErrorContext(ctx, "audit", "action", e.Action, "err", err)
		}
	}
}

// Wait returns once every event given before it is committed or failed.
func (b *Batcher) Wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for target := b.given; b.done < target; {
		b.idle.Wait()
	}
}

func newEntry(ctx context.Context, e Event, also Also) (*entry, error) {
	if err := check(ctx, &e); err != nil {
		return nil, err
	}
	return &entry{pending: pending{ctx: context.WithoutCancel(ctx), e: e}, also: also}, nil
}

func (b *Batcher) enqueue(en *entry) {
	b.mu.Lock()
	b.pending = append(b.pending, en)
	b.given++
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if start {
		go b.run()
	}
}

// run commits batches, oldest first, until none is left.
func (b *Batcher) run() {
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.running = false
			b.pending = nil
			b.mu.Unlock()
			return
		}
		n := min(len(b.pending), maxBatch)
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()
		errs := b.commit(batch)
		for i, en := range batch {
			if en.out != nil {
				en.out <- errs[i]
			} else if errs[i] != nil {
				b.log.ErrorContext(en.ctx, "audit", "action", en.e.Action, "err", errs[i])
			}
		}
		b.mu.Lock()
		b.done += int64(n)
		b.idle.Broadcast()
		b.mu.Unlock()
	}
}

// runAlso runs the entry's write; a panic in it is its error, so that the
// batch's other callers are answered.
func (en *entry) runAlso(tx *ent.Tx) (err error) {
	if en.also == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("audit: a write beside the event panicked: %v", p)
		}
	}()
	return en.also(en.ctx, tx)
}

// commit writes a batch in one transaction and returns each event's
// outcome. Should the transaction fail, each event is tried alone, so
// that one bad event fails no other.
func (b *Batcher) commit(batch []*entry) []error {
	errs := make([]error, len(batch))
	if len(batch) > 1 {
		err := entx.InTx(batch[0].ctx, b.client, func(tx *ent.Tx) error {
			return b.write(tx, batch)
		})
		if err == nil {
			return errs
		}
	}
	for i, en := range batch {
		errs[i] = entx.InTx(en.ctx, b.client, func(tx *ent.Tx) error {
			return b.write(tx, []*entry{en})
		})
	}
	return errs
}

// write appends the batch's events to their tenants' chains in tx, each
// tenant's in one append.
func (b *Batcher) write(tx *ent.Tx, batch []*entry) error {
	var tenants []int
	byTenant := map[int][]pending{}
	for _, en := range batch {
		if err := en.runAlso(tx); err != nil {
			return err
		}
		t := viewer.FromContext(en.ctx).TenantID
		if _, ok := byTenant[t]; !ok {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], en.pending)
	}
	for _, t := range tenants {
		if _, err := b.rec.appendTo(tx, t, byTenant[t]); err != nil {
			return err
		}
	}
	return nil
}
