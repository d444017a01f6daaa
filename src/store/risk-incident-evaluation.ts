import { tacticsByTechnique } from '../detection/index.js'
import { ensureBuiltinRiskIncidentRules, MAX_WINDOW_HOURS, type Queryable } from './risk-incidents.js'
import { recordRiskIncidentsCreated } from './webhook-outbox.js'

/**
 * The evaluation of a tenant's risk incident rules (the rules and incidents themselves: see
 * risk-incidents.ts), run by the upload job for the risk objects it touched.
 */

export interface RiskObjectKey {
  type: string
  object: string
}

export interface EvaluationResult {
  created: number
  updated: number
}

/**
 * The ATT&CK tactics of each technique, as one JSON object parameter (computed once): looked up
 * per technique of each risk event. Two arrays of pairs unnested into a table cost a scan of all
 * ~900 pairs for every (rule, object) the query measures, most of the query's time.
 */
let tacticsOfTechnique: string | undefined

/**
 * Evaluates the tenant's enabled risk incident rules at `now` for `objects` (all objects with risk
 * events in the last MAX_WINDOW_HOURS when omitted), entirely in SQL: creates the incidents newly
 * met and updates the open ones, and records a webhook event for each incident created. A rule's
 * window (24 hours, 7 days…) ends at the object's latest risk event up to `now`, by event time, as
 * ES's searches run over `_time`: for live data the last hours; for an upload of last month's logs,
 * the hours of last month's activity. Runs on the caller's connection (inside its transaction).
 */
export async function evaluateRiskIncidents(db: Queryable, tenantId: string, opts: { now: Date; objects?: readonly RiskObjectKey[] }): Promise<EvaluationResult> {
  if (opts.objects !== undefined && opts.objects.length === 0) return { created: 0, updated: 0 }
  await ensureBuiltinRiskIncidentRules(db, tenantId)
  tacticsOfTechnique ??= JSON.stringify(tacticsByTechnique())
  const { rows } = await db.query<{ id: string; inserted: boolean }>(
    `WITH objs AS (
       SELECT DISTINCT t, o FROM unnest($2::text[], $3::text[]) AS x(t, o) WHERE $2::text[] IS NOT NULL
       UNION
       SELECT DISTINCT risk_object_type, risk_object FROM risk_events
       WHERE $2::text[] IS NULL AND tenant_id = $1 AND time <= $5 AND time > $5::timestamptz - make_interval(hours => ${MAX_WINDOW_HOURS})
     ),
     -- Each object's window ends at its latest risk event (not after now): uploads of past logs
     -- raise the incidents of when the activity happened, live data those of the last hours.
     -- Materialized: inlined, the latest-event subquery ran again for every use of window_end
     -- (the window's end, its start, the filter) and planning took longer too.
     anchored AS MATERIALIZED (
       SELECT objs.t, objs.o, (SELECT max(e.time) FROM risk_events e WHERE e.tenant_id = $1 AND e.risk_object_type = objs.t AND e.risk_object = objs.o AND e.time <= $5) AS window_end
       FROM objs
     ),
     candidates AS (
       SELECT r.id AS rule_id, r.kind, r.score_threshold, r.min_tactics, r.min_detections, a.t AS risk_object_type, a.o AS risk_object,
              a.window_end, a.window_end - make_interval(hours => r.window_hours) AS window_start
       FROM risk_incident_rules r CROSS JOIN anchored a
       WHERE r.tenant_id = $1 AND r.enabled AND a.window_end IS NOT NULL
     ),
     measured AS (
       SELECT c.*, s.score, s.detection_count, s.risk_event_count, s.newest, coalesce(tac.tactics, '{}') AS tactics
       FROM candidates c
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(e.risk_score), 0) AS score, count(DISTINCT e.rule_id)::int AS detection_count, count(*)::int AS risk_event_count, max(e.created_at) AS newest
         FROM risk_events e
         WHERE e.tenant_id = $1 AND e.risk_object_type = c.risk_object_type AND e.risk_object = c.risk_object AND e.time > c.window_start AND e.time <= c.window_end
       ) s
       CROSS JOIN LATERAL (
         SELECT array_agg(DISTINCT m.tactic ORDER BY m.tactic) AS tactics
         FROM risk_events e CROSS JOIN unnest(e.mitre_techniques) AS tech(id) CROSS JOIN jsonb_array_elements_text($4::jsonb -> tech.id) AS m(tactic)
         WHERE e.tenant_id = $1 AND e.risk_object_type = c.risk_object_type AND e.risk_object = c.risk_object AND e.time > c.window_start AND e.time <= c.window_end
       ) tac
     ),
     met AS (
       SELECT * FROM measured ms
       WHERE ms.risk_event_count > 0
         AND ((ms.kind = 'SCORE_THRESHOLD' AND ms.score > ms.score_threshold)
              OR (ms.kind = 'TACTIC_SPREAD' AND cardinality(ms.tactics) >= ms.min_tactics AND ms.detection_count >= ms.min_detections))
         -- A closed incident stays closed: a new one needs risk events written after the close.
         AND NOT EXISTS (
           SELECT 1 FROM risk_incidents ci
           WHERE ci.tenant_id = $1 AND ci.rule_id = ms.rule_id AND ci.risk_object_type = ms.risk_object_type AND ci.risk_object = ms.risk_object
             AND ci.status = 'CLOSED' AND ci.status_changed_at >= ms.newest
             AND NOT EXISTS (SELECT 1 FROM risk_incidents oi WHERE oi.tenant_id = $1 AND oi.rule_id = ms.rule_id AND oi.risk_object_type = ms.risk_object_type
                             AND oi.risk_object = ms.risk_object AND oi.status <> 'CLOSED')
         )
     )
     INSERT INTO risk_incidents AS i (tenant_id, rule_id, risk_object, risk_object_type, window_start, window_end, score, tactics, detection_count, risk_event_count,
                                      status_changed_at, created_at, updated_at)
     SELECT $1::uuid, rule_id, risk_object, risk_object_type, window_start, window_end, score, tactics, detection_count, risk_event_count, $5, $5, $5 FROM met
     ON CONFLICT (tenant_id, rule_id, risk_object_type, risk_object) WHERE status <> 'CLOSED' DO UPDATE
       SET window_start = excluded.window_start, window_end = excluded.window_end, score = excluded.score, tactics = excluded.tactics,
           detection_count = excluded.detection_count, risk_event_count = excluded.risk_event_count, updated_at = excluded.updated_at
     RETURNING i.id, (xmax = 0) AS inserted`,
    [
      tenantId,
      opts.objects === undefined ? null : opts.objects.map((o) => o.type),
      opts.objects === undefined ? null : opts.objects.map((o) => o.object),
      tacticsOfTechnique,
      opts.now,
    ],
  )
  const created = rows.filter((r) => r.inserted).map((r) => r.id)
  await recordRiskIncidentsCreated(db, tenantId, created)
  return { created: created.length, updated: rows.length - created.length }
}
