-- Per-tenant retention: a tenant's events older than its period are purged on a schedule
-- (src/store/retention.ts). NULL keeps everything forever.
ALTER TABLE "tenants" ADD COLUMN "retention_days" INTEGER;
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_retention_days_check" CHECK ("retention_days" BETWEEN 1 AND 3650);

-- When the sweep deleted an upload's raw bytes: such an upload can no longer be processed again.
ALTER TABLE "uploads" ADD COLUMN "raw_purged_at" TIMESTAMPTZ(3);

-- The sweep deletes a tenant's risk events by time, in batches.
CREATE INDEX "risk_events_tenant_id_time_idx" ON "risk_events"("tenant_id", "time");
