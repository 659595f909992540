-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_oauth_clients" table
CREATE TABLE `new_oauth_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` text NOT NULL, `name` text NOT NULL, `secret_hash` text NOT NULL DEFAULT (''), `public` bool NOT NULL DEFAULT (false), `token_endpoint_auth_method` text NOT NULL, `redirect_uris` json NULL, `grant_types` json NOT NULL, `response_types` json NULL, `scopes` json NULL, `jwks` text NOT NULL DEFAULT (''), `jwks_uri` text NOT NULL DEFAULT (''), `token_format` text NOT NULL DEFAULT ('jwt'), `require_par` bool NOT NULL DEFAULT (false), `post_logout_redirect_uris` json NULL, `backchannel_logout_uri` text NOT NULL DEFAULT (''), `signing_alg` text NOT NULL DEFAULT ('ES256'), `audience` json NULL, `access_token_ttl` integer NOT NULL DEFAULT (0), `refresh_token_ttl` integer NOT NULL DEFAULT (0), `disabled_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_clients_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_oauth_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_oauth_clients", 47244640256);
-- copy rows from old table "oauth_clients" to new temporary table "new_oauth_clients"
INSERT INTO `new_oauth_clients` (`id`, `created_at`, `updated_at`, `client_id`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `disabled_at`, `tenant_id`) SELECT `id`, `created_at`, `updated_at`, `client_id`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `disabled_at`, `tenant_id` FROM `oauth_clients`;
-- drop "oauth_clients" table after copying rows
DROP TABLE `oauth_clients`;
-- rename temporary table "new_oauth_clients" to "oauth_clients"
ALTER TABLE `new_oauth_clients` RENAME TO `oauth_clients`;
-- create index "oauth_clients_client_id_key" to table: "oauth_clients"
CREATE UNIQUE INDEX `oauth_clients_client_id_key` ON `oauth_clients` (`client_id`);
-- create index "oauthclient_tenant_id_name" to table: "oauth_clients"
CREATE INDEX `oauthclient_tenant_id_name` ON `oauth_clients` (`tenant_id`, `name`);
-- create "device_authorizations" table
CREATE TABLE `device_authorizations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `device_code_hash` text NOT NULL, `user_code_hash` text NOT NULL, `client_id` text NOT NULL, `scopes` json NULL, `audience` json NULL, `status` text NOT NULL DEFAULT ('pending'), `user_id` integer NULL, `session` blob NULL, `expires_at` datetime NOT NULL, `interval` integer NOT NULL, `last_polled_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `device_authorizations_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "device_authorizations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("device_authorizations", 60129542144);
-- create index "device_authorizations_device_code_hash_key" to table: "device_authorizations"
CREATE UNIQUE INDEX `device_authorizations_device_code_hash_key` ON `device_authorizations` (`device_code_hash`);
-- create index "device_authorizations_user_code_hash_key" to table: "device_authorizations"
CREATE UNIQUE INDEX `device_authorizations_user_code_hash_key` ON `device_authorizations` (`user_code_hash`);
-- create index "deviceauthorization_expires_at" to table: "device_authorizations"
CREATE INDEX `deviceauthorization_expires_at` ON `device_authorizations` (`expires_at`);
-- create "oauth_consents" table
CREATE TABLE `oauth_consents` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `client_id` text NOT NULL, `scopes` json NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_consents_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "oauth_consents" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("oauth_consents", 51539607552);
-- create index "oauthconsent_tenant_id_user_id_client_id" to table: "oauth_consents"
CREATE UNIQUE INDEX `oauthconsent_tenant_id_user_id_client_id` ON `oauth_consents` (`tenant_id`, `user_id`, `client_id`);
-- create "oauth_tokens" table
CREATE TABLE `oauth_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `signature` text NOT NULL, `request_id` text NOT NULL, `client_id` text NOT NULL, `subject` text NOT NULL DEFAULT (''), `sid` text NOT NULL DEFAULT (''), `active` bool NOT NULL DEFAULT (true), `requested_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `data` blob NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_tokens_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "oauth_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("oauth_tokens", 55834574848);
-- create index "oauthtoken_kind_signature" to table: "oauth_tokens"
CREATE UNIQUE INDEX `oauthtoken_kind_signature` ON `oauth_tokens` (`kind`, `signature`);
-- create index "oauthtoken_request_id" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_request_id` ON `oauth_tokens` (`request_id`);
-- create index "oauthtoken_tenant_id_client_id_subject" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_tenant_id_client_id_subject` ON `oauth_tokens` (`tenant_id`, `client_id`, `subject`);
-- create index "oauthtoken_expires_at" to table: "oauth_tokens"
CREATE INDEX `oauthtoken_expires_at` ON `oauth_tokens` (`expires_at`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "oauthtoken_expires_at" to table: "oauth_tokens"
DROP INDEX `oauthtoken_expires_at`;
-- reverse: create index "oauthtoken_tenant_id_client_id_subject" to table: "oauth_tokens"
DROP INDEX `oauthtoken_tenant_id_client_id_subject`;
-- reverse: create index "oauthtoken_request_id" to table: "oauth_tokens"
DROP INDEX `oauthtoken_request_id`;
-- reverse: create index "oauthtoken_kind_signature" to table: "oauth_tokens"
DROP INDEX `oauthtoken_kind_signature`;
-- reverse: set sequence for "oauth_tokens" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "oauth_tokens";
-- reverse: create "oauth_tokens" table
DROP TABLE `oauth_tokens`;
-- reverse: create index "oauthconsent_tenant_id_user_id_client_id" to table: "oauth_consents"
DROP INDEX `oauthconsent_tenant_id_user_id_client_id`;
-- reverse: set sequence for "oauth_consents" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "oauth_consents";
-- reverse: create "oauth_consents" table
DROP TABLE `oauth_consents`;
-- reverse: create index "deviceauthorization_expires_at" to table: "device_authorizations"
DROP INDEX `deviceauthorization_expires_at`;
-- reverse: create index "device_authorizations_user_code_hash_key" to table: "device_authorizations"
DROP INDEX `device_authorizations_user_code_hash_key`;
-- reverse: create index "device_authorizations_device_code_hash_key" to table: "device_authorizations"
DROP INDEX `device_authorizations_device_code_hash_key`;
-- reverse: set sequence for "device_authorizations" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "device_authorizations";
-- reverse: create "device_authorizations" table
DROP TABLE `device_authorizations`;
-- reverse: create index "oauthclient_tenant_id_name" to table: "oauth_clients"
DROP INDEX `oauthclient_tenant_id_name`;
-- reverse: create index "oauth_clients_client_id_key" to table: "oauth_clients"
DROP INDEX `oauth_clients_client_id_key`;
-- reverse: set sequence for "new_oauth_clients" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_oauth_clients";
-- reverse: create "new_oauth_clients" table
DROP TABLE `new_oauth_clients`;
