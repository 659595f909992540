// Command reference plays Mandate's reference scenario against a running
// server: see package reference.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/mandatehq/mandate/examples/reference"
)

func main() {
	var cfg reference.Config
	flag.StringVar(&cfg.Base, "base", "http://127.0.0.1:8080", "the server's base URL")
	flag.StringVar(&cfg.Tenant, "tenant", "acme", "the workspace's slug")
	flag.StringVar(&cfg.Email, "email", "", "Ann's email (a member who may manage billing)")
	flag.StringVar(&cfg.Password, "password", os.Getenv("REFERENCE_PASSWORD"), "Ann's password (or REFERENCE_PASSWORD)")
	flag.StringVar(&cfg.AdminToken, "token", os.Getenv("MANDATE_API_TOKEN"), "an admin API token of the workspace (or MANDATE_API_TOKEN)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := reference.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reference scenario:", err)
		os.Exit(1)
	}
}
