// Package mfa owns a person's authenticator app (TOTP, RFC 6238, on
// github.com/pquerna/otp) and recovery codes: enrolling and confirming an
// app, checking its codes (each accepted once), single-use recovery codes,
// the second step of a sign-in with either, step-up of a session with a
// code, and an admin's reset of a member's factors. Its HTTP edge is
// /t/{slug}/auth/mfa/… and /t/{slug}/auth/step-up/totp.
//
// Codes are 6 digits, SHA-1, 30-second steps (what every authenticator
// app does by default), accepted one step early or late. A code is
// accepted once, and never a code of a step at or before the last one
// accepted: the check is a conditional UPDATE of last_used_step, so two
// requests racing with one code get one success. Wrong codes count against
// the person's account (and the client address) in auth/ratelimit, like
// wrong passwords. The shared secret is sealed (internal/seal) bound to the
// workspace and the person.
//
// Recovery codes are 10 random base32 characters each, shown grouped
// (ABCDE-FGHIJ), stored as SHA-256 hashes bound to their owner; 10 come
// with the first app, regenerating replaces the whole set, and using one
// is audited and mailed to its owner.
//
// It does not open sessions or decide when a second factor is due:
// auth/signin does (FirstFactor, CompletePending, StepUp, RequireRecent),
// asking this package through signin.Factors. Passkeys are auth/passkey's;
// an admin reset reaches them through Resetter.
package mfa
