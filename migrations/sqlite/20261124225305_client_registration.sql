-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_oauth_clients" table
CREATE TABLE `new_oauth_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` text NOT NULL, `name` text NOT NULL, `secret_hash` text NOT NULL DEFAULT (''), `public` bool NOT NULL DEFAULT (false), `token_endpoint_auth_method` text NOT NULL, `redirect_uris` json NULL, `grant_types` json NOT NULL, `response_types` json NULL, `scopes` json NULL, `jwks` text NOT NULL DEFAULT (''), `jwks_uri` text NOT NULL DEFAULT (''), `token_format` text NOT NULL DEFAULT ('jwt'), `require_par` bool NOT NULL DEFAULT (false), `post_logout_redirect_uris` json NULL, `backchannel_logout_uri` text NOT NULL DEFAULT (''), `signing_alg` text NOT NULL DEFAULT ('ES256'), `audience` json NULL, `access_token_ttl` integer NOT NULL DEFAULT (0), `refresh_token_ttl` integer NOT NULL DEFAULT (0), `registration_token_hash` text NOT NULL DEFAULT (''), `disabled_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_clients_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_oauth_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_oauth_clients", 47244640256);
-- copy rows from old table "oauth_clients" to new temporary table "new_oauth_clients"
INSERT INTO `new_oauth_clients` (`id`, `created_at`, `updated_at`, `client_id`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `signing_alg`, `audience`, `access_token_ttl`, `refresh_token_ttl`, `disabled_at`, `tenant_id`) SELECT `id`, `created_at`, `updated_at`, `client_id`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `signing_alg`, `audience`, `access_token_ttl`, `refresh_token_ttl`, `disabled_at`, `tenant_id` FROM `oauth_clients`;
-- drop "oauth_clients" table after copying rows
DROP TABLE `oauth_clients`;
-- rename temporary table "new_oauth_clients" to "oauth_clients"
ALTER TABLE `new_oauth_clients` RENAME TO `oauth_clients`;
-- create index "oauth_clients_client_id_key" to table: "oauth_clients"
CREATE UNIQUE INDEX `oauth_clients_client_id_key` ON `oauth_clients` (`client_id`);
-- create index "oauthclient_tenant_id_name" to table: "oauth_clients"
CREATE INDEX `oauthclient_tenant_id_name` ON `oauth_clients` (`tenant_id`, `name`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "oauthclient_tenant_id_name" to table: "oauth_clients"
DROP INDEX `oauthclient_tenant_id_name`;
-- reverse: create index "oauth_clients_client_id_key" to table: "oauth_clients"
DROP INDEX `oauth_clients_client_id_key`;
-- reverse: set sequence for "new_oauth_clients" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_oauth_clients";
-- reverse: create "new_oauth_clients" table
DROP TABLE `new_oauth_clients`;
