-- +goose Up
-- create index "auditevent_tenant_id_run_id" to table: "audit_events"
CREATE INDEX `auditevent_tenant_id_run_id` ON `audit_events` (`tenant_id`, `run_id`);

-- +goose Down
-- reverse: create index "auditevent_tenant_id_run_id" to table: "audit_events"
DROP INDEX `auditevent_tenant_id_run_id`;
