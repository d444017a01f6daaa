-- Totals per risk object, kept by Postgres as risk_events change, so that `riskObjects` does not
-- aggregate a tenant's every risk event on each request (200,000 risk events: seconds per request).
--
-- risk_object_totals holds insert-only rows: the truth for an object (tenant, type, object) is the
-- aggregate of its rows — sum of scores, sum of counts, union of rule ids, union of ATT&CK
-- techniques, earliest first_seen, latest last_seen. Inserting risk events adds one row per object
-- of the statement; writers never update or lock a shared row, so concurrent workers of one tenant
-- never wait on each other, and a rolled-back statement takes its rows with it.
--
-- Deleting or updating risk events cannot be undone by a row (a minimum or a union has no
-- inverse), so the objects they touch are recomputed exactly from risk_events: the statement
-- records the objects in risk_object_recomputes, and at COMMIT a deferred trigger recomputes them
-- all, set-based, in two steps:
--   1. pg_advisory_xact_lock(risk_object_totals_lock(tenant)): recomputes (and compactions, which
--      try the same lock, src/store/risk-object-totals.ts) of one tenant take turns. Its own
--      statement, so that the next statement's snapshot sees a recompute committed while waiting.
--   2. One statement, one snapshot: delete the objects' visible rows, insert one row per object
--      aggregated from its visible risk events (none when it has none left: the object vanishes).
--      A concurrent transaction that has not committed yet has its risk events and its rows both
--      invisible here: neither is counted nor deleted, and its rows add exactly its events when it
--      commits.
-- Recomputing at COMMIT rather than at the DELETE makes the tenant lock the last lock a
-- transaction takes, and holds it only for the recompute: a scan that deletes an upload's risk
-- events, then locks detections (src/store/detection-writer.ts), cannot wait in a cycle with a
-- transaction that holds the tenant lock and waits for those detections.
--
-- Assumes READ COMMITTED (Postgres's default, and what every transaction of the service uses):
-- under REPEATABLE READ the statement of step 2 would read the transaction's first snapshot, taken
-- before the wait, so a transaction that is not READ COMMITTED is refused when it must recompute.
--
-- tenant_id references tenants (ON DELETE CASCADE): deleting a tenant deletes its risk events
-- first (src/store/tenants.ts), whose recompute at COMMIT finds nothing left, and the cascade takes
-- the rows. TRUNCATE of risk_events fires no trigger: truncate risk_object_totals with it.

CREATE TABLE "risk_object_totals" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "risk_object_type" TEXT NOT NULL,
    "risk_object" TEXT NOT NULL,
    "total_score" BIGINT NOT NULL,
    "risk_event_count" BIGINT NOT NULL,
    "rule_ids" UUID[] NOT NULL,
    "mitre_techniques" TEXT[] NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL,
    "last_seen" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "risk_object_totals_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "risk_object_totals_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "risk_object_totals_tenant_id_risk_object_type_risk_object_idx" ON "risk_object_totals"("tenant_id", "risk_object_type", "risk_object");

-- Objects a transaction must recompute before it commits: written by the statement that deleted or
-- updated risk events, deleted by the recompute at COMMIT, so never seen committed. One row per
-- statement and tenant (the objects as two parallel arrays): one deferred trigger call per row.
-- No foreign key: the row must not lock the tenant.
CREATE TABLE "risk_object_recomputes" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "risk_object_types" TEXT[] NOT NULL,
    "risk_objects" TEXT[] NOT NULL,

    CONSTRAINT "risk_object_recomputes_pkey" PRIMARY KEY ("id")
);

-- The application role's grants come from the row-level security migration's ALTER DEFAULT PRIVILEGES.
CALL watchpost_isolate_by_tenant('risk_object_totals');
CALL watchpost_isolate_by_tenant('risk_object_recomputes');

-- The advisory lock key of a tenant's recomputes and compactions (one definition for SQL and TypeScript).
CREATE FUNCTION "risk_object_totals_lock"(tenant UUID) RETURNS BIGINT IMMUTABLE LANGUAGE sql AS $$
  SELECT hashtextextended('risk_object_totals:' || tenant::text, 0)
$$;

-- Inserted risk events: one row per object of the statement. Statement-level with a transition
-- table, so one aggregate per statement, not work per row. (Postgres allows a transition table only
-- on a trigger for one event, hence a function per event.)
CREATE FUNCTION "risk_object_totals_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO risk_object_totals (tenant_id, risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen)
  SELECT s.tenant_id, s.risk_object_type, s.risk_object, s.total_score, s.risk_event_count, s.rule_ids, coalesce(t.techniques, '{}'), s.first_seen, s.last_seen
  FROM (SELECT tenant_id, risk_object_type, risk_object, sum(risk_score) AS total_score, count(*) AS risk_event_count,
               array_agg(DISTINCT rule_id) AS rule_ids, min(time) AS first_seen, max(time) AS last_seen
        FROM added GROUP BY 1, 2, 3) s
  LEFT JOIN (SELECT tenant_id, risk_object_type, risk_object, array_agg(DISTINCT technique) AS techniques
             FROM added CROSS JOIN unnest(mitre_techniques) AS technique GROUP BY 1, 2, 3) t
    USING (tenant_id, risk_object_type, risk_object);
  RETURN NULL;
END $$;

-- Deleted risk events: their objects are recomputed at COMMIT. A statement that deleted nothing
-- records nothing.
CREATE FUNCTION "risk_object_totals_removed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO risk_object_recomputes (tenant_id, risk_object_types, risk_objects)
  SELECT tenant_id, array_agg(risk_object_type), array_agg(risk_object)
  FROM (SELECT DISTINCT tenant_id, risk_object_type, risk_object FROM removed) o GROUP BY tenant_id;
  RETURN NULL;
END $$;

-- Updated risk events (a re-written upload's ON CONFLICT … SET time = GREATEST(…)): the objects of
-- the rows whose totals-relevant columns changed, before and after, are recomputed at COMMIT.
-- INSERT … ON CONFLICT DO UPDATE fires this for every insert, mostly with no rows: nothing then.
CREATE FUNCTION "risk_object_totals_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO risk_object_recomputes (tenant_id, risk_object_types, risk_objects)
  SELECT tenant_id, array_agg(risk_object_type), array_agg(risk_object)
  FROM (
    SELECT tenant_id, risk_object_type, risk_object FROM before_change b
    WHERE NOT EXISTS (SELECT 1 FROM after_change a WHERE a.id = b.id
                        AND (a.tenant_id, a.risk_object_type, a.risk_object, a.risk_score, a.rule_id, a.mitre_techniques, a.time)
                            IS NOT DISTINCT FROM (b.tenant_id, b.risk_object_type, b.risk_object, b.risk_score, b.rule_id, b.mitre_techniques, b.time))
    UNION
    SELECT tenant_id, risk_object_type, risk_object FROM after_change a
    WHERE NOT EXISTS (SELECT 1 FROM before_change b WHERE a.id = b.id
                        AND (a.tenant_id, a.risk_object_type, a.risk_object, a.risk_score, a.rule_id, a.mitre_techniques, a.time)
                            IS NOT DISTINCT FROM (b.tenant_id, b.risk_object_type, b.risk_object, b.risk_score, b.rule_id, b.mitre_techniques, b.time))
  ) o GROUP BY tenant_id;
  RETURN NULL;
END $$;

-- At COMMIT, once per recorded row: the first call recomputes every object the transaction recorded
-- (and deletes the records), the others find their record gone and return.
-- JIT off: the estimated cost of its index-scan loop makes Postgres compile it (0.4 s) for a
-- statement that runs in milliseconds.
CREATE FUNCTION "risk_object_totals_recompute"() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM risk_object_recomputes WHERE id = NEW.id) THEN
    RETURN NULL;
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'risk_object_totals: risk events may only be deleted or updated in READ COMMITTED transactions (this one is %)', current_setting('transaction_isolation');
  END IF;
  -- Step 1 (see the top of the migration): tenants in a fixed order, so two transactions of
  -- several tenants each do not wait in a cycle.
  PERFORM pg_advisory_xact_lock(risk_object_totals_lock(tenant_id))
  FROM (SELECT DISTINCT tenant_id FROM risk_object_recomputes ORDER BY tenant_id) t;
  -- Step 2: one statement. The INSERT's rows are not seen by the DELETE of the same statement.
  WITH due AS (
    DELETE FROM risk_object_recomputes RETURNING tenant_id, risk_object_types, risk_objects
  ), objects AS (
    SELECT DISTINCT d.tenant_id, o.risk_object_type, o.risk_object
    FROM due d CROSS JOIN unnest(d.risk_object_types, d.risk_objects) AS o(risk_object_type, risk_object)
  ), dropped AS (
    DELETE FROM risk_object_totals r USING objects o
    WHERE r.tenant_id = o.tenant_id AND r.risk_object_type = o.risk_object_type AND r.risk_object = o.risk_object
  )
  -- Per object, through the (tenant, type, object) index: a join would let the planner read the
  -- whole table for a few objects. An object with no risk events left gets no row.
  INSERT INTO risk_object_totals (tenant_id, risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen)
  SELECT o.tenant_id, o.risk_object_type, o.risk_object, a.total_score, a.risk_event_count, a.rule_ids, coalesce(t.techniques, '{}'), a.first_seen, a.last_seen
  FROM objects o
  CROSS JOIN LATERAL (
    SELECT sum(e.risk_score) AS total_score, count(*) AS risk_event_count, array_agg(DISTINCT e.rule_id) AS rule_ids, min(e.time) AS first_seen, max(e.time) AS last_seen
    FROM risk_events e WHERE e.tenant_id = o.tenant_id AND e.risk_object_type = o.risk_object_type AND e.risk_object = o.risk_object
  ) a
  CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT technique) AS techniques
    FROM risk_events e CROSS JOIN unnest(e.mitre_techniques) AS technique
    WHERE e.tenant_id = o.tenant_id AND e.risk_object_type = o.risk_object_type AND e.risk_object = o.risk_object
  ) t
  WHERE a.risk_event_count > 0;
  RETURN NULL;
END $$;

CREATE TRIGGER "risk_object_totals_insert" AFTER INSERT ON "risk_events"
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION "risk_object_totals_added"();
CREATE TRIGGER "risk_object_totals_delete" AFTER DELETE ON "risk_events"
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION "risk_object_totals_removed"();
CREATE TRIGGER "risk_object_totals_update" AFTER UPDATE ON "risk_events"
  REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change FOR EACH STATEMENT EXECUTE FUNCTION "risk_object_totals_changed"();
CREATE CONSTRAINT TRIGGER "risk_object_totals_recompute" AFTER INSERT ON "risk_object_recomputes"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "risk_object_totals_recompute"();

-- The risk events stored before this migration, one row per object (of tenants that exist: risk
-- events have no foreign key, and the rows must satisfy theirs).
INSERT INTO risk_object_totals (tenant_id, risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen)
SELECT s.tenant_id, s.risk_object_type, s.risk_object, s.total_score, s.risk_event_count, s.rule_ids, coalesce(t.techniques, '{}'), s.first_seen, s.last_seen
FROM (SELECT tenant_id, risk_object_type, risk_object, sum(risk_score) AS total_score, count(*) AS risk_event_count,
             array_agg(DISTINCT rule_id) AS rule_ids, min(time) AS first_seen, max(time) AS last_seen
      FROM risk_events WHERE tenant_id IN (SELECT id FROM tenants) GROUP BY 1, 2, 3) s
LEFT JOIN (SELECT tenant_id, risk_object_type, risk_object, array_agg(DISTINCT technique) AS techniques
           FROM risk_events CROSS JOIN unnest(mitre_techniques) AS technique GROUP BY 1, 2, 3) t
  USING (tenant_id, risk_object_type, risk_object);
