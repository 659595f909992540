-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_users" table
CREATE TABLE `new_users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NOT NULL DEFAULT (''), `email_verified` bool NOT NULL DEFAULT (false), `disabled` bool NOT NULL DEFAULT (false), `password_hash` text NOT NULL DEFAULT (''), `webauthn_handle` blob NULL, `tenant_id` integer NOT NULL, CONSTRAINT `users_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_users" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_users", 17179869184);
-- copy rows from old table "users" to new temporary table "new_users"
INSERT INTO `new_users` (`id`, `created_at`, `updated_at`, `email`, `name`, `email_verified`, `disabled`, `password_hash`, `tenant_id`) SELECT `id`, `created_at`, `updated_at`, `email`, `name`, `email_verified`, `disabled`, `password_hash`, `tenant_id` FROM `users`;
-- drop "users" table after copying rows
DROP TABLE `users`;
-- rename temporary table "new_users" to "users"
ALTER TABLE `new_users` RENAME TO `users`;
-- create index "user_tenant_id_email" to table: "users"
CREATE UNIQUE INDEX `user_tenant_id_email` ON `users` (`tenant_id`, `email`);
-- create index "user_tenant_id_webauthn_handle" to table: "users"
CREATE UNIQUE INDEX `user_tenant_id_webauthn_handle` ON `users` (`tenant_id`, `webauthn_handle`);
-- create "agent_runs" table
CREATE TABLE `agent_runs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `run_id` text NOT NULL, `parent_run` text NOT NULL DEFAULT (''), `agent_id` integer NOT NULL, `client_id` text NOT NULL, `user_id` integer NOT NULL DEFAULT (0), `grant_id` integer NOT NULL DEFAULT (0), `scopes` json NULL, `last_seen_at` datetime NOT NULL, `tenant_id` integer NOT NULL, CONSTRAINT `agent_runs_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "agent_runs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("agent_runs", 73014444032);
-- create index "agentrun_tenant_id_run_id" to table: "agent_runs"
CREATE UNIQUE INDEX `agentrun_tenant_id_run_id` ON `agent_runs` (`tenant_id`, `run_id`);
-- create index "agentrun_tenant_id_parent_run" to table: "agent_runs"
CREATE INDEX `agentrun_tenant_id_parent_run` ON `agent_runs` (`tenant_id`, `parent_run`);
-- create index "agentrun_tenant_id_agent_id" to table: "agent_runs"
CREATE INDEX `agentrun_tenant_id_agent_id` ON `agent_runs` (`tenant_id`, `agent_id`);
-- create "auth_challenges" table
CREATE TABLE `auth_challenges` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `token_hash` text NOT NULL, `user_id` integer NOT NULL DEFAULT (0), `session_id` integer NOT NULL DEFAULT (0), `data` text NOT NULL DEFAULT (''), `amr` json NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `auth_challenges_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "auth_challenges" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("auth_challenges", 77309411328);
-- create index "auth_challenges_token_hash_key" to table: "auth_challenges"
CREATE UNIQUE INDEX `auth_challenges_token_hash_key` ON `auth_challenges` (`token_hash`);
-- create index "authchallenge_tenant_id_expires_at" to table: "auth_challenges"
CREATE INDEX `authchallenge_tenant_id_expires_at` ON `auth_challenges` (`tenant_id`, `expires_at`);
-- create "federated_identities" table
CREATE TABLE `federated_identities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `provider_id` integer NOT NULL, `subject` text NOT NULL, `email` text NOT NULL DEFAULT (''), `email_verified` bool NOT NULL DEFAULT (false), `last_used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `federated_identities_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "federated_identities" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("federated_identities", 81604378624);
-- create index "federatedidentity_tenant_id_provider_id_subject" to table: "federated_identities"
CREATE UNIQUE INDEX `federatedidentity_tenant_id_provider_id_subject` ON `federated_identities` (`tenant_id`, `provider_id`, `subject`);
-- create index "federatedidentity_tenant_id_user_id" to table: "federated_identities"
CREATE INDEX `federatedidentity_tenant_id_user_id` ON `federated_identities` (`tenant_id`, `user_id`);
-- create "identity_providers" table
CREATE TABLE `identity_providers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `slug` text NOT NULL, `kind` text NOT NULL, `display_name` text NOT NULL, `client_id` text NOT NULL, `client_secret_sealed` blob NULL, `issuer` text NOT NULL DEFAULT (''), `scopes` json NULL, `enabled` bool NOT NULL DEFAULT (true), `link_verified_email` bool NOT NULL DEFAULT (false), `allow_sign_up` bool NOT NULL DEFAULT (false), `tenant_id` integer NOT NULL, CONSTRAINT `identity_providers_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "identity_providers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("identity_providers", 85899345920);
-- create index "identityprovider_tenant_id_slug" to table: "identity_providers"
CREATE UNIQUE INDEX `identityprovider_tenant_id_slug` ON `identity_providers` (`tenant_id`, `slug`);
-- create "passkeys" table
CREATE TABLE `passkeys` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `name` text NOT NULL, `credential_id` blob NOT NULL, `public_key` blob NOT NULL, `attestation_type` text NOT NULL DEFAULT (''), `aaguid` blob NULL, `sign_count` integer NOT NULL DEFAULT (0), `clone_warning` bool NOT NULL DEFAULT (false), `backup_eligible` bool NOT NULL DEFAULT (false), `backup_state` bool NOT NULL DEFAULT (false), `user_verified` bool NOT NULL DEFAULT (false), `transports` json NULL, `attachment` text NOT NULL DEFAULT (''), `last_used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `passkeys_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "passkeys" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("passkeys", 90194313216);
-- create index "passkey_tenant_id_user_id" to table: "passkeys"
CREATE INDEX `passkey_tenant_id_user_id` ON `passkeys` (`tenant_id`, `user_id`);
-- create index "passkey_tenant_id_credential_id" to table: "passkeys"
CREATE UNIQUE INDEX `passkey_tenant_id_credential_id` ON `passkeys` (`tenant_id`, `credential_id`);
-- create "recovery_codes" table
CREATE TABLE `recovery_codes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `code_hash` text NOT NULL, `used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `recovery_codes_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "recovery_codes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("recovery_codes", 94489280512);
-- create index "recoverycode_tenant_id_user_id" to table: "recovery_codes"
CREATE INDEX `recoverycode_tenant_id_user_id` ON `recovery_codes` (`tenant_id`, `user_id`);
-- create index "recoverycode_tenant_id_code_hash" to table: "recovery_codes"
CREATE UNIQUE INDEX `recoverycode_tenant_id_code_hash` ON `recovery_codes` (`tenant_id`, `code_hash`);
-- create "totp_factors" table
CREATE TABLE `totp_factors` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `user_id` integer NOT NULL, `secret_sealed` blob NOT NULL, `confirmed_at` datetime NULL, `last_used_step` integer NOT NULL DEFAULT (0), `last_used_at` datetime NULL, `tenant_id` integer NOT NULL, CONSTRAINT `totp_factors_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "totp_factors" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("totp_factors", 98784247808);
-- create index "totpfactor_tenant_id_user_id" to table: "totp_factors"
CREATE UNIQUE INDEX `totpfactor_tenant_id_user_id` ON `totp_factors` (`tenant_id`, `user_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "totpfactor_tenant_id_user_id" to table: "totp_factors"
DROP INDEX `totpfactor_tenant_id_user_id`;
-- reverse: set sequence for "totp_factors" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "totp_factors";
-- reverse: create "totp_factors" table
DROP TABLE `totp_factors`;
-- reverse: create index "recoverycode_tenant_id_code_hash" to table: "recovery_codes"
DROP INDEX `recoverycode_tenant_id_code_hash`;
-- reverse: create index "recoverycode_tenant_id_user_id" to table: "recovery_codes"
DROP INDEX `recoverycode_tenant_id_user_id`;
-- reverse: set sequence for "recovery_codes" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "recovery_codes";
-- reverse: create "recovery_codes" table
DROP TABLE `recovery_codes`;
-- reverse: create index "passkey_tenant_id_credential_id" to table: "passkeys"
DROP INDEX `passkey_tenant_id_credential_id`;
-- reverse: create index "passkey_tenant_id_user_id" to table: "passkeys"
DROP INDEX `passkey_tenant_id_user_id`;
-- reverse: set sequence for "passkeys" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "passkeys";
-- reverse: create "passkeys" table
DROP TABLE `passkeys`;
-- reverse: create index "identityprovider_tenant_id_slug" to table: "identity_providers"
DROP INDEX `identityprovider_tenant_id_slug`;
-- reverse: set sequence for "identity_providers" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "identity_providers";
-- reverse: create "identity_providers" table
DROP TABLE `identity_providers`;
-- reverse: create index "federatedidentity_tenant_id_user_id" to table: "federated_identities"
DROP INDEX `federatedidentity_tenant_id_user_id`;
-- reverse: create index "federatedidentity_tenant_id_provider_id_subject" to table: "federated_identities"
DROP INDEX `federatedidentity_tenant_id_provider_id_subject`;
-- reverse: set sequence for "federated_identities" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "federated_identities";
-- reverse: create "federated_identities" table
DROP TABLE `federated_identities`;
-- reverse: create index "authchallenge_tenant_id_expires_at" to table: "auth_challenges"
DROP INDEX `authchallenge_tenant_id_expires_at`;
-- reverse: create index "auth_challenges_token_hash_key" to table: "auth_challenges"
DROP INDEX `auth_challenges_token_hash_key`;
-- reverse: set sequence for "auth_challenges" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "auth_challenges";
-- reverse: create "auth_challenges" table
DROP TABLE `auth_challenges`;
-- reverse: create index "agentrun_tenant_id_agent_id" to table: "agent_runs"
DROP INDEX `agentrun_tenant_id_agent_id`;
-- reverse: create index "agentrun_tenant_id_parent_run" to table: "agent_runs"
DROP INDEX `agentrun_tenant_id_parent_run`;
-- reverse: create index "agentrun_tenant_id_run_id" to table: "agent_runs"
DROP INDEX `agentrun_tenant_id_run_id`;
-- reverse: set sequence for "agent_runs" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "agent_runs";
-- reverse: create "agent_runs" table
DROP TABLE `agent_runs`;
-- reverse: create index "user_tenant_id_webauthn_handle" to table: "users"
DROP INDEX `user_tenant_id_webauthn_handle`;
-- reverse: create index "user_tenant_id_email" to table: "users"
DROP INDEX `user_tenant_id_email`;
-- reverse: set sequence for "new_users" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_users";
-- reverse: create "new_users" table
DROP TABLE `new_users`;
