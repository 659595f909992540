-- +goose Up
-- modify "credentials" table
ALTER TABLE "credentials" ADD COLUMN "refresh_claimed_until" timestamptz NULL;

-- +goose Down
-- reverse: modify "credentials" table
ALTER TABLE "credentials" DROP COLUMN "refresh_claimed_until";
