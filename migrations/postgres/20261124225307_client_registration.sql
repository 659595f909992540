-- +goose Up
-- modify "oauth_clients" table
ALTER TABLE "oauth_clients" ADD COLUMN "registration_token_hash" character varying NOT NULL DEFAULT '';

-- +goose Down
-- reverse: modify "oauth_clients" table
ALTER TABLE "oauth_clients" DROP COLUMN "registration_token_hash";
