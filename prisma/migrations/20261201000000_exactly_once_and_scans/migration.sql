-- Exactly-once counting and scans over stored events (src/store/event-copy.ts, src/store/rule-coverage.ts,
-- src/scans/). An event is stored once per tenant, identified by its source's key; a rule's
-- contribution to a detection is recomputed, never added, over what the rule has covered.

-- Events stored before this migration without a usable identity (a part of the key missing) get a
-- key of their own, so that the de-duplication below cannot take them for one another.
UPDATE "process_events" SET "event_key" = '~' || "upload_id" || ':' || "id"
  WHERE "event_key" ~ '(^\||\|\||\|$)' OR "event_key" = '';
-- Events stored twice by earlier versions (the same event in two uploads): keep the first.
DELETE FROM "process_events" a USING "process_events" b
  WHERE a."tenant_id" = b."tenant_id" AND a."event_key" = b."event_key" AND a."id" > b."id";
CREATE UNIQUE INDEX "process_events_tenant_id_event_key_key" ON "process_events"("tenant_id", "event_key");
-- Scans read an upload's events of a time window.
DROP INDEX "process_events_upload_id_idx";
CREATE INDEX "process_events_upload_id_time_idx" ON "process_events"("upload_id", "time");

ALTER TABLE "uploads"
  ADD COLUMN "duplicate_events" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "first_event_time" TIMESTAMPTZ(3),
  ADD COLUMN "last_event_time" TIMESTAMPTZ(3);
UPDATE "uploads" u SET "first_event_time" = s.f, "last_event_time" = s.l
  FROM (SELECT "upload_id", min("time") AS f, max("time") AS l FROM "process_events" GROUP BY "upload_id") s
  WHERE u."id" = s."upload_id";

-- What each rule has evaluated of each upload: disjoint [covered_from, covered_to) ranges of event
-- time ('-infinity'..'infinity' = the whole upload, as at ingest), at one rule revision.
CREATE TABLE "rule_coverage" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "rule_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "rule_revision" INTEGER NOT NULL,
    "covered_from" TIMESTAMPTZ(3) NOT NULL,
    "covered_to" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "rule_coverage_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rule_coverage_range_check" CHECK ("covered_from" < "covered_to"),
    CONSTRAINT "rule_coverage_rule_id_fkey" FOREIGN KEY ("rule_id") REFERENCES "rules"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "rule_coverage_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "rule_coverage_rule_id_upload_id_idx" ON "rule_coverage"("rule_id", "upload_id");
CREATE INDEX "rule_coverage_upload_id_idx" ON "rule_coverage"("upload_id");
-- Uploads already processed were evaluated whole by the rules enabled now (the best knowledge there is).
INSERT INTO "rule_coverage" ("tenant_id", "rule_id", "upload_id", "rule_revision", "covered_from", "covered_to")
  SELECT u."tenant_id", r."id", u."id", r."revision", '-infinity', 'infinity'
  FROM "uploads" u JOIN "rules" r ON r."tenant_id" = u."tenant_id" AND r."enabled"
  WHERE u."status" IN ('SUCCEEDED', 'SUCCEEDED_WITH_ERRORS');

CREATE TYPE "ScanKind" AS ENUM ('MANUAL', 'SCHEDULED', 'RESCAN');
CREATE TYPE "ScanStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- A tenant's scheduled scan (a BullMQ job scheduler in Redis is derived from this row).
CREATE TABLE "scan_schedules" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL DEFAULT 'UTC',
    -- Rule selection: all enabled rules, or these rule ids, or rules with one of these tags (ANY).
    "all_rules" BOOLEAN NOT NULL DEFAULT false,
    "rule_ids" UUID[] NOT NULL DEFAULT '{}',
    "tags" TEXT[] NOT NULL DEFAULT '{}',
    -- The window relative to the run time, in seconds (ESCU: -4200 .. -600, i.e. -70m .. -10m).
    "window_start_seconds" INTEGER NOT NULL,
    "window_end_seconds" INTEGER NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    -- The end of the last window scanned: the next run starts there (missed runs are backfilled).
    "covered_until" TIMESTAMPTZ(3),
    "last_run_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "scan_schedules_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "scan_schedules_name_check" CHECK (length("name") BETWEEN 1 AND 200),
    CONSTRAINT "scan_schedules_window_check" CHECK ("window_start_seconds" < "window_end_seconds" AND "window_end_seconds" <= 0),
    CONSTRAINT "scan_schedules_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "scan_schedules_tenant_id_name_key" ON "scan_schedules"("tenant_id", "name");

-- One scan: manual (runScan), scheduled, or a rescan of one upload.
CREATE TABLE "scans" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "kind" "ScanKind" NOT NULL,
    "schedule_id" UUID,
    "upload_id" UUID,
    "status" "ScanStatus" NOT NULL DEFAULT 'QUEUED',
    "window_from" TIMESTAMPTZ(3),
    "window_to" TIMESTAMPTZ(3),
    -- For a scheduled run that covered missed runs: where the window would have started without them.
    "backfilled_from" TIMESTAMPTZ(3),
    -- The rules as run: [{ruleId, escuId, name, revision}].
    "rules" JSONB NOT NULL DEFAULT '[]',
    "events_examined" BIGINT NOT NULL DEFAULT 0,
    "detections_written" INTEGER NOT NULL DEFAULT 0,
    "uploads_scanned" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "scans_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "scans_window_check" CHECK ("window_from" IS NULL OR "window_to" IS NULL OR "window_from" < "window_to"),
    CONSTRAINT "scans_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "scans_schedule_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "scan_schedules"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "scans_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "uploads"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "scans_tenant_id_created_at_idx" ON "scans"("tenant_id", "created_at");
CREATE INDEX "scans_status_idx" ON "scans"("status");

-- Row-level security, as for every table holding tenant data (20261130090000_row_level_security).
CALL watchpost_isolate_by_tenant('rule_coverage');
CALL watchpost_isolate_by_tenant('scan_schedules');
CALL watchpost_isolate_by_tenant('scans');
