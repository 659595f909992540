package social

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/gitlab"
	"golang.org/x/oauth2"
)

// withPKCE adds an S256 code challenge to an authorization URL.
func withPKCE(raw, challenge string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// exchange trades the code and verifier for tokens at the provider.
func exchange(ctx context.Context, hc *http.Client, conf *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, &loginError{code: CodeProviderError, msg: "the provider refused the sign-in (" + re.ErrorCode + "): try again", cause: err}
		}
		return nil, &loginError{code: CodeProviderUnavailable, msg: "the provider could not be reached: try again later", cause: err}
	}
	if tok.AccessToken == "" {
		return nil, &loginError{code: CodeProviderError, msg: "the provider sent no access token", cause: errors.New("no access token")}
	}
	return tok, nil
}

// oidcProvider signs in with an OpenID Connect provider: the ID token is
// verified by go-oidc (signature by the provider's JWKS, issuer, audience,
// expiry) and its nonce compared here.
type oidcProvider struct {
	conf     oauth2.Config
	http     *http.Client
	op       *oidc.Provider
	verifier *oidc.IDTokenVerifier
	kind     string
	// anyMicrosoftTenant: the common Microsoft endpoint, whose tokens'
	// issuers depend on their tid.
	anyMicrosoftTenant bool
}

func (p *oidcProvider) authURL(state, challenge, nonce string) (string, error) {
	return p.conf.AuthCodeURL(state, oauth2.SetAuthURLParam("code_challenge", challenge),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"), oidc.Nonce(nonce)), nil
}

// flexBool reads a claim some providers send as a string.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true":
		*b = true
	default:
		*b = false
	}
	return nil
}

func (p *oidcProvider) identity(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	tok, err := exchange(ctx, p.http, &p.conf, code, verifier)
	if err != nil {
		return Identity{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider sent no ID token", cause: errors.New("no id_token")}
	}
	vctx := oidc.ClientContext(ctx, p.http)
	idt, err := p.verifier.Verify(vctx, raw)
	if err != nil {
		return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider's ID token did not verify", cause: err}
	}
	var claims struct {
		Nonce         string   `json:"nonce"`
		Email         string   `json:"email"`
		EmailVerified flexBool `json:"email_verified"`
		Name          string   `json:"name"`
		TenantID      string   `json:"tid"`
		// Microsoft: the email's domain is verified by its owner.
		DomainVerified flexBool `json:"xms_edov"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider's ID token did not verify", cause: err}
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(nonce)) != 1 {
		return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider's ID token was not issued for this sign-in",
			cause: errors.New("nonce mismatch")}
	}
	if p.anyMicrosoftTenant {
		want := strings.Replace(microsoftIssuerTemplate, "{tenantid}", claims.TenantID, 1)
		if claims.TenantID == "" || idt.Issuer != want {
			return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider's ID token did not verify",
				cause: fmt.Errorf("issuer %q does not match tenant %q", idt.Issuer, claims.TenantID)}
		}
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider's ID token did not verify", cause: err}
		}
	}
	id := Identity{Subject: idt.Subject, Email: claims.Email, Name: claims.Name,
		EmailVerified: bool(claims.EmailVerified) || p.kind == KindMicrosoft && bool(claims.DomainVerified), token: tok}
	if id.Email == "" && p.op.UserInfoEndpoint() != "" {
		// Some providers put the address only in userinfo.
		ui, err := p.op.UserInfo(vctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Identity{}, &loginError{code: CodeProviderUnavailable, msg: "the provider could not be reached: try again later", cause: err}
		}
		if ui.Subject != idt.Subject {
			return Identity{}, &loginError{code: CodeInvalidToken, msg: "the provider's answers disagree about who signed in",
				cause: errors.New("userinfo subject differs from the ID token's")}
		}
		id.Email, id.EmailVerified = ui.Email, ui.EmailVerified
	}
	return id, nil
}

// githubProvider signs in with GitHub (or GitHub Enterprise Server): goth
// builds the authorization URL and fetches the user; the address is the
// account's primary verified one.
type githubProvider struct {
	conf     oauth2.Config
	http     *http.Client
	goth     *github.Provider
	emailURL string
}

func gothAuthURL(p goth.Provider, state, challenge string) (string, error) {
	sess, err := p.BeginAuth(state)
	if err != nil {
		return "", err
	}
	u, err := sess.GetAuthURL()
	if err != nil {
		return "", err
	}
	return withPKCE(u, challenge)
}

func (p *githubProvider) authURL(state, challenge, _ string) (string, error) {
	return gothAuthURL(p.goth, state, challenge)
}

func (p *githubProvider) identity(ctx context.Context, code, verifier, _ string) (Identity, error) {
	tok, err := exchange(ctx, p.http, &p.conf, code, verifier)
	if err != nil {
		return Identity{}, err
	}
	u, err := p.goth.FetchUser(&github.Session{AccessToken: tok.AccessToken})
	if err != nil && !errors.Is(err, github.ErrNoVerifiedGitHubPrimaryEmail) {
		return Identity{}, &loginError{code: CodeProviderUnavailable, msg: "GitHub could not be reached: try again later", cause: err}
	}
	if u.UserID == "" || u.UserID == "0" {
		return Identity{}, &loginError{code: CodeProviderError, msg: "GitHub did not say who signed in", cause: errors.New("no user id")}
	}
	id := Identity{Subject: u.UserID, Name: u.Name, token: tok}
	if id.Name == "" {
		id.Name = u.NickName
	}
	email, err := primaryVerifiedEmail(ctx, p.http, p.emailURL, tok.AccessToken)
	if err != nil {
		return Identity{}, &loginError{code: CodeProviderUnavailable, msg: "GitHub could not be reached: try again later", cause: err}
	}
	if email != "" {
		id.Email, id.EmailVerified = email, true
	} else {
		id.Email = u.Email // public, but not known to be verified
	}
	return id, nil
}

// primaryVerifiedEmail asks GitHub for the account's addresses and returns
// the primary one if GitHub verified it, else "".
func primaryVerifiedEmail(ctx context.Context, hc *http.Client, emailURL, token string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, emailURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		return "", nil // the user:email scope was not granted
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("GitHub answered %d for the user's addresses", resp.StatusCode)
	}
	var list []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return "", err
	}
	for _, e := range list {
		if e.Primary && e.Verified {
			return e.Email, nil
		}
	}
	return "", nil
}

// gitlabProvider signs in with GitLab (or a self-managed instance) through
// goth; the address counts as verified when GitLab says it was confirmed.
type gitlabProvider struct {
	conf oauth2.Config
	http *http.Client
	goth *gitlab.Provider
}

func (p *gitlabProvider) authURL(state, challenge, _ string) (string, error) {
	return gothAuthURL(p.goth, state, challenge)
}

func (p *gitlabProvider) identity(ctx context.Context, code, verifier, _ string) (Identity, error) {
	tok, err := exchange(ctx, p.http, &p.conf, code, verifier)
	if err != nil {
		return Identity{}, err
	}
	u, err := p.goth.FetchUser(&gitlab.Session{AccessToken: tok.AccessToken})
	if err != nil {
		return Identity{}, &loginError{code: CodeProviderUnavailable, msg: "GitLab could not be reached: try again later", cause: err}
	}
	if u.UserID == "" || u.UserID == "0" {
		return Identity{}, &loginError{code: CodeProviderError, msg: "GitLab did not say who signed in", cause: errors.New("no user id")}
	}
	confirmed, _ := u.RawData["confirmed_at"].(string)
	name := u.Name
	if name == "" {
		name = u.NickName
	}
	return Identity{Subject: u.UserID, Email: u.Email, EmailVerified: u.Email != "" && confirmed != "", Name: name, token: tok}, nil
}
