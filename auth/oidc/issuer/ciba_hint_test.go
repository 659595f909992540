package issuer_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/mandatehq/mandate/auth/oidc/clients"
	"github.com/mandatehq/mandate/ent/user"
	"github.com/mandatehq/mandate/internal/database"
	"github.com/mandatehq/mandate/internal/testdb"
)

// idTokenIn runs a code flow with openid for an app of a workspace, as
// that workspace's Ann, and returns her ID token.
func (c *cibaWorld) idTokenIn(slug string) string {
	c.t.Helper()
	id, secret := c.register(c.t, slug, clients.NewClient{Name: "Portal", RedirectURIs: []string{callback},
		GrantTypes: []string{clients.GrantAuthorizationCode}, Scopes: []string{"openid", "email"}})
	b := c.browser(c.t)
	b.signIn(slug, "ann@"+slug+".test")
	conf := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{
		AuthURL: c.issuerURL(slug) + "/oauth2/authorize", TokenURL: c.issuerURL(slug) + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(conf.AuthCodeURL("state-"+randomJTI(), oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		c.t.Fatalf("code flow in %s: %v", slug, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		c.t.Fatalf("no ID token from the code flow in %s", slug)
	}
	return raw
}

// An ID token this issuer gave Ann names her; a forged, tampered or
// foreign one, or a token that is not an ID token, is invalid_request.
// login_hint names a member by email or by subject.
func TestCIBAHintsNameThePerson(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		c := newCIBAWorld(t, db)
		idToken := c.idTokenIn("acme")
		foreign := c.idTokenIn("other")
		otherAnn, err := db.Client.User.Query().Where(user.Email("ann@other.test")).Only(c.sys("other"))
		if err != nil {
			t.Fatal(err)
		}

		// A key of our own, under the kid of the workspace's real key.
		set := fetchJWKS(t, c.world, "acme")
		forger := newClientKey(t)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: forger.priv, KeyID: set.Keys[0].KeyID}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		forged, err := josejwt.Signed(signer).Claims(josejwt.Claims{Issuer: c.iss, Subject: strconv.Itoa(c.annID),
			Audience: josejwt.Audience{c.billing}, IssuedAt: josejwt.NewNumericDate(time.Now()), Expiry: josejwt.NewNumericDate(time.Now().Add(time.Hour))}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(idToken, ".")
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+c.iss+`","sub":"1"}`)) + "." + parts[2]
		unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

		ask := func(hint, value string) (int, map[string]any) {
			return c.post("/oauth2/bc-authorize", url.Values{hint: {value}, "scope": {"openid refunds:execute"},
				"authorization_details": {refund}, "subject_token": {c.obo}})
		}
		for name, tc := range map[string]struct{ hint, value, code string }{
			"Ann's ID token":                 {"id_token_hint", idToken, ""},
			"Ann's subject":                  {"login_hint", strconv.Itoa(c.annID), ""},
			"Ann's email in capitals":        {"login_hint", "ANN@ACME.TEST", ""},
			"an ID token of another issuer":  {"id_token_hint", foreign, "invalid_request"},
			"a forged ID token":              {"id_token_hint", forged, "invalid_request"},
			"a tampered ID token":            {"id_token_hint", tampered, "invalid_request"},
			"an unsigned ID token":           {"id_token_hint", unsigned, "invalid_request"},
			"an access token":                {"id_token_hint", c.obo, "invalid_request"},
			"not a JWT":                      {"id_token_hint", "x.y.z", "invalid_request"},
			"another workspace's subject":    {"login_hint", strconv.Itoa(otherAnn.ID), "unknown_user_id"},
			"a subject nobody has":           {"login_hint", "999999", "unknown_user_id"},
			"another workspace's person":     {"login_hint", "ann@other.test", "unknown_user_id"},
			"a login_hint_token":             {"login_hint_token", idToken, "invalid_request"},
			"an ID token as the login_hint":  {"login_hint", idToken, "unknown_user_id"},
			"a subject with a sign and zero": {"login_hint", "+0" + strconv.Itoa(c.annID), ""},
		} {
			st, out := ask(tc.hint, tc.value)
			if tc.code == "" {
				if st != http.StatusOK {
					t.Errorf("%s: %d %v", name, st, out)
				} else if row := c.request(""); row.UserID != c.annID {
					t.Errorf("%s named user %d, not Ann", name, row.UserID)
				}
				continue
			}
			if st != http.StatusBadRequest || out["error"] != tc.code {
				t.Errorf("%s: %d %v, want %s", name, st, out, tc.code)
			}
		}
	})
}
