package audit

import (
	"context"
	"fmt"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/auditchain"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Break is the first place a chain is broken.
type Break struct {
	// Seq is the sequence number where the break was found.
	Seq int64 `json:"seq"`
	// EventID is the stored event's id, 0 when the event is missing.
	EventID int    `json:"event_id,omitempty"`
	Reason  string `json:"reason"`
}

func (b *Break) Error() string {
	if b.EventID != 0 {
		return fmt.Sprintf("audit chain broken at event %d (seq %d): %s", b.EventID, b.Seq, b.Reason)
	}
	return fmt.Sprintf("audit chain broken at seq %d: %s", b.Seq, b.Reason)
}

// Report is the result of a verification.
type Report struct {
	Events int64  `json:"events"`
	Head   string `json:"head"`
	Break  *Break `json:"break,omitempty"`
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.Break == nil }

// pageSize bounds memory while walking a long chain.
const pageSize = 1000

// Verify walks the tenant's chain in sequence order, recomputing every hash,
// and reports the first event that was altered, removed or reordered, and a
// tail cut off after the last event. ctx must be bound to the tenant.
func Verify(ctx context.Context, client *ent.Client) (Report, error) {
	v := viewer.FromContext(ctx)
	if !v.HasTenant() {
		return Report{}, ErrNoTenant
	}
	Settle()
	chain, err := client.AuditChain.Query().Where(auditchain.TenantID(v.TenantID)).Only(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("audit: read chain head: %w", err)
	}
	var (
		rep     Report
		prev    = ""
		wantSeq = int64(1)
	)
	for {
		page, err := client.AuditEvent.Query().
			Where(auditevent.TenantID(v.TenantID), auditevent.SeqGTE(wantSeq)).
			Order(ent.Asc(auditevent.FieldSeq)).
			Limit(pageSize).
			All(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("audit: read events: %w", err)
		}
		for _, e := range page {
			if e.Seq != wantSeq {
				rep.Break = &Break{Seq: wantSeq, Reason: fmt.Sprintf("event %d is missing (next stored is %d)", wantSeq, e.Seq)}
				return rep, nil
			}
			f := FieldsOf(e)
			if f.PreviousHash != prev {
				rep.Break = &Break{Seq: e.Seq, EventID: e.ID, Reason: "previous-hash link does not match the event before it"}
				return rep, nil
			}
			if got := f.ComputeHash(); got != e.Hash {
				rep.Break = &Break{Seq: e.Seq, EventID: e.ID, Reason: "content does not match its hash (the event was altered)"}
				return rep, nil
			}
			prev = e.Hash
			wantSeq++
			rep.Events++
		}
		if len(page) < pageSize {
			break
		}
	}
	rep.Head = prev
	if chain.Seq != rep.Events || chain.Head != prev {
		rep.Break = &Break{Seq: min(chain.Seq, rep.Events) + 1, Reason: fmt.Sprintf("the chain head records %d events but %d were found (events removed from the end, or the head altered)", chain.Seq, rep.Events)}
	}
	return rep, nil
}
