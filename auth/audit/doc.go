// Package audit owns the append-only, hash-chained audit log: appending an
// event inside the transaction of the change it records, and verifying a
// tenant's chain. Each event's hash covers its fields and the previous
// event's hash; the tenant's chain head (sequence and hash) is updated in the
// same transaction, so an altered, removed or truncated event is detected.
//
// It is a leaf any domain package may import. It does not decide who may do
// what; it records what was decided.
package audit
