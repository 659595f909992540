-- +goose Up
-- create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `role` text NOT NULL, `token_hash` text NOT NULL, `prefix` text NOT NULL, `created_by` text NOT NULL DEFAULT (''), `expires_at` datetime NULL, `revoked_at` datetime NULL, `last_used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `api_tokens_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- create index "api_tokens_token_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_token_hash_key` ON `api_tokens` (`token_hash`);
-- create index "apitoken_tenant_id_created_at" to table: "api_tokens"
CREATE INDEX `apitoken_tenant_id_created_at` ON `api_tokens` (`tenant_id`, `created_at`);
-- create "audit_chains" table
CREATE TABLE `audit_chains` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL DEFAULT (0), `head` text NOT NULL DEFAULT (''), `tenant_id` integer NOT NULL, CONSTRAINT `audit_chains_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "audit_chains" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_chains", 21474836480);
-- create index "auditchain_tenant_id" to table: "audit_chains"
CREATE UNIQUE INDEX `auditchain_tenant_id` ON `audit_chains` (`tenant_id`);
-- create "audit_events" table
CREATE TABLE `audit_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL, `occurred_at` datetime NOT NULL, `actor_type` text NOT NULL, `actor_id` text NOT NULL DEFAULT (''), `actor_label` text NOT NULL DEFAULT (''), `agent_id` text NOT NULL DEFAULT (''), `agent_chain` json NULL, `grant_id` text NOT NULL DEFAULT (''), `client_id` text NOT NULL DEFAULT (''), `run_id` text NOT NULL DEFAULT (''), `credential_type` text NOT NULL DEFAULT (''), `credential_id` text NOT NULL DEFAULT (''), `scope` json NULL, `approval_required` bool NOT NULL DEFAULT (false), `approval_id` text NOT NULL DEFAULT (''), `action` text NOT NULL, `target_type` text NOT NULL DEFAULT (''), `target_id` text NOT NULL DEFAULT (''), `outcome` text NOT NULL DEFAULT ('success'), `details` json NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `prev_hash` text NOT NULL, `hash` text NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `audit_events_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "audit_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_events", 4294967296);
-- create index "auditevent_tenant_id_seq" to table: "audit_events"
CREATE UNIQUE INDEX `auditevent_tenant_id_seq` ON `audit_events` (`tenant_id`, `seq`);
-- create index "auditevent_tenant_id_occurred_at" to table: "audit_events"
CREATE INDEX `auditevent_tenant_id_occurred_at` ON `audit_events` (`tenant_id`, `occurred_at`);
-- create index "auditevent_tenant_id_action" to table: "audit_events"
CREATE INDEX `auditevent_tenant_id_action` ON `audit_events` (`tenant_id`, `action`);
-- create index "auditevent_tenant_id_actor_id" to table: "audit_events"
CREATE INDEX `auditevent_tenant_id_actor_id` ON `audit_events` (`tenant_id`, `actor_id`);
-- create index "auditevent_tenant_id_agent_id" to table: "audit_events"
CREATE INDEX `auditevent_tenant_id_agent_id` ON `audit_events` (`tenant_id`, `agent_id`);
-- create "memberships" table
CREATE TABLE `memberships` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `role` text NOT NULL DEFAULT ('member'), `tenant_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `memberships_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION, CONSTRAINT `memberships_users_membership` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- set sequence for "memberships" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("memberships", 8589934592);
-- create index "memberships_user_id_key" to table: "memberships"
CREATE UNIQUE INDEX `memberships_user_id_key` ON `memberships` (`user_id`);
-- create index "membership_tenant_id_role" to table: "memberships"
CREATE INDEX `membership_tenant_id_role` ON `memberships` (`tenant_id`, `role`);
-- create "tenants" table
CREATE TABLE `tenants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `name` text NOT NULL, `settings` json NOT NULL);
-- set sequence for "tenants" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("tenants", 12884901888);
-- create index "tenants_slug_key" to table: "tenants"
CREATE UNIQUE INDEX `tenants_slug_key` ON `tenants` (`slug`);
-- create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL DEFAULT (''), `email_verified` bool NOT NULL DEFAULT (false), `disabled` bool NOT NULL DEFAULT (false), `password_hash` text NOT NULL DEFAULT (''), `tenant_id` integer NOT NULL, CONSTRAINT `users_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("users", 17179869184);
-- create index "user_tenant_id_email" to table: "users"
CREATE UNIQUE INDEX `user_tenant_id_email` ON `users` (`tenant_id`, `email`);

-- +goose Down
-- reverse: create index "user_tenant_id_email" to table: "users"
DROP INDEX `user_tenant_id_email`;
-- reverse: set sequence for "users" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "users";
-- reverse: create "users" table
DROP TABLE `users`;
-- reverse: create index "tenants_slug_key" to table: "tenants"
DROP INDEX `tenants_slug_key`;
-- reverse: set sequence for "tenants" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "tenants";
-- reverse: create "tenants" table
DROP TABLE `tenants`;
-- reverse: create index "membership_tenant_id_role" to table: "memberships"
DROP INDEX `membership_tenant_id_role`;
-- reverse: create index "memberships_user_id_key" to table: "memberships"
DROP INDEX `memberships_user_id_key`;
-- reverse: set sequence for "memberships" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "memberships";
-- reverse: create "memberships" table
DROP TABLE `memberships`;
-- reverse: create index "auditevent_tenant_id_agent_id" to table: "audit_events"
DROP INDEX `auditevent_tenant_id_agent_id`;
-- reverse: create index "auditevent_tenant_id_actor_id" to table: "audit_events"
DROP INDEX `auditevent_tenant_id_actor_id`;
-- reverse: create index "auditevent_tenant_id_action" to table: "audit_events"
DROP INDEX `auditevent_tenant_id_action`;
-- reverse: create index "auditevent_tenant_id_occurred_at" to table: "audit_events"
DROP INDEX `auditevent_tenant_id_occurred_at`;
-- reverse: create index "auditevent_tenant_id_seq" to table: "audit_events"
DROP INDEX `auditevent_tenant_id_seq`;
-- reverse: set sequence for "audit_events" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "audit_events";
-- reverse: create "audit_events" table
DROP TABLE `audit_events`;
-- reverse: create index "auditchain_tenant_id" to table: "audit_chains"
DROP INDEX `auditchain_tenant_id`;
-- reverse: set sequence for "audit_chains" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "audit_chains";
-- reverse: create "audit_chains" table
DROP TABLE `audit_chains`;
-- reverse: create index "apitoken_tenant_id_created_at" to table: "api_tokens"
DROP INDEX `apitoken_tenant_id_created_at`;
-- reverse: create index "api_tokens_token_hash_key" to table: "api_tokens"
DROP INDEX `api_tokens_token_hash_key`;
-- reverse: create "api_tokens" table
DROP TABLE `api_tokens`;
