-- Watchpost initial schema. Hand-written in Prisma's layout; applied by `watchpost migrate`.

CREATE TYPE "TenantStatus" AS ENUM ('ACTIVE', 'SUSPENDED');
CREATE TYPE "ApiKeyRole" AS ENUM ('admin', 'analyst', 'ingest', 'reader');
CREATE TYPE "UploadStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

CREATE TABLE "tenants" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "status" "TenantStatus" NOT NULL DEFAULT 'ACTIVE',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "tenants_name_key" ON "tenants"("name");

CREATE TABLE "api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "role" "ApiKeyRole" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");
CREATE INDEX "api_keys_tenant_id_idx" ON "api_keys"("tenant_id");

CREATE TABLE "rules" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "escu_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "yaml" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rules_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rules_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "rules_tenant_id_escu_id_key" ON "rules"("tenant_id", "escu_id");

CREATE TABLE "macros" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "arguments" TEXT[],
    "definition" TEXT NOT NULL,
    "yaml" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "macros_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "macros_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "macros_tenant_id_name_key" ON "macros"("tenant_id", "name");

CREATE TABLE "uploads" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "file_name" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL DEFAULT 0,
    "sha256" TEXT,
    "format_override" TEXT,
    "detected_format" TEXT,
    "status" "UploadStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "event_count" INTEGER NOT NULL DEFAULT 0,
    "process_events" INTEGER NOT NULL DEFAULT 0,
    "skipped_count" INTEGER NOT NULL DEFAULT 0,
    "error_count" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "failure_reason" TEXT,
    "detection_rows" INTEGER NOT NULL DEFAULT 0,
    "bytes_processed" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "uploads_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "uploads_tenant_id_created_at_idx" ON "uploads"("tenant_id", "created_at");

CREATE TABLE "upload_chunks" (
    "upload_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "raw_bytes" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    CONSTRAINT "upload_chunks_pkey" PRIMARY KEY ("upload_id", "seq"),
    CONSTRAINT "upload_chunks_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Chunks are already gzip-compressed: keep TOAST from compressing them again.
ALTER TABLE "upload_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;

CREATE TABLE "process_events" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "source" TEXT NOT NULL,
    "event_key" TEXT NOT NULL,
    "line" INTEGER NOT NULL,
    "action" TEXT,
    "dest" TEXT,
    "original_file_name" TEXT,
    "parent_process" TEXT,
    "parent_process_exec" TEXT,
    "parent_process_guid" TEXT,
    "parent_process_id" TEXT,
    "parent_process_name" TEXT,
    "parent_process_path" TEXT,
    "process" TEXT,
    "process_exec" TEXT,
    "process_guid" TEXT,
    "process_hash" TEXT,
    "process_id" TEXT,
    "process_integrity_level" TEXT,
    "process_name" TEXT,
    "process_path" TEXT,
    "user" TEXT,
    "user_id" TEXT,
    "vendor_product" TEXT,
    CONSTRAINT "process_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "process_events_tenant_id_time_idx" ON "process_events"("tenant_id", "time");
CREATE INDEX "process_events_upload_id_idx" ON "process_events"("upload_id");
-- Splunk compares values case-insensitively; most ESCU rules pin process_name.
CREATE INDEX "process_events_tenant_process_name_lower_idx" ON "process_events"("tenant_id", lower("process_name"));

CREATE TABLE "detections" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "rule_id" UUID NOT NULL,
    "group_key" TEXT NOT NULL,
    "fields" JSON NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,
    "first_time" TIMESTAMPTZ(3),
    "last_time" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "detections_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "detections_tenant_id_rule_id_group_key_key" ON "detections"("tenant_id", "rule_id", "group_key");
CREATE INDEX "detections_tenant_id_last_time_idx" ON "detections"("tenant_id", "last_time");

CREATE TABLE "detection_contributions" (
    "detection_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "count" BIGINT NOT NULL,
    "first_time" TIMESTAMPTZ(3),
    "last_time" TIMESTAMPTZ(3),
    CONSTRAINT "detection_contributions_pkey" PRIMARY KEY ("detection_id", "upload_id")
);
CREATE INDEX "detection_contributions_upload_id_idx" ON "detection_contributions"("upload_id");

CREATE TABLE "risk_events" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "detection_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "rule_id" UUID NOT NULL,
    "risk_object" TEXT NOT NULL,
    "risk_object_type" TEXT NOT NULL,
    "risk_score" INTEGER NOT NULL,
    "risk_message" TEXT NOT NULL,
    "threat_objects" JSONB NOT NULL,
    "mitre_techniques" TEXT[],
    "time" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "risk_events_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "risk_events_dedup_key" ON "risk_events"("detection_id", "upload_id", "risk_object_type", "risk_object");
CREATE INDEX "risk_events_tenant_id_risk_object_type_risk_object_idx" ON "risk_events"("tenant_id", "risk_object_type", "risk_object");
