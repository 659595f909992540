-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_oauth_tokens" table
CREATE TABLE `new_oauth_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `signature` text NOT NULL, `request_id` text NOT NULL, `client_id` text NOT NULL, `subject` text NOT NULL DEFAULT (''), `sid` text NOT NULL DEFAULT (''), `grant_id` integer NOT NULL DEFAULT (0), `active` bool NOT NULL DEFAULT (true), `requested_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `data` blob NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_tokens_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_oauth_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_oauth_tokens", 55834574848);
-- copy rows from old table "oauth_tokens" to new temporary table "new_oauth_tokens"
INSERT INTO `new_oauth_tokens` (`id`, `kind`, `signature`, `request_id`, `client_id`, `subject`, `sid`, `active`, `requested_at`, `expires_at`, `data`, `tenant_id`) SELECT `id`, `kind`, `signature`, `request_id`, `client_id`, `subject`, `sid`, `active`, `requested_at`, `expires_at`, `data`, `tenant_id` FROM `oauth_tokens`;
-- drop "oauth_tokens" table after copying rows
DROP TABLE `oauth_tokens`;
-- rename temporary table "new_oauth_tokens" to "oauth_tokens"
ALTER TABLE `new_oauth_tokens` RENAME TO `oauth_tokens`;
-- create index "oauthtoken_kind_signature" to table: "oauth_tokens"
CREATE UNIQUE INDEX `oauthtoken_kind_signature` ON `oauth_tokens` (`kind`, `signature`);
-- create index "oauthtoken_request_id" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_request_id` ON `oauth_tokens` (`request_id`);
-- create index "oauthtoken_tenant_id_client_id_subject" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_tenant_id_client_id_subject` ON `oauth_tokens` (`tenant_id`, `client_id`, `subject`);
-- create index "oauthtoken_expires_at" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_expires_at` ON `oauth_tokens` (`expires_at`);
-- create index "oauthtoken_grant_id" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_grant_id` ON `oauth_tokens` (`grant_id`);
-- create "new_oauth_clients" table
CREATE TABLE `new_oauth_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` text NOT NULL, `kind` text NOT NULL DEFAULT ('app'), `name` text NOT NULL, `secret_hash` text NOT NULL DEFAULT (''), `public` bool NOT NULL DEFAULT (false), `token_endpoint_auth_method` text NOT NULL, `redirect_uris` json NULL, `grant_types` json NOT NULL, `response_types` json NULL, `scopes` json NULL, `jwks` text NOT NULL DEFAULT (''), `jwks_uri` text NOT NULL DEFAULT (''), `token_format` text NOT NULL DEFAULT ('jwt'), `require_par` bool NOT NULL DEFAULT (false), `post_logout_redirect_uris` json NULL, `backchannel_logout_uri` text NOT NULL DEFAULT (''), `signing_alg` text NOT NULL DEFAULT ('ES256'), `audience` json NULL, `access_token_ttl` integer NOT NULL DEFAULT (0), `refresh_token_ttl` integer NOT NULL DEFAULT (0), `registration_token_hash` text NOT NULL DEFAULT (''), `disabled_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_clients_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_oauth_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_oauth_clients", 47244640256);
-- copy rows from old table "oauth_clients" to new temporary table "new_oauth_clients"
INSERT INTO `new_oauth_clients` (`id`, `created_at`, `updated_at`, `client_id`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `signing_alg`, `audience`, `access_token_ttl`, `refresh_token_ttl`, `registration_token_hash`, `disabled_at`, `tenant_id`) SELECT `id`, `created_at`, `updated_at`, `client_id`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `signing_alg`, `audience`, `access_token_ttl`, `refresh_token_ttl`, `registration_token_hash`, `disabled_at`, `tenant_id` FROM `oauth_clients`;
-- drop "oauth_clients" table after copying rows
DROP TABLE `oauth_clients`;
-- rename temporary table "new_oauth_clients" to "oauth_clients"
ALTER TABLE `new_oauth_clients` RENAME TO `oauth_clients`;
-- create index "oauth_clients_client_id_key" to table: "oauth_clients"
CREATE UNIQUE INDEX `oauth_clients_client_id_key` ON `oauth_clients` (`client_id`);
-- create index "oauthclient_tenant_id_name" to table: "oauth_clients"
CREATE INDEX `oauthclient_tenant_id_name` ON `oauth_clients` (`tenant_id`, `name`);
-- create "agents" table
CREATE TABLE `agents` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `role` text NOT NULL DEFAULT (''), `sponsor_id` integer NOT NULL, `status` text NOT NULL DEFAULT ('active'), `scope_ceiling` json NOT NULL, `tools` json NULL, `created_by_kind` text NOT NULL, `created_by_id` integer NOT NULL DEFAULT (0), `parent_id` integer NOT NULL DEFAULT (0), `depth` integer NOT NULL DEFAULT (0), `parent_run` text NOT NULL DEFAULT (''), `metadata` json NULL, `client_id` text NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `agents_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "agents" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("agents", 64424509440);
-- create index "agents_client_id_key" to table: "agents"
CREATE UNIQUE INDEX `agents_client_id_key` ON `agents` (`client_id`);
-- create index "agent_tenant_id_parent_id" to table: "agents"
CREATE INDEX `agent_tenant_id_parent_id` ON `agents` (`tenant_id`, `parent_id`);
-- create index "agent_tenant_id_sponsor_id" to table: "agents"
CREATE INDEX `agent_tenant_id_sponsor_id` ON `agents` (`tenant_id`, `sponsor_id`);
-- create "delegation_grants" table
CREATE TABLE `delegation_grants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `agent_id` integer NOT NULL, `scopes` json NOT NULL, `expires_at` datetime NOT NULL, `authorization_details` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('active'), `revoked_at` datetime NULL, `revoked_by` text NOT NULL DEFAULT (''), `tenant_id` integer NOT NULL, CONSTRAINT `delegation_grants_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "delegation_grants" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("delegation_grants", 68719476736);
-- create index "delegationgrant_tenant_id_user_id" to table: "delegation_grants"
CREATE INDEX `delegationgrant_tenant_id_user_id` ON `delegation_grants` (`tenant_id`, `user_id`);
-- create index "delegationgrant_tenant_id_agent_id" to table: "delegation_grants"
CREATE INDEX `delegationgrant_tenant_id_agent_id` ON `delegation_grants` (`tenant_id`, `agent_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "delegationgrant_tenant_id_agent_id" to table: "delegation_grants"
DROP INDEX `delegationgrant_tenant_id_agent_id`;
-- reverse: create index "delegationgrant_tenant_id_user_id" to table: "delegation_grants"
DROP INDEX `delegationgrant_tenant_id_user_id`;
-- reverse: set sequence for "delegation_grants" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "delegation_grants";
-- reverse: create "delegation_grants" table
DROP TABLE `delegation_grants`;
-- reverse: create index "agent_tenant_id_sponsor_id" to table: "agents"
DROP INDEX `agent_tenant_id_sponsor_id`;
-- reverse: create index "agent_tenant_id_parent_id" to table: "agents"
DROP INDEX `agent_tenant_id_parent_id`;
-- reverse: create index "agents_client_id_key" to table: "agents"
DROP INDEX `agents_client_id_key`;
-- reverse: set sequence for "agents" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "agents";
-- reverse: create "agents" table
DROP TABLE `agents`;
-- reverse: create index "oauthclient_tenant_id_name" to table: "oauth_clients"
DROP INDEX `oauthclient_tenant_id_name`;
-- reverse: create index "oauth_clients_client_id_key" to table: "oauth_clients"
DROP INDEX `oauth_clients_client_id_key`;
-- reverse: set sequence for "new_oauth_clients" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_oauth_clients";
-- reverse: create "new_oauth_clients" table
DROP TABLE `new_oauth_clients`;
-- reverse: create index "oauthtoken_grant_id" to table: "oauth_tokens"
DROP INDEX `oauthtoken_grant_id`;
-- reverse: create index "oauthtoken_expires_at" to table: "oauth_tokens"
DROP INDEX `oauthtoken_expires_at`;
-- reverse: create index "oauthtoken_tenant_id_client_id_subject" to table: "oauth_tokens"
DROP INDEX `oauthtoken_tenant_id_client_id_subject`;
-- reverse: create index "oauthtoken_request_id" to table: "oauth_tokens"
DROP INDEX `oauthtoken_request_id`;
-- reverse: create index "oauthtoken_kind_signature" to table: "oauth_tokens"
DROP INDEX `oauthtoken_kind_signature`;
-- reverse: set sequence for "new_oauth_tokens" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_oauth_tokens";
-- reverse: create "new_oauth_tokens" table
DROP TABLE `new_oauth_tokens`;
