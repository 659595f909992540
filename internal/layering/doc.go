// Package layering holds the test that keeps imports pointing one way:
// cmd → graph and HTTP → agents → auth → tenants → ent. It has no code.
package layering
