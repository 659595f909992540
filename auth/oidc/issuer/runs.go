package issuer

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"

	"github.com/ory/fosite"

	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/agentrun"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Agent runs. An agent's token request may name the run it serves (`run`)
// and the run that started it (`parent_run`). A run is recorded as an
// AgentRun row by the first token that names it, in the transaction that
// stores the token and its audit event, and touched (last_seen_at) by
// every later one; a refused request records nothing. Runs form the tree
// a trace reads (agents/registry Trace).
//
// The rules, checked before any grant spends a code or consumes anything:
// a run id is 1-128 characters of [A-Za-z0-9._:-]; a run belongs to the
// agent that first named it; a parent run must be a recorded run of the
// requesting agent or one of its ancestors, and is fixed when the run is
// first recorded. Token exchange checks the same rules itself (exchangeGrant),
// where the parent run defaults to the subject token's run.

// maxRunID bounds a run id (the AgentRun column's length).
const maxRunID = 128

// validRunID: 1-128 characters of [A-Za-z0-9._:-].
func validRunID(s string) bool {
	if s == "" || len(s) > maxRunID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// resolveRun checks the run and parent run a token request names, for
// agent me, and writes the resolved pair back into form (where takeRun
// finds it when the token is minted). defaultParent is the parent of a
// new run the request does not name one for (the subject token's run in
// an exchange). An error is the protocol's invalid_request.
func (i *Issuer) resolveRun(ctx context.Context, me *AgentInfo, form url.Values, defaultParent string) (run, parent string, err error) {
	run, parent = form.Get("run"), form.Get("parent_run")
	if run == "" {
		if parent != "" {
			return "", "", fosite.ErrInvalidRequest.WithHint("parent_run names the parent of a run: name the run too.")
		}
		form.Del("parent_run")
		return "", "", nil
	}
	if !validRunID(run) {
		return "", "", fosite.ErrInvalidRequest.WithHint("run must be 1-128 characters of letters, digits and . _ : -")
	}
	if parent != "" && !validRunID(parent) {
		return "", "", fosite.ErrInvalidRequest.WithHint("parent_run must be 1-128 characters of letters, digits and . _ : -")
	}
	sys := viewer.AsSystem(ctx, "agent run")
	runs := i.cfg.Client.AgentRun
	existing, err := runs.Query().Where(agentrun.RunID(run)).Only(sys)
	switch {
	case err == nil:
		if existing.ClientID != me.ClientID {
			return "", "", fosite.ErrInvalidRequest.WithHint("The run " + strconv.Quote(run) + " belongs to another agent.")
		}
		if parent != "" && parent != existing.ParentRun {
			return "", "", fosite.ErrInvalidRequest.WithHint("The run " + strconv.Quote(run) + " was started under another parent run.")
		}
		parent = existing.ParentRun
	case ent.IsNotFound(err):
		explicit := parent != ""
		if !explicit {
			parent = defaultParent
		}
		if parent == run {
			return "", "", fosite.ErrInvalidRequest.WithHint("A run cannot be its own parent.")
		}
		if parent != "" {
			p, err := runs.Query().Where(agentrun.RunID(parent)).Only(sys)
			switch {
			case ent.IsNotFound(err) && !explicit:
				// A subject token's run from before runs were recorded:
				// the new run starts a tree of its own.
				parent = ""
			case ent.IsNotFound(err):
				return "", "", fosite.ErrInvalidRequest.WithHint("parent_run " + strconv.Quote(parent) + " is not a recorded run.")
			case err != nil:
				return "", "", fosite.ErrServerError.WithWrap(err)
			case !slices.Contains(me.Chain, p.ClientID):
				return "", "", fosite.ErrInvalidRequest.WithHint("parent_run " + strconv.Quote(parent) + " is not a run of this agent or one of its ancestors.")
			}
		}
	default:
		return "", "", fosite.ErrServerError.WithWrap(err)
	}
	form.Set("run", run)
	if parent == "" {
		form.Del("parent_run")
	} else {
		form.Set("parent_run", parent)
	}
	return run, parent, nil
}

// takeRun gives a token the run its request resolved. The code grant
// reloads the session from the authorization code after every handler
// has run, so the run travels in the request form, which resolveRun wrote.
// Only a token request carries one.
func takeRun(r fosite.Requester, sess *Session) {
	if _, ok := r.(fosite.AccessRequester); !ok {
		return
	}
	f := r.GetRequestForm()
	if run := f.Get("run"); run != "" {
		sess.Run, sess.ParentRun = run, f.Get("parent_run")
	}
}

// runHandler checks the run an agent names with the code, refresh,
// client_credentials or device grant. It comes first among the token
// endpoint's handlers, so a refused run spends no code. Token exchange
// checks its own (the parent run defaults to the subject token's).
type runHandler struct{ i *Issuer }

var _ fosite.TokenEndpointHandler = (*runHandler)(nil)

func (h *runHandler) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

func (h *runHandler) CanHandleTokenEndpointRequest(_ context.Context, r fosite.AccessRequester) bool {
	f := r.GetRequestForm()
	if f.Get("run") == "" && f.Get("parent_run") == "" {
		return false
	}
	gt := r.GetGrantTypes()
	return gt.ExactOne("authorization_code") || gt.ExactOne("refresh_token") || gt.ExactOne("client_credentials") || gt.ExactOne(grantDeviceCode)
}

func (h *runHandler) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	c, ok := r.GetClient().(*Client)
	if !ok || !c.Agent || h.i.cfg.Authority == nil {
		return fosite.ErrInvalidRequest.WithHint("Only an agent's token request may name a run.")
	}
	me, err := h.i.cfg.Authority.Agent(ctx, c.ID)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	if me == nil || !me.Active {
		return fosite.ErrInvalidClient.WithHint("The agent is not active.")
	}
	_, _, err = h.i.resolveRun(ctx, me, r.GetRequestForm(), "")
	return err
}

func (h *runHandler) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, _ fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	return nil
}

// errRunNotAgent: a token names a run, and its client is no agent.
var errRunNotAgent = errors.New("issuer: only an agent's token names a run")

// recordRun records the run an access token names, in tx (the token's
// own transaction): the first token of a run creates its row, every later
// one touches it. A row of another agent (a race with resolveRun's check)
// fails the token.
func (s *Store) recordRun(ctx context.Context, tx *ent.Tx, r fosite.Requester) error {
	sess, ok := r.GetSession().(*Session)
	if !ok || sess.Run == "" {
		return nil
	}
	sys := viewer.AsSystem(ctx, "agent run")
	clientID := r.GetClient().GetID()
	now := s.now().UTC()
	row, err := tx.AgentRun.Query().Where(agentrun.RunID(sess.Run)).Only(sys)
	switch {
	case err == nil:
		if row.ClientID != clientID {
			return fosite.ErrInvalidRequest.WithHint("The run " + strconv.Quote(sess.Run) + " belongs to another agent.")
		}
		return tx.AgentRun.UpdateOne(row).SetLastSeenAt(now).Exec(sys)
	case !ent.IsNotFound(err):
		return err
	}
	agentID, err := tx.Agent.Query().Where(agent.ClientID(clientID)).OnlyID(sys)
	if ent.IsNotFound(err) {
		return errRunNotAgent
	}
	if err != nil {
		return err
	}
	return tx.AgentRun.Create().SetRunID(sess.Run).SetParentRun(sess.ParentRun).SetAgentID(agentID).SetClientID(clientID).
		SetUserID(sess.UserID).SetGrantID(sess.GrantID).SetScopes([]string(r.GetGrantedScopes())).SetLastSeenAt(now).Exec(sys)
}
