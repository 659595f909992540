-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_oauth_clients" table
CREATE TABLE `new_oauth_clients` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` text NOT NULL, `kind` text NOT NULL DEFAULT ('app'), `name` text NOT NULL, `secret_hash` text NOT NULL DEFAULT (''), `public` bool NOT NULL DEFAULT (false), `token_endpoint_auth_method` text NOT NULL, `redirect_uris` json NULL, `grant_types` json NOT NULL, `response_types` json NULL, `scopes` json NULL, `jwks` text NOT NULL DEFAULT (''), `jwks_uri` text NOT NULL DEFAULT (''), `token_format` text NOT NULL DEFAULT ('jwt'), `require_par` bool NOT NULL DEFAULT (false), `post_logout_redirect_uris` json NULL, `backchannel_logout_uri` text NOT NULL DEFAULT (''), `signing_alg` text NOT NULL DEFAULT ('ES256'), `audience` json NULL, `access_token_ttl` integer NOT NULL DEFAULT (0), `refresh_token_ttl` integer NOT NULL DEFAULT (0), `registration_token_hash` text NOT NULL DEFAULT (''), `disabled_at` datetime NULL, `backchannel_token_delivery_mode` text NOT NULL DEFAULT (''), `backchannel_client_notification_endpoint` text NOT NULL DEFAULT (''), `tenant_id` integer NOT NULL, CONSTRAINT `oauth_clients_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_oauth_clients" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_oauth_clients", 47244640256);
-- copy rows from old table "oauth_clients" to new temporary table "new_oauth_clients"
INSERT INTO `new_oauth_clients` (`id`, `created_at`, `updated_at`, `client_id`, `kind`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `signing_alg`, `audience`, `access_token_ttl`, `refresh_token_ttl`, `registration_token_hash`, `disabled_at`, `tenant_id`) SELECT `id`, `created_at`, `updated_at`, `client_id`, `kind`, `name`, `secret_hash`, `public`, `token_endpoint_auth_method`, `redirect_uris`, `grant_types`, `response_types`, `scopes`, `jwks`, `jwks_uri`, `token_format`, `require_par`, `post_logout_redirect_uris`, `backchannel_logout_uri`, `signing_alg`, `audience`, `access_token_ttl`, `refresh_token_ttl`, `registration_token_hash`, `disabled_at`, `tenant_id` FROM `oauth_clients`;
-- drop "oauth_clients" table after copying rows
DROP TABLE `oauth_clients`;
-- rename temporary table "new_oauth_clients" to "oauth_clients"
ALTER TABLE `new_oauth_clients` RENAME TO `oauth_clients`;
-- create index "oauth_clients_client_id_key" to table: "oauth_clients"
CREATE UNIQUE INDEX `oauth_clients_client_id_key` ON `oauth_clients` (`client_id`);
-- create index "oauthclient_tenant_id_name" to table: "oauth_clients"
CREATE INDEX `oauthclient_tenant_id_name` ON `oauth_clients` (`tenant_id`, `name`);
-- create "approval_requests" table
CREATE TABLE `approval_requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `public_id` text NOT NULL, `auth_req_id_hash` text NOT NULL, `kind` text NOT NULL, `client_id` text NOT NULL, `agent_id` integer NOT NULL, `agent_chain` json NULL, `user_id` integer NOT NULL, `grant_id` integer NOT NULL DEFAULT (0), `subject_session` blob NULL, `scopes` json NULL, `audience` json NULL, `authorization_details` text NOT NULL DEFAULT (''), `binding_message` text NOT NULL DEFAULT (''), `approver_role` text NOT NULL DEFAULT (''), `requires` json NULL, `delivery_mode` text NOT NULL, `notification_token` blob NULL, `notification_endpoint` text NOT NULL DEFAULT (''), `grant_seconds` integer NOT NULL DEFAULT (0), `run` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('pending'), `expires_at` datetime NOT NULL, `interval` integer NOT NULL, `last_polled_at` datetime NULL, `decided_by` integer NULL, `decided_at` datetime NULL, `decided_amr` json NULL, `deny_reason` text NOT NULL DEFAULT (''), `token_jti` text NOT NULL DEFAULT (''), `token_expires_at` datetime NULL, `used_at` datetime NULL, `created_grant_id` integer NOT NULL DEFAULT (0), `tenant_id` integer NOT NULL, CONSTRAINT `approval_requests_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "approval_requests" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("approval_requests", 103079215104);
-- create index "approval_requests_public_id_key" to table: "approval_requests"
CREATE UNIQUE INDEX `approval_requests_public_id_key` ON `approval_requests` (`public_id`);
-- create index "approval_requests_auth_req_id_hash_key" to table: "approval_requests"
CREATE UNIQUE INDEX `approval_requests_auth_req_id_hash_key` ON `approval_requests` (`auth_req_id_hash`);
-- create index "approvalrequest_tenant_id_status" to table: "approval_requests"
CREATE INDEX `approvalrequest_tenant_id_status` ON `approval_requests` (`tenant_id`, `status`);
-- create index "approvalrequest_tenant_id_user_id" to table: "approval_requests"
CREATE INDEX `approvalrequest_tenant_id_user_id` ON `approval_requests` (`tenant_id`, `user_id`);
-- create index "approvalrequest_expires_at" to table: "approval_requests"
CREATE INDEX `approvalrequest_expires_at` ON `approval_requests` (`expires_at`);
-- create "webhooks" table
CREATE TABLE `webhooks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `description` text NOT NULL DEFAULT (''), `events` json NULL, `secret` blob NOT NULL, `disabled` bool NOT NULL DEFAULT (false), `tenant_id` integer NOT NULL, CONSTRAINT `webhooks_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "webhooks" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhooks", 107374182400);
-- create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `webhook_id` integer NOT NULL DEFAULT (0), `event` text NOT NULL, `url` text NOT NULL, `payload` text NOT NULL DEFAULT (''), `sealed` blob NULL, `approval_id` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('pending'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `claimed_until` datetime NULL, `last_status` integer NOT NULL DEFAULT (0), `last_error` text NOT NULL DEFAULT (''), `delivered_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_deliveries", 111669149696);
-- create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- create index "webhookdelivery_tenant_id_approval_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_tenant_id_approval_id` ON `webhook_deliveries` (`tenant_id`, `approval_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "webhookdelivery_tenant_id_approval_id" to table: "webhook_deliveries"
DROP INDEX `webhookdelivery_tenant_id_approval_id`;
-- reverse: create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
DROP INDEX `webhookdelivery_status_next_attempt_at`;
-- reverse: set sequence for "webhook_deliveries" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "webhook_deliveries";
-- reverse: create "webhook_deliveries" table
DROP TABLE `webhook_deliveries`;
-- reverse: set sequence for "webhooks" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "webhooks";
-- reverse: create "webhooks" table
DROP TABLE `webhooks`;
-- reverse: create index "approvalrequest_expires_at" to table: "approval_requests"
DROP INDEX `approvalrequest_expires_at`;
-- reverse: create index "approvalrequest_tenant_id_user_id" to table: "approval_requests"
DROP INDEX `approvalrequest_tenant_id_user_id`;
-- reverse: create index "approvalrequest_tenant_id_status" to table: "approval_requests"
DROP INDEX `approvalrequest_tenant_id_status`;
-- reverse: create index "approval_requests_auth_req_id_hash_key" to table: "approval_requests"
DROP INDEX `approval_requests_auth_req_id_hash_key`;
-- reverse: create index "approval_requests_public_id_key" to table: "approval_requests"
DROP INDEX `approval_requests_public_id_key`;
-- reverse: set sequence for "approval_requests" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "approval_requests";
-- reverse: create "approval_requests" table
DROP TABLE `approval_requests`;
-- reverse: create index "oauthclient_tenant_id_name" to table: "oauth_clients"
DROP INDEX `oauthclient_tenant_id_name`;
-- reverse: create index "oauth_clients_client_id_key" to table: "oauth_clients"
DROP INDEX `oauth_clients_client_id_key`;
-- reverse: set sequence for "new_oauth_clients" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_oauth_clients";
-- reverse: create "new_oauth_clients" table
DROP TABLE `new_oauth_clients`;
