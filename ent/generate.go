// Package ent holds the generated data access code. Edit ent/schema and run
// `make generate`; never edit the generated files.
package ent

//go:generate go run -mod=mod ./entc.go
