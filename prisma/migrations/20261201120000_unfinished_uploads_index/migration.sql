-- The uploads still to process, per tenant: read by every upload's fair priority
-- (src/queue/fair-priority.ts), the reconciler and the per-tenant queue-depth gauge, which
-- otherwise scan the whole table. Partial: finished uploads, nearly all rows, are not in it.
CREATE INDEX "uploads_unfinished_tenant_id_idx" ON "uploads"("tenant_id", "created_at") WHERE "status" IN ('QUEUED', 'RUNNING');
