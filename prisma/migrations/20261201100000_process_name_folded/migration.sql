-- process_name folded to lower case, stored. Rules select events by process name more than by
-- anything else, and under row-level security Postgres may only use an index for a condition
-- that cannot leak rows: `lower(process_name) = $1` calls lower(), which Postgres does not mark
-- leakproof, so the (tenant_id, lower(process_name)) index went unused for the application role
-- and every scan read all of a tenant's events. `process_name_lower = $1` is plain text equality
-- (leakproof): the index below serves it under row-level security too.
ALTER TABLE "process_events" ADD COLUMN "process_name_lower" TEXT GENERATED ALWAYS AS (lower("process_name")) STORED;
DROP INDEX "process_events_tenant_process_name_lower_idx";
CREATE INDEX "process_events_tenant_id_process_name_lower_idx" ON "process_events"("tenant_id", "process_name_lower");
