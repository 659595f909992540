-- +goose Up
-- modify "audit_chains" table
ALTER TABLE "audit_chains" ADD COLUMN "authority_version" bigint NOT NULL DEFAULT 0;

-- +goose Down
-- reverse: modify "audit_chains" table
ALTER TABLE "audit_chains" DROP COLUMN "authority_version";
