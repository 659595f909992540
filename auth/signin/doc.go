// Package signin implements the email + password flows of a workspace at
// /t/{slug}/auth/…: sign up, sign in, sign out, email verification, forgot
// and reset password, and listing and revoking one's sessions. Every answer
// that could reveal whether an account exists is the same, in about the
// same time, for both; failures count against the account and the client's
// address in the database (auth/ratelimit); every outcome is audited.
//
// Sessions live in auth/session, passwords in auth/password, emails in
// auth/mail. This package owns the flows and their HTTP edge.
package signin
