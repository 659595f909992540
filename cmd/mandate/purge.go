package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mandatehq/mandate/internal/janitor"
)

// purgeEvery is how often mandate serve deletes long-expired rows.
const purgeEvery = 10 * time.Minute

func (a *app) purgeCmd() *cobra.Command {
	olderThan := janitor.DefaultGrace
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete expired OAuth tokens, sign-in challenges, device authorizations and one-time tokens (mandate serve does it every 10 minutes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if olderThan < 0 {
				return fmt.Errorf("--older-than must not be negative")
			}
			if err := a.open(cmd.Context()); err != nil {
				return err
			}
			c, err := janitor.Purge(cmd.Context(), a.db.Client, time.Now(), olderThan)
			if err != nil {
				return err
			}
			return a.emit(c, "deleted %d OAuth token records, %d sign-in challenges, %d device authorizations and %d one-time tokens expired more than %s ago",
				c.OAuthTokens, c.AuthChallenges, c.DeviceAuthorizations, c.OneTimeTokens, olderThan)
		},
	}
	cmd.Flags().DurationVar(&olderThan, "older-than", olderThan, "delete rows that expired more than this long ago")
	return cmd
}
