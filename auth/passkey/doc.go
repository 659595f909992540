// Package passkey implements a workspace's passkeys (WebAuthn, on
// github.com/go-webauthn/webauthn): registering them, passwordless sign-in
// with discoverable credentials (also from the browser's autofill), a
// passkey as the second step after a password, step-up for a signed-in
// session, accepting an invitation with a passkey instead of a password
// (a passkey-only account), and listing, renaming and removing them.
//
// Every workspace is its own relying party: its id is the workspace's
// passkeyRpId setting or the base URL's host, its origins the
// passkeyOrigins setting or the base URL's origin, its name the
// workspace's. A ceremony's state (go-webauthn's SessionData) is held
// server-side in an AuthChallenge row, named by a random value in an
// HttpOnly cookie; it lasts five minutes and is spent by the first finish,
// whatever its outcome.
//
// The user handle given to authenticators is User.webauthn_handle (64
// random bytes, set by the first registration), never the account id. Sign
// counters and backup flags are stored and checked: a counter that does not
// advance (when either side is non-zero) marks the passkey clone_warning
// and refuses it.
//
// Sessions are opened by auth/signin's sign-in steps (Flows.FirstFactor,
// CompletePending, StepUp); this package owns the ceremonies and their HTTP
// edge at /t/{slug}/auth/passkeys/….
package passkey
