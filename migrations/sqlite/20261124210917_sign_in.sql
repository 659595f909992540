-- +goose Up
-- create "one_time_tokens" table
CREATE TABLE `one_time_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `purpose` text NOT NULL, `token_hash` text NOT NULL, `user_id` integer NOT NULL DEFAULT (0), `email` text NOT NULL, `role` text NOT NULL DEFAULT (''), `expires_at` datetime NOT NULL, `used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `one_time_tokens_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "one_time_tokens" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("one_time_tokens", 25769803776);
-- create index "one_time_tokens_token_hash_key" to table: "one_time_tokens"
CREATE UNIQUE INDEX `one_time_tokens_token_hash_key` ON `one_time_tokens` (`token_hash`);
-- create index "onetimetoken_tenant_id_purpose_user_id" to table: "one_time_tokens"
CREATE INDEX `onetimetoken_tenant_id_purpose_user_id` ON `one_time_tokens` (`tenant_id`, `purpose`, `user_id`);
-- create "outbox_messages" table
CREATE TABLE `outbox_messages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `to` text NOT NULL, `subject` text NOT NULL, `text` text NOT NULL, `html` text NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `outbox_messages_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "outbox_messages" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("outbox_messages", 30064771072);
-- create "sessions" table
CREATE TABLE `sessions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `id_hash` text NOT NULL, `csrf_hash` text NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `amr` json NOT NULL, `auth_time` datetime NOT NULL, `revoked_at` datetime NULL, `revoke_reason` text NOT NULL DEFAULT (''), `tenant_id` integer NOT NULL, `user_id` integer NOT NULL, CONSTRAINT `sessions_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION, CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- set sequence for "sessions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sessions", 34359738368);
-- create index "sessions_id_hash_key" to table: "sessions"
CREATE UNIQUE INDEX `sessions_id_hash_key` ON `sessions` (`id_hash`);
-- create index "session_tenant_id_user_id" to table: "sessions"
CREATE INDEX `session_tenant_id_user_id` ON `sessions` (`tenant_id`, `user_id`);
-- create "throttles" table
CREATE TABLE `throttles` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `failures` integer NOT NULL DEFAULT (0), `window_start` datetime NOT NULL, `locked_until` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `throttles_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "throttles" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("throttles", 38654705664);
-- create index "throttle_tenant_id_key" to table: "throttles"
CREATE UNIQUE INDEX `throttle_tenant_id_key` ON `throttles` (`tenant_id`, `key`);

-- +goose Down
-- reverse: create index "throttle_tenant_id_key" to table: "throttles"
DROP INDEX `throttle_tenant_id_key`;
-- reverse: set sequence for "throttles" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "throttles";
-- reverse: create "throttles" table
DROP TABLE `throttles`;
-- reverse: create index "session_tenant_id_user_id" to table: "sessions"
DROP INDEX `session_tenant_id_user_id`;
-- reverse: create index "sessions_id_hash_key" to table: "sessions"
DROP INDEX `sessions_id_hash_key`;
-- reverse: set sequence for "sessions" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "sessions";
-- reverse: create "sessions" table
DROP TABLE `sessions`;
-- reverse: set sequence for "outbox_messages" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "outbox_messages";
-- reverse: create "outbox_messages" table
DROP TABLE `outbox_messages`;
-- reverse: create index "onetimetoken_tenant_id_purpose_user_id" to table: "one_time_tokens"
DROP INDEX `onetimetoken_tenant_id_purpose_user_id`;
-- reverse: create index "one_time_tokens_token_hash_key" to table: "one_time_tokens"
DROP INDEX `one_time_tokens_token_hash_key`;
-- reverse: set sequence for "one_time_tokens" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "one_time_tokens";
-- reverse: create "one_time_tokens" table
DROP TABLE `one_time_tokens`;
