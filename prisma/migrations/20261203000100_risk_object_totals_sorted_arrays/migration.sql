-- Every row of risk_object_totals keeps its arrays distinct and sorted as riskObjects returns them
-- (rule ids by their text, techniques by themselves, in the database's collation), so that an
-- object with one row — every object after a compaction — is answered from its row as stored,
-- without unnesting and sorting its arrays on each request (src/store/risk-object-totals.ts).
-- The functions of 20261203000000_risk_object_totals, with sorted aggregates; the triggers stay.

CREATE OR REPLACE FUNCTION "risk_object_totals_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO risk_object_totals (tenant_id, risk_object_type, risk_object, total_score, risk_event_count, rule_ids, mitre_techniques, first_seen, last_seen)
  SELECT s.tenant_id, s.risk_object_type, s.risk_object, s.total_score, s.risk_event_count, s.rule_ids, coalesce(t.techniques, '{}'), s.first_seen, s.last_seen
  FROM (SELECT tenant_id, risk_object_type, risk_object, sum(risk_score) AS total_score, count(*) AS risk_event_count,
               array_agg(DISTINCT rule_id::text ORDER BY rule_id::text)::uuid[] AS rule_ids, min(time) AS first_seen, max(time) AS last_seen
        FROM added GROUP BY 1, 2, 3) s
  LEFT JOIN (SELECT tenant_id, risk_object_type, risk_object, array_agg(DISTINCT technique ORDER BY technique) AS techniques
             FROM added CROSS JOIN unnest(mitre_techniques) AS technique GROUP BY 1, 2, 3) t
    USING (tenant_id, risk_object_type, risk_object);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "risk_object_totals_recompute"() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM risk_object_recomputes WHERE id = NEW.id) THEN
    RETURN NULL;
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'risk_object_totals: risk events may only be deleted or updated in READ COMMITTED transactions (this one is %)', current_setting('transaction_isolation');
  END IF;
  -- Step 1 (see 20261203000000_risk_object_totals): tenants in a fixed order, so two transactions
  -- of several tenants each do not wait in a cycle.
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
    SELECT sum(e.risk_score) AS total_score, count(*) AS risk_event_count, array_agg(DISTINCT e.rule_id::text ORDER BY e.rule_id::text)::uuid[] AS rule_ids,
           min(e.time) AS first_seen, max(e.time) AS last_seen
    FROM risk_events e WHERE e.tenant_id = o.tenant_id AND e.risk_object_type = o.risk_object_type AND e.risk_object = o.risk_object
  ) a
  CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT technique ORDER BY technique) AS techniques
    FROM risk_events e CROSS JOIN unnest(e.mitre_techniques) AS technique
    WHERE e.tenant_id = o.tenant_id AND e.risk_object_type = o.risk_object_type AND e.risk_object = o.risk_object
  ) t
  WHERE a.risk_event_count > 0;
  RETURN NULL;
END $$;

UPDATE risk_object_totals
SET rule_ids = ARRAY(SELECT DISTINCT r::text FROM unnest(rule_ids) AS r ORDER BY 1)::uuid[],
    mitre_techniques = ARRAY(SELECT DISTINCT m FROM unnest(mitre_techniques) AS m ORDER BY 1);
