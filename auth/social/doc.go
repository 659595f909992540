// Package social signs people in through a workspace's own identity
// providers: GitHub, Google, Microsoft, GitLab and any OpenID Connect
// provider. It owns
//
//   - the providers a workspace configures (admins; the client secret is
//     sealed with internal/seal and never returned),
//   - a per-workspace registry of built providers, made lazily, cached per
//     workspace and provider, and rebuilt when the provider's row changes
//     (so a change made on another replica is seen too),
//   - the login dance: state, PKCE (S256) and, for OpenID Connect kinds, a
//     nonce on every login, all kept server-side in a single-use
//     AuthChallenge named by the state and bound to the browser by a
//     cookie; ID tokens verified with coreos/go-oidc (signature by JWKS,
//     issuer, audience, expiry) and the nonce compared here; GitHub and
//     GitLab users fetched through goth,
//   - account resolution (an existing link, an automatic link by an address
//     the provider verified when the provider allows it, or a new account
//     within the workspace's sign-up mode), explicit linking from the
//     account page, and unlinking that never leaves an account with no way
//     to sign in,
//   - connected accounts (connect.go): a signed-in person connects an
//     account at a provider (the same dance in "connect" mode, with extra
//     scopes); the tokens go straight to a TokenStore (the vault, wired by
//     cmd/mandate) and never to the browser, and RefreshToken renews them
//     server-side for the tool gateway.
//
// It does not open sessions itself: a federated identity is a first factor,
// handed to auth/signin's Flows.FirstFactor with amr ["fed"], which opens
// the session or a pending second step.
//
// goth's global provider registry (goth.UseProviders) is not used: each
// workspace's providers live in this package's own map, and goth providers
// are called directly (BeginAuth, FetchUser). The code exchange is done
// here with golang.org/x/oauth2 because goth's GitHub and GitLab sessions
// cannot send a PKCE verifier.
package social
