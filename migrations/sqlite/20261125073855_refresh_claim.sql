-- +goose Up
-- add column "refresh_claimed_until" to table: "credentials"
ALTER TABLE `credentials` ADD COLUMN `refresh_claimed_until` datetime NULL;

-- +goose Down
-- reverse: add column "refresh_claimed_until" to table: "credentials"
ALTER TABLE `credentials` DROP COLUMN `refresh_claimed_until`;
