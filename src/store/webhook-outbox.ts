import type pg from 'pg'

/**
 * The outbox of webhook events. The code that creates a detection (detection-writer.ts) or a risk
 * incident (risk-incident-evaluation.ts) calls these on its own connection, inside its own
 * transaction: one delivery row per event and subscribed, enabled webhook, with the exact JSON
 * body to send. The event therefore exists exactly when the detection or incident does — a job
 * that rolls back leaves none, a retried job cannot add a second — and the delivery worker
 * (jobs/webhook-worker.ts), fed by the outbox relay (src/webhooks/outbox-relay.ts), sends it after
 * the commit. With no webhook subscribed, nothing is written.
 *
 * Payload: { id, type, createdAt, tenant: { id, name }, data: { … } } (README, Webhooks).
 */

type Queryable = Pick<pg.ClientBase, 'query'>

/** A timestamptz as JavaScript's toISOString writes it, whatever the session's time zone. */
const iso = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * The delivery rows of the events in `events` (a query with columns event_id, at and data), one
 * per webhook of the tenant subscribed to `$2` ($1 is the tenant).
 */
const FAN_OUT = `
  INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, payload, created_at)
  SELECT $1, w.id, e.event_id, $2::text::"WebhookEventType",
         json_build_object('id', e.event_id, 'type', $2::text, 'createdAt', ${iso('e.at')}, 'tenant', json_build_object('id', t.id, 'name', t.name), 'data', e.data),
         e.at
  FROM events e
  CROSS JOIN webhooks w
  JOIN tenants t ON t.id = $1
  WHERE w.tenant_id = $1 AND w.enabled AND $2::text = ANY (w.events)`

/** Whether any enabled webhook of the tenant listens to `type` (evaluated once per statement). */
const SUBSCRIBED = `EXISTS (SELECT 1 FROM webhooks w WHERE w.tenant_id = $1 AND w.enabled AND $2::text = ANY (w.events))`

const DETECTION = `json_build_object(
  'id', d.id, 'status', d.status, 'ruleId', d.rule_id, 'ruleName', r.name, 'escuId', r.escu_id, 'ruleRevision', d.rule_revision,
  'count', d.count, 'firstSeen', ${iso('d.first_time')}, 'lastSeen', ${iso('d.last_time')}, 'fields', d.fields,
  'mitreTechniques', coalesce((r.definition -> 'tags' -> 'mitreAttackIds')::json, '[]'::json),
  'riskObjects', (SELECT coalesce(json_agg(json_build_object('object', o.risk_object, 'type', o.risk_object_type, 'score', o.score) ORDER BY o.risk_object_type, o.risk_object), '[]'::json)
                  FROM (SELECT risk_object, risk_object_type, max(risk_score) AS score FROM risk_events
                        WHERE detection_id = d.id AND tenant_id = $1 GROUP BY 1, 2) o))`

/**
 * DETECTION_CREATED for new detections: those suppressed into an earlier one (the rule's alert
 * suppression) are left out — suppression exists so that nobody is alerted again. Returns the
 * number of deliveries written.
 */
export async function recordDetectionsCreated(db: Queryable, tenantId: string, detectionIds: readonly string[]): Promise<number> {
  if (detectionIds.length === 0) return 0
  const { rowCount } = await db.query(
    `WITH events AS MATERIALIZED (
       SELECT gen_random_uuid() AS event_id, clock_timestamp() AS at, json_build_object('detection', ${DETECTION}) AS data
       FROM detections d JOIN rules r ON r.id = d.rule_id
       WHERE d.tenant_id = $1 AND d.id = ANY ($3::uuid[]) AND d.suppressed_into IS NULL AND ${SUBSCRIBED}
     ) ${FAN_OUT}`,
    [tenantId, 'DETECTION_CREATED', detectionIds],
  )
  return rowCount ?? 0
}

/**
 * DETECTION_REOPENED for detections closed as true positives that new events reopened, with what
 * reopened them (`by`: "upload <id>", "scan <id>") and how many events it added.
 */
export async function recordDetectionsReopened(db: Queryable, tenantId: string, by: string, reopened: readonly { id: string; addedEvents: number }[]): Promise<number> {
  if (reopened.length === 0) return 0
  const { rowCount } = await db.query(
    `WITH events AS MATERIALIZED (
       SELECT gen_random_uuid() AS event_id, clock_timestamp() AS at,
              json_build_object('detection', ${DETECTION}, 'reopened', json_build_object('by', $4::text, 'addedEvents', x.added)) AS data
       FROM unnest($3::uuid[], $5::bigint[]) AS x(id, added)
       JOIN detections d ON d.id = x.id AND d.tenant_id = $1 JOIN rules r ON r.id = d.rule_id
       WHERE ${SUBSCRIBED}
     ) ${FAN_OUT}`,
    [tenantId, 'DETECTION_REOPENED', reopened.map((r) => r.id), by, reopened.map((r) => r.addedEvents)],
  )
  return rowCount ?? 0
}

/** RISK_INCIDENT_CREATED for incidents just opened. */
export async function recordRiskIncidentsCreated(db: Queryable, tenantId: string, incidentIds: readonly string[]): Promise<number> {
  if (incidentIds.length === 0) return 0
  const { rowCount } = await db.query(
    `WITH events AS MATERIALIZED (
       SELECT gen_random_uuid() AS event_id, clock_timestamp() AS at,
              json_build_object('riskIncident', json_build_object(
                'id', i.id, 'status', i.status, 'riskObject', i.risk_object, 'riskObjectType', i.risk_object_type, 'score', i.score,
                'tactics', to_json(i.tactics), 'detectionCount', i.detection_count, 'riskEventCount', i.risk_event_count,
                'windowStart', ${iso('i.window_start')}, 'windowEnd', ${iso('i.window_end')},
                'incidentRule', json_build_object('id', r.id, 'name', r.name, 'kind', r.kind))) AS data
       FROM risk_incidents i JOIN risk_incident_rules r ON r.id = i.rule_id
       WHERE i.tenant_id = $1 AND i.id = ANY ($3::uuid[]) AND ${SUBSCRIBED}
     ) ${FAN_OUT}`,
    [tenantId, 'RISK_INCIDENT_CREATED', incidentIds],
  )
  return rowCount ?? 0
}
