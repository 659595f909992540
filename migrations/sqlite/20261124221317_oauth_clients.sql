-- +goose Up
-- create "oauth_clients" table
CREATE TABLE `oauth_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` text NOT NULL, `name` text NOT NULL, `secret_hash` text NOT NULL DEFAULT (''), `public` bool NOT NULL DEFAULT (false), `token_endpoint_auth_method` text NOT NULL, `redirect_uris` json NULL, `grant_types` json NOT NULL, `response_types` json NULL, `scopes` json NULL, `jwks` text NOT NULL DEFAULT (''), `jwks_uri` text NOT NULL DEFAULT (''), `token_format` text NOT NULL DEFAULT ('jwt'), `require_par` bool NOT NULL DEFAULT (false), `post_logout_redirect_uris` json NULL, `backchannel_logout_uri` text NOT NULL DEFAULT (''), `disabled_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `oauth_clients_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "oauth_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("oauth_clients", 47244640256);
-- create index "oauth_clients_client_id_key" to table: "oauth_clients"
CREATE UNIQUE INDEX `oauth_clients_client_id_key` ON `oauth_clients` (`client_id`);
-- create index "oauthclient_tenant_id_name" to table: "oauth_clients"
CREATE INDEX `oauthclient_tenant_id_name` ON `oauth_clients` (`tenant_id`, `name`);

-- +goose Down
-- reverse: create index "oauthclient_tenant_id_name" to table: "oauth_clients"
DROP INDEX `oauthclient_tenant_id_name`;
-- reverse: create index "oauth_clients_client_id_key" to table: "oauth_clients"
DROP INDEX `oauth_clients_client_id_key`;
-- reverse: set sequence for "oauth_clients" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "oauth_clients";
-- reverse: create "oauth_clients" table
DROP TABLE `oauth_clients`;
