package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/approvalrequest"
	"github.com/mandatehq/mandate/ent/auditchain"
	"github.com/mandatehq/mandate/ent/auditevent"
	"github.com/mandatehq/mandate/internal/entx"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Outcome is how an audited action ended.
type Outcome = auditevent.Outcome

// The outcomes.
const (
	Success = auditevent.OutcomeSuccess
	Failure = auditevent.OutcomeFailure
	Denied  = auditevent.OutcomeDenied
)

// Event is what a caller says happened. Who requested it and with which
// credential come from the viewer in the context; the request's IP, user
// agent and id from Request.
type Event struct {
	Action     string
	TargetType string
	TargetID   string
	Outcome    Outcome
	Details    map[string]string

	// For agent actions: the executing agent and its parents (executing
	// agent first), and the grant, client, run, scope and approval that
	// allowed it.
	AgentChain       []string
	GrantID          string
	ClientID         string
	RunID            string
	CredentialType   string
	CredentialID     string
	Scope            []string
	ApprovalRequired bool
	ApprovalID       string

	// At is when it happened, for an event written after the fact (a
	// batched one); zero means now.
	At time.Time
}

// Request describes the HTTP request (or CLI invocation) behind an event.
type Request struct {
	IP        string
	UserAgent string
	ID        string
}

type requestKey struct{}

// WithRequest returns ctx carrying r, for every event recorded under it.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request in ctx.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// Recorder appends events. Its clock is injectable for tests.
type Recorder struct {
	Now func() time.Time
}

// NewRecorder returns a recorder on the wall clock.
func NewRecorder() *Recorder { return &Recorder{Now: time.Now} }

// ErrNoTenant is returned when an event is recorded outside a tenant.
var ErrNoTenant = errors.New("audit: no tenant in the viewer")

// Record appends e to the viewer's tenant's chain inside tx, the transaction
// of the change it records: if tx rolls back, the event is gone with it; if
// the event cannot be written, the change must not commit.
func (r *Recorder) Record(ctx context.Context, tx *ent.Tx, e Event) (*ent.AuditEvent, error) {
	if err := check(ctx, &e); err != nil {
		return nil, err
	}
	evs, err := r.appendTo(tx, viewer.FromContext(ctx).TenantID, []pending{{ctx, e}})
	if err != nil {
		return nil, err
	}
	return evs[0], nil
}

// pending is an event to append with the context it was recorded under
// (its viewer and request).
type pending struct {
	ctx context.Context
	e   Event
}

// check refuses an event outside a tenant or without an action, and
// fills in its default outcome.
func check(ctx context.Context, e *Event) error {
	if !viewer.FromContext(ctx).HasTenant() {
		return ErrNoTenant
	}
	if e.Action == "" {
		return errors.New("audit: event has no action")
	}
	if e.Outcome == "" {
		e.Outcome = Success
	}
	return nil
}

// appendTo appends evs, in order, to the chain of tenantID inside tx.
// The chain head row is the per-tenant lock. On PostgreSQL it is read
// FOR UPDATE, so concurrent appends in other transactions wait for this
// one and then read the head it left; on SQLite the transaction holds the
// database's write lock from its start (BEGIN IMMEDIATE). Three
// statements, however many events: read the head, insert the events,
// move the head.
func (r *Recorder) appendTo(tx *ent.Tx, tenantID int, evs []pending) ([]*ent.AuditEvent, error) {
	ctx := evs[0].ctx
	chain, err := tx.AuditChain.Query().Where(auditchain.TenantID(tenantID), entx.LockForUpdate).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("audit: tenant %d has no audit chain", tenantID)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read chain: %w", err)
	}
	seq, head := chain.Seq, chain.Head
	creates := make([]*ent.AuditEventCreate, len(evs))
	for i, p := range evs {
		f := r.fields(p.ctx, p.e, seq+1, head)
		seq, head = f.Seq, f.Hash
		creates[i] = create(tx, f)
	}
	out, err := tx.AuditEvent.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: append: %w", err)
	}
	// Guarded by the head read above: were the lock ever missing (a
	// deferred SQLite transaction from another process), a concurrent
	// append makes this one fail rather than fork the chain.
	n, err := tx.AuditChain.Update().
		Where(auditchain.ID(chain.ID), auditchain.Seq(chain.Seq), auditchain.Head(chain.Head)).
		SetSeq(seq).SetHead(head).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: move chain head: %w", err)
	}
	if n != 1 {
		return nil, fmt.Errorf("audit: the chain of tenant %d moved during an append", tenantID)
	}
	return out, nil
}

// fields are e's stored fields as the viewer and request in ctx give
// them, hashed, at position seq after prev.
func (r *Recorder) fields(ctx context.Context, e Event, seq int64, prev string) Fields {
	v := viewer.FromContext(ctx)
	req := RequestFrom(ctx)
	at := e.At
	if at.IsZero() {
		at = r.Now()
	}
	f := Fields{
		TenantID:     v.TenantID,
		Seq:          seq,
		OccurredAt:   at.UTC().Truncate(time.Microsecond),
		ActorType:    actorType(v),
		ActorID:      actorID(v),
		ActorLabel:   actorLabel(v),
		AgentChain:   e.AgentChain,
		GrantID:      e.GrantID,
		ClientID:     e.ClientID,
		RunID:        e.RunID,
		CredType:     e.CredentialType,
		CredID:       e.CredentialID,
		Scope:        e.Scope,
		ApprovalReq:  e.ApprovalRequired,
		ApprovalID:   e.ApprovalID,
		Action:       e.Action,
		TargetType:   e.TargetType,
		TargetID:     e.TargetID,
		Outcome:      string(e.Outcome),
		Details:      e.Details,
		IP:           req.IP,
		UserAgent:    req.UserAgent,
		RequestID:    req.ID,
		PreviousHash: prev,
	}
	if len(f.AgentChain) > 0 {
		f.AgentID = f.AgentChain[0]
	}
	switch {
	case f.CredType != "":
	case v.Kind == viewer.APIToken:
		f.CredType, f.CredID = "api_token", strconv.Itoa(v.ID)
	case v.SessionID != 0:
		f.CredType, f.CredID = "session", strconv.Itoa(v.SessionID)
	}
	f.Hash = f.ComputeHash()
	return f
}

// create is the insert of f.
func create(tx *ent.Tx, f Fields) *ent.AuditEventCreate {
	return tx.AuditEvent.Create().
		SetTenantID(f.TenantID).
		SetSeq(f.Seq).
		SetOccurredAt(f.OccurredAt).
		SetActorType(f.ActorType).
		SetActorID(f.ActorID).
		SetActorLabel(f.ActorLabel).
		SetAgentID(f.AgentID).
		SetAgentChain(f.AgentChain).
		SetGrantID(f.GrantID).
		SetClientID(f.ClientID).
		SetRunID(f.RunID).
		SetCredentialType(f.CredType).
		SetCredentialID(f.CredID).
		SetScope(f.Scope).
		SetApprovalRequired(f.ApprovalReq).
		SetApprovalID(f.ApprovalID).
		SetAction(f.Action).
		SetTargetType(f.TargetType).
		SetTargetID(f.TargetID).
		SetOutcome(auditevent.Outcome(f.Outcome)).
		SetDetails(f.Details).
		SetIP(f.IP).
		SetUserAgent(f.UserAgent).
		SetRequestID(f.RequestID).
		SetPrevHash(f.PreviousHash).
		SetHash(f.Hash)
}

// StartChain creates the empty chain of a new tenant, inside the
// transaction that creates the tenant.
func StartChain(ctx context.Context, tx *ent.Tx, tenantID int) error {
	return tx.AuditChain.Create().SetTenantID(tenantID).Exec(ctx)
}

func actorType(v viewer.Viewer) string {
	if v.Kind == viewer.Anonymous {
		return "anonymous"
	}
	return string(v.Kind)
}

// actorLabel names the actor; for the system it says why the system acted
// (e.g. "system (cli: user create)"), which is who requested it.
func actorLabel(v viewer.Viewer) string {
	if v.Kind == viewer.System && v.Reason != "" {
		return v.Label + " (" + v.Reason + ")"
	}
	return v.Label
}

func actorID(v viewer.Viewer) string {
	if v.ID == 0 {
		return ""
	}
	return strconv.Itoa(v.ID)
}

// Fields is the hashed content of an event, in a fixed order.
type Fields struct {
	TenantID     int               `json:"tenant_id"`
	Seq          int64             `json:"seq"`
	OccurredAt   time.Time         `json:"occurred_at"`
	ActorType    string            `json:"actor_type"`
	ActorID      string            `json:"actor_id"`
	ActorLabel   string            `json:"actor_label"`
	AgentID      string            `json:"agent_id"`
	AgentChain   []string          `json:"agent_chain"`
	GrantID      string            `json:"grant_id"`
	ClientID     string            `json:"client_id"`
	RunID        string            `json:"run_id"`
	CredType     string            `json:"credential_type"`
	CredID       string            `json:"credential_id"`
	Scope        []string          `json:"scope"`
	ApprovalReq  bool              `json:"approval_required"`
	ApprovalID   string            `json:"approval_id"`
	Action       string            `json:"action"`
	TargetType   string            `json:"target_type"`
	TargetID     string            `json:"target_id"`
	Outcome      string            `json:"outcome"`
	Details      map[string]string `json:"details"`
	IP           string            `json:"ip"`
	UserAgent    string            `json:"user_agent"`
	RequestID    string            `json:"request_id"`
	PreviousHash string            `json:"prev_hash"`
	Hash         string            `json:"-"`
}

// ComputeHash returns the hex SHA-256 of the canonical JSON of f, which
// includes the previous event's hash.
func (f Fields) ComputeHash() string {
	c := f
	c.OccurredAt = c.OccurredAt.UTC()
	// nil and empty read back alike from every dialect.
	if len(c.AgentChain) == 0 {
		c.AgentChain = nil
	}
	if len(c.Scope) == 0 {
		c.Scope = nil
	}
	if len(c.Details) == 0 {
		c.Details = nil
	}
	b, err := json.Marshal(c) // map keys are sorted: the encoding is canonical
	if err != nil {
		panic(err) // strings, ints, a time and a map of strings always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FieldsOf returns the hashed content of a stored event.
func FieldsOf(e *ent.AuditEvent) Fields {
	return Fields{
		TenantID:     e.TenantID,
		Seq:          e.Seq,
		OccurredAt:   e.OccurredAt,
		ActorType:    e.ActorType,
		ActorID:      e.ActorID,
		ActorLabel:   e.ActorLabel,
		AgentID:      e.AgentID,
		AgentChain:   e.AgentChain,
		GrantID:      e.GrantID,
		ClientID:     e.ClientID,
		RunID:        e.RunID,
		CredType:     e.CredentialType,
		CredID:       e.CredentialID,
		Scope:        e.Scope,
		ApprovalReq:  e.ApprovalRequired,
		ApprovalID:   e.ApprovalID,
		Action:       e.Action,
		TargetType:   e.TargetType,
		TargetID:     e.TargetID,
		Outcome:      string(e.Outcome),
		Details:      e.Details,
		IP:           e.IP,
		UserAgent:    e.UserAgent,
		RequestID:    e.RequestID,
		PreviousHash: e.PrevHash,
		Hash:         e.Hash,
	}
}

// ForApproval is the event of action on an approval request: the agent,
// its chain, run, grant and scope, and the approval id, as every
// approval.* event names them.
func ForApproval(row *ent.ApprovalRequest, action string, outcome Outcome, details map[string]string) Event {
	ev := Event{Action: action, TargetType: "approval_request", TargetID: row.PublicID, Outcome: outcome,
		ClientID: row.ClientID, AgentChain: row.AgentChain, RunID: row.Run, Scope: row.Scopes,
		ApprovalRequired: row.Kind == approvalrequest.KindAction, ApprovalID: row.PublicID, Details: details}
	if row.GrantID != 0 {
		ev.GrantID = strconv.Itoa(row.GrantID)
	}
	return ev
}
