-- Counts of the triage queue, kept by Postgres as detections change, so that `detections { totalCount }`
-- does not count a tenant's detections on every request (60,000 open detections: 8-16 ms of index-only
-- scan per request, the largest cost of the triage queue under load).
--
-- Rows are insert-only deltas: every statement that inserts, updates or deletes detections adds, per
-- (tenant, rule, status, suppressed or not), the number of detections it added to (+) or took from (-)
-- that group; a group's count is the sum of its rows. Writers never update or lock a shared counter
-- row, so concurrent workers and analysts of one tenant never wait on each other, and a rolled-back
-- statement takes its deltas with it. src/store/detection-counts.ts reads the sums and merges a
-- tenant's rows from time to time (compaction), which changes no sum.
--
-- rule_id has no foreign key: a rule's detections are deleted before the rule, and their negative
-- deltas must be insertable in the same transaction. Tenant deletion clears detections first (their
-- deltas cancel), then the tenant, whose rows go by the cascade.
CREATE TABLE "detection_counts" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "rule_id" UUID NOT NULL,
    "status" "DetectionStatus" NOT NULL,
    "suppressed" BOOLEAN NOT NULL,
    "n" BIGINT NOT NULL,

    CONSTRAINT "detection_counts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "detection_counts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX "detection_counts_tenant_id_status_idx" ON "detection_counts"("tenant_id", "status");

-- The application role's grants come from the row-level security migration's ALTER DEFAULT PRIVILEGES.
CALL watchpost_isolate_by_tenant('detection_counts');

-- Statement-level triggers with transition tables: one aggregate per statement, not work per row.
-- (Postgres allows a transition table only on a trigger for one event, hence three functions.)
CREATE FUNCTION "detection_counts_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO detection_counts (tenant_id, rule_id, status, suppressed, n)
  SELECT tenant_id, rule_id, status, suppressed_into IS NOT NULL, count(*) FROM added GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;

CREATE FUNCTION "detection_counts_removed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO detection_counts (tenant_id, rule_id, status, suppressed, n)
  SELECT tenant_id, rule_id, status, suppressed_into IS NOT NULL, -count(*) FROM removed GROUP BY 1, 2, 3, 4;
  RETURN NULL;
END $$;

-- Most updates (new counts and times from an upload) change no group: their +1 and -1 cancel and
-- nothing is written.
CREATE FUNCTION "detection_counts_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO detection_counts (tenant_id, rule_id, status, suppressed, n)
  SELECT tenant_id, rule_id, status, suppressed, sum(n) FROM (
    SELECT tenant_id, rule_id, status, suppressed_into IS NOT NULL AS suppressed, 1 AS n FROM after_change
    UNION ALL
    SELECT tenant_id, rule_id, status, suppressed_into IS NOT NULL, -1 FROM before_change
  ) AS d GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;
  RETURN NULL;
END $$;

CREATE TRIGGER "detection_counts_insert" AFTER INSERT ON "detections"
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "detection_counts_added"();
CREATE TRIGGER "detection_counts_delete" AFTER DELETE ON "detections"
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "detection_counts_removed"();
CREATE TRIGGER "detection_counts_update" AFTER UPDATE ON "detections"
  REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change FOR EACH STATEMENT EXECUTE FUNCTION "detection_counts_changed"();

-- The detections stored before this migration, one row per group.
INSERT INTO detection_counts (tenant_id, rule_id, status, suppressed, n)
SELECT tenant_id, rule_id, status, suppressed_into IS NOT NULL, count(*) FROM detections GROUP BY 1, 2, 3, 4;
