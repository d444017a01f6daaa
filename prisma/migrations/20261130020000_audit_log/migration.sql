-- The audit log: one row per mutation attempt (GraphQL root field, POST /v1/uploads, CLI command),
-- with who (key id and role), what (operation and an allow-listed summary of its arguments, never
-- a secret, key hash or file body), when, and the outcome (SUCCESS or the error's code).
--
-- tenant_id has no foreign key on purpose: the row recording deleteTenant outlives the tenant, and
-- operator actions that concern no tenant (a failed createTenant…) have none.

CREATE TYPE "AuditActorRole" AS ENUM ('admin', 'analyst', 'ingest', 'reader', 'operator', 'cli');

CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_key_id" UUID,
    "actor_role" "AuditActorRole" NOT NULL,
    "operation" TEXT NOT NULL,
    "summary" JSONB NOT NULL DEFAULT '{}',
    "outcome" TEXT NOT NULL,
    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- A tenant's log, newest first (the auditLog query's order).
CREATE INDEX "audit_events_tenant_id_occurred_at_idx" ON "audit_events"("tenant_id", "occurred_at" DESC);
