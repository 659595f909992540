package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/agents/vault"
	"github.com/mandatehq/mandate/auth/audit"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/ent/agent"
	"github.com/mandatehq/mandate/ent/credential"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/graph"
)

// vaultEdge serves the vault's GraphQL fields; it has no routes of its
// own (the tool gateway opens credentials).
type vaultEdge struct {
	svc   *vault.Service
	conns *vault.Connections
}

// Mount adds nothing: the vault is managed through GraphQL only.
func (vaultEdge) Mount(*http.ServeMux) {}

// wireGraph adds the edge's GraphQL services.
func (e vaultEdge) wireGraph(gh *graph.Handler) *graph.Handler {
	return gh.WithVault(e.svc).WithConnections(e.conns)
}

// newVault builds the vault with the configured master secrets: the
// current one, then the previous ones (during a rotation).
func (a *app) newVault() (*vault.Service, error) {
	return vault.New(vault.Config{Client: a.db.Client, Audit: audit.NewRecorder(), Masters: a.cfg.Masters(), Log: a.log})
}

// credentialJSON is a credential as the CLI prints it: metadata only, the
// value never.
type credentialJSON struct {
	ID         int        `json:"id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	OwnerKind  string     `json:"owner_kind"`
	OwnerID    int        `json:"owner_id,omitempty"`
	Provider   string     `json:"provider,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RotatedAt  *time.Time `json:"rotated_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func credentialOf(c *ent.Credential) credentialJSON {
	return credentialJSON{ID: c.ID, Name: c.Name, Kind: string(c.Kind), OwnerKind: string(c.OwnerKind), OwnerID: c.OwnerID,
		Provider: c.Provider, ExpiresAt: c.ExpiresAt, LastUsedAt: c.LastUsedAt, RotatedAt: c.RotatedAt, RevokedAt: c.RevokedAt,
		CreatedAt: c.CreatedAt.UTC()}
}

func credentialText(c credentialJSON) string {
	owner := c.OwnerKind
	if c.OwnerID != 0 {
		owner = fmt.Sprintf("%s %d", c.OwnerKind, c.OwnerID)
	}
	status := "active"
	if c.RevokedAt != nil {
		status = "revoked"
	}
	return fmt.Sprintf("%d  %s  %s  %s  %s", c.ID, c.Name, c.Kind, owner, status)
}

// readSecret reads a secret from a file or stdin, dropping one trailing
// line end; it is never echoed.
func readSecret(cmd *cobra.Command, file string, stdin bool) (string, error) {
	var (
		b   []byte
		err error
	)
	switch {
	case file != "" && stdin:
		return "", errors.New("give --value-file or --value-stdin, not both")
	case file != "":
		if b, err = os.ReadFile(file); err != nil {
			return "", fmt.Errorf("--value-file: %w", err)
		}
	case stdin:
		if b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 16<<10)); err != nil {
			return "", fmt.Errorf("--value-stdin: %w", err)
		}
	default:
		return "", errors.New("give the secret with --value-file FILE or --value-stdin (never on the command line)")
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return "", errors.New("the secret is empty")
	}
	return string(b), nil
}

// secretOf is the value of a credential of kind from the secret read and
// the username.
func secretOf(kind credential.Kind, value, username string) vault.Secret {
	switch kind {
	case credential.KindBasic:
		return vault.Secret{Username: username, Password: value}
	case credential.KindOauth2:
		return vault.Secret{AccessToken: value}
	}
	return vault.Secret{Token: value}
}

// resolveOwner reads --owner: workspace, user:EMAIL or agent:CLIENT_ID.
func (a *app) resolveOwner(ctx context.Context, owner string) (credential.OwnerKind, int, error) {
	kind, ref, _ := strings.Cut(owner, ":")
	switch {
	case owner == "" || owner == "workspace":
		return credential.OwnerKindWorkspace, 0, nil
	case kind == "user" && ref != "":
		u, err := a.db.Client.User.Query().Where(user.EmailEqualFold(ref)).Only(ctx)
		if err != nil {
			return "", 0, fmt.Errorf("--owner %s: no such person in this workspace", owner)
		}
		return credential.OwnerKindUser, u.ID, nil
	case kind == "agent" && ref != "":
		ag, err := a.db.Client.Agent.Query().Where(agent.ClientID(ref)).Only(ctx)
		if err != nil {
			return "", 0, fmt.Errorf("--owner %s: no such agent in this workspace", owner)
		}
		return credential.OwnerKindAgent, ag.ID, nil
	}
	return "", 0, fmt.Errorf("--owner %q: write workspace, user:EMAIL or agent:CLIENT_ID", owner)
}

// vaultCmd manages the vault's credentials as the workspace's system:
// values go in from a file or stdin and never come out.
func (a *app) vaultCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "vault", Short: "Store, list, rotate and revoke the third-party credentials agents' tools use"}
	var (
		slug, name, kind, owner, valueFile, username, provider string
		valueStdin                                             bool
		id                                                     int
	)
	open := func(cmd *cobra.Command, why string) (context.Context, *vault.Service, error) {
		if _, err := a.cfg.LoadSecret(); err != nil {
			return nil, nil, err
		}
		sys, err := a.openAsOperator(cmd.Context(), slug, why)
		if err != nil {
			return nil, nil, err
		}
		v, err := a.newVault()
		return sys, v, err
	}
	one := func(c *ent.Credential, verb string) error {
		j := credentialOf(c)
		return a.emit(j, "credential %s: %s", verb, credentialText(j))
	}
	add := &cobra.Command{
		Use:   "add",
		Short: "Store a credential; its value is read from a file or stdin and never shown again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k := credential.Kind(kind)
			if err := credential.KindValidator(k); err != nil {
				return fmt.Errorf("--kind %q: write api_key, bearer, basic or oauth2", kind)
			}
			if (k == credential.KindBasic) != (username != "") {
				return errors.New("--username goes with --kind basic, and only with it")
			}
			value, err := readSecret(cmd, valueFile, valueStdin)
			if err != nil {
				return err
			}
			sys, v, err := open(cmd, "vault add")
			if err != nil {
				return err
			}
			ok, oid, err := a.resolveOwner(sys, owner)
			if err != nil {
				return err
			}
			c, err := v.Create(sys, vault.NewCredential{Name: name, Kind: k, OwnerKind: ok, OwnerID: oid,
				Value: secretOf(k, value, username), Provider: provider})
			if err != nil {
				return err
			}
			return one(c, "stored")
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List a workspace's credentials (metadata only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, v, err := open(cmd, "vault list")
			if err != nil {
				return err
			}
			cs, err := v.List(sys)
			if err != nil {
				return err
			}
			js := make([]credentialJSON, 0, len(cs))
			lines := make([]string, 0, len(cs))
			for _, c := range cs {
				js = append(js, credentialOf(c))
				lines = append(lines, credentialText(js[len(js)-1]))
			}
			if len(lines) == 0 {
				lines = append(lines, "no credentials in "+slug)
			}
			return a.emit(map[string]any{"tenant": slug, "credentials": js}, "%s", strings.Join(lines, "\n"))
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace a credential's value, keeping its id (tools keep using it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			value, err := readSecret(cmd, valueFile, valueStdin)
			if err != nil {
				return err
			}
			sys, v, err := open(cmd, "vault rotate")
			if err != nil {
				return err
			}
			cur, err := a.db.Client.Credential.Get(sys, id)
			if err != nil {
				return fmt.Errorf("credential %d: not found in %s", id, slug)
			}
			if cur.Kind == credential.KindBasic && username == "" {
				return errors.New("--username is required to rotate a basic credential")
			}
			c, err := v.Rotate(sys, id, secretOf(cur.Kind, value, username))
			if err != nil {
				return err
			}
			return one(c, "rotated")
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a credential: the gateway stops using it at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sys, v, err := open(cmd, "vault revoke")
			if err != nil {
				return err
			}
			c, err := v.Revoke(sys, id)
			if err != nil {
				return err
			}
			return one(c, "revoked")
		},
	}
	for _, c := range []*cobra.Command{add, list, rotate, revoke} {
		c.Flags().StringVar(&slug, "tenant", "", "the workspace's slug (required)")
		_ = c.MarkFlagRequired("tenant")
	}
	for _, c := range []*cobra.Command{rotate, revoke} {
		c.Flags().IntVar(&id, "id", 0, "the credential's id, as vault list shows it (required)")
		_ = c.MarkFlagRequired("id")
	}
	for _, c := range []*cobra.Command{add, rotate} {
		c.Flags().StringVar(&valueFile, "value-file", "", "read the secret from this file (one trailing newline is dropped)")
		c.Flags().BoolVar(&valueStdin, "value-stdin", false, "read the secret from stdin")
		c.Flags().StringVar(&username, "username", "", "the username of a basic credential (the secret is its password)")
	}
	add.Flags().StringVar(&name, "name", "", "the credential's name, unique in the workspace (required)")
	add.Flags().StringVar(&kind, "kind", "", "api_key, bearer, basic or oauth2 (the secret is the access token) (required)")
	add.Flags().StringVar(&owner, "owner", "workspace", "workspace, user:EMAIL or agent:CLIENT_ID")
	add.Flags().StringVar(&provider, "provider", "", "the OAuth provider of an oauth2 credential, a label")
	_ = add.MarkFlagRequired("name")
	_ = add.MarkFlagRequired("kind")
	cmd.AddCommand(add, list, rotate, revoke)
	return cmd
}

// rotateMasterCmd re-wraps every vault data key under a new master secret.
// The running servers must already know it (MANDATE_SECRET=new,
// MANDATE_PREVIOUS_SECRETS=old); this command knows the new one, the
// current MANDATE_SECRET and the previous ones.
func (a *app) rotateMasterCmd() *cobra.Command {
	var newFile string
	cmd := &cobra.Command{
		Use:   "rotate-master",
		Short: "Re-wrap every vault data key and re-seal every value sealed with the master secret under a new master secret",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(newFile)
			if err != nil {
				return fmt.Errorf("--new-secret-file: %w", err)
			}
			newSecret := strings.TrimRight(string(b), "\r\n")
			if len(newSecret) < MinSecretLen {
				return fmt.Errorf("--new-secret-file holds fewer than %d characters", MinSecretLen)
			}
			if _, err := a.cfg.LoadSecret(); err != nil {
				return err
			}
			if err := a.open(cmd.Context()); err != nil {
				return err
			}
			masters := [][]byte{[]byte(newSecret)}
			for _, m := range a.cfg.Masters() {
				if string(m) != newSecret {
					masters = append(masters, m)
				}
			}
			v, err := vault.New(vault.Config{Client: a.db.Client, Audit: audit.NewRecorder(), Masters: masters, Log: a.log})
			if err != nil {
				return err
			}
			ctx := audit.WithRequest(cmd.Context(), audit.Request{UserAgent: "mandate-cli"})
			n, err := v.RotateMaster(ctx)
			if err != nil {
				return fmt.Errorf("%w (%d data keys re-wrapped before the failure; run it again once fixed)", err, n)
			}
			// Then every value sealed with the master directly.
			resealed, err := a.resealAll(ctx, masters)
			if err != nil {
				return fmt.Errorf("%w (data keys re-wrapped; run it again once fixed: what moved stays moved)", err)
			}
			return a.emit(map[string]any{"rewrapped": n, "resealed": resealed, "master_id": vault.MasterID([]byte(newSecret))},
				"re-wrapped %d vault data keys and re-sealed %d TOTP secrets, %d identity provider secrets, %d webhook secrets and ping tokens, %d signing keys under master %s",
				n, resealed["totp_secrets"], resealed["identity_provider_secrets"], resealed["webhook_secrets"], resealed["signing_keys"],
				vault.MasterID([]byte(newSecret)))
		},
	}
	cmd.Flags().StringVar(&newFile, "new-secret-file", "", "file holding the new master secret (required)")
	_ = cmd.MarkFlagRequired("new-secret-file")
	return cmd
}
