-- +goose Up
-- create "signing_keys" table
CREATE TABLE `signing_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kid` text NOT NULL, `alg` text NOT NULL, `public_jwk` text NOT NULL, `private_sealed` blob NOT NULL, `activates_at` datetime NOT NULL, `superseded_at` datetime NULL, `unpublish_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `signing_keys_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "signing_keys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("signing_keys", 42949672960);
-- create index "signing_keys_kid_key" to table: "signing_keys"
CREATE UNIQUE INDEX `signing_keys_kid_key` ON `signing_keys` (`kid`);
-- create index "signingkey_tenant_id_alg_activates_at" to table: "signing_keys"
CREATE INDEX `signingkey_tenant_id_alg_activates_at` ON `signing_keys` (`tenant_id`, `alg`, `activates_at`);

-- +goose Down
-- reverse: create index "signingkey_tenant_id_alg_activates_at" to table: "signing_keys"
DROP INDEX `signingkey_tenant_id_alg_activates_at`;
-- reverse: create index "signing_keys_kid_key" to table: "signing_keys"
DROP INDEX `signing_keys_kid_key`;
-- reverse: set sequence for "signing_keys" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "signing_keys";
-- reverse: create "signing_keys" table
DROP TABLE `signing_keys`;
