-- +goose Up
-- create "credentials" table
CREATE TABLE `credentials` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `kind` text NOT NULL, `owner_kind` text NOT NULL, `owner_id` integer NOT NULL DEFAULT (0), `sealed` blob NOT NULL, `data_key_id` integer NOT NULL, `provider` text NOT NULL DEFAULT (''), `expires_at` datetime NULL, `last_used_at` datetime NULL, `rotated_at` datetime NULL, `revoked_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `credentials_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "credentials" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("credentials", 115964116992);
-- create index "credential_tenant_id_name" to table: "credentials"
CREATE UNIQUE INDEX `credential_tenant_id_name` ON `credentials` (`tenant_id`, `name`);
-- create index "credential_tenant_id_owner_kind_owner_id" to table: "credentials"
CREATE INDEX `credential_tenant_id_owner_kind_owner_id` ON `credentials` (`tenant_id`, `owner_kind`, `owner_id`);
-- create "data_keys" table
CREATE TABLE `data_keys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `wrapped` blob NOT NULL, `master_id` text NOT NULL, `rewrapped_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `data_keys_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "data_keys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("data_keys", 120259084288);
-- create "tools" table
CREATE TABLE `tools` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `upstream_url` text NOT NULL, `injection` text NOT NULL, `header_name` text NOT NULL DEFAULT (''), `header_template` text NOT NULL DEFAULT (''), `query_param` text NOT NULL DEFAULT (''), `credential_source` text NOT NULL DEFAULT ('workspace'), `credential_id` integer NOT NULL DEFAULT (0), `provider` text NOT NULL DEFAULT (''), `operations` text NOT NULL DEFAULT ('[]'), `redaction` text NOT NULL DEFAULT ('{}'), `internal` bool NOT NULL DEFAULT (false), `timeout_ms` integer NOT NULL DEFAULT (10000), `max_body_bytes` integer NOT NULL DEFAULT (10485760), `disabled` bool NOT NULL DEFAULT (false), `tenant_id` integer NOT NULL, CONSTRAINT `tools_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "tools" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("tools", 124554051584);
-- create index "tool_tenant_id_name" to table: "tools"
CREATE UNIQUE INDEX `tool_tenant_id_name` ON `tools` (`tenant_id`, `name`);

-- +goose Down
-- reverse: create index "tool_tenant_id_name" to table: "tools"
DROP INDEX `tool_tenant_id_name`;
-- reverse: set sequence for "tools" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "tools";
-- reverse: create "tools" table
DROP TABLE `tools`;
-- reverse: set sequence for "data_keys" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "data_keys";
-- reverse: create "data_keys" table
DROP TABLE `data_keys`;
-- reverse: create index "credential_tenant_id_owner_kind_owner_id" to table: "credentials"
DROP INDEX `credential_tenant_id_owner_kind_owner_id`;
-- reverse: create index "credential_tenant_id_name" to table: "credentials"
DROP INDEX `credential_tenant_id_name`;
-- reverse: set sequence for "credentials" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "credentials";
-- reverse: create "credentials" table
DROP TABLE `credentials`;
