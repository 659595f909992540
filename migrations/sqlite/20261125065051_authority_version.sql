-- +goose Up
-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_audit_chains" table
CREATE TABLE `new_audit_chains` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL DEFAULT (0), `head` text NOT NULL DEFAULT (''), `authority_version` integer NOT NULL DEFAULT (0), `tenant_id` integer NOT NULL, CONSTRAINT `audit_chains_tenants_tenant` FOREIGN KEY (`tenant_id`) REFERENCES `tenants` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_audit_chains" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_audit_chains", 21474836480);
-- copy rows from old table "audit_chains" to new temporary table "new_audit_chains"
INSERT INTO `new_audit_chains` (`id`, `seq`, `head`, `tenant_id`) SELECT `id`, `seq`, `head`, `tenant_id` FROM `audit_chains`;
-- drop "audit_chains" table after copying rows
DROP TABLE `audit_chains`;
-- rename temporary table "new_audit_chains" to "audit_chains"
ALTER TABLE `new_audit_chains` RENAME TO `audit_chains`;
-- create index "auditchain_tenant_id" to table: "audit_chains"
CREATE UNIQUE INDEX `auditchain_tenant_id` ON `audit_chains` (`tenant_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- +goose Down
-- reverse: create index "auditchain_tenant_id" to table: "audit_chains"
DROP INDEX `auditchain_tenant_id`;
-- reverse: set sequence for "new_audit_chains" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_audit_chains";
-- reverse: create "new_audit_chains" table
DROP TABLE `new_audit_chains`;
