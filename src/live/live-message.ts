/**
 * What workers tell API processes about a tenant, over Redis pub/sub (one channel per tenant, see
 * live-publisher.ts and live-hub.ts). Messages are hints, never the truth: a subscriber reads
 * the state it shows from Postgres, and a lost message only delays an update (README, Live updates).
 */

export type LiveMessage =
  /** The figures a running upload's job has just written (jobs/process-upload.ts ProgressReport). */
  | { type: 'upload-progress'; uploadId: string; bytesProcessed: number; eventsProcessed: number; startedAt: string; at: string }
  /** The upload's status changed (finished, failed, handed back): read it again. */
  | { type: 'upload-changed'; uploadId: string }
  /** New detections, committed; suppressed ones are never announced. */
  | { type: 'detections-created'; ids: string[] }

/** The channel of one tenant's messages; the prefix (QUEUE_PREFIX) keeps deployments sharing a Redis apart. */
export function liveChannel(prefix: string, tenantId: string): string {
  return `${prefix}:live:${tenantId}`
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isId = (v: unknown): v is string => typeof v === 'string' && UUID.test(v)
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v))

/** Parses a message read from Redis; anything malformed is null (and ignored by the caller). */
export function parseLiveMessage(text: string): LiveMessage | null {
  let m: Record<string, unknown>
  try {
    m = JSON.parse(text) as Record<string, unknown>
  } catch {
    return null
  }
  if (m === null || typeof m !== 'object') return null
  switch (m.type) {
    case 'upload-progress':
      return isId(m.uploadId) && isCount(m.bytesProcessed) && isCount(m.eventsProcessed) && isTime(m.startedAt) && isTime(m.at) ? (m as LiveMessage) : null
    case 'upload-changed':
      return isId(m.uploadId) ? (m as LiveMessage) : null
    case 'detections-created':
      return Array.isArray(m.ids) && m.ids.every(isId) ? (m as LiveMessage) : null
    default:
      return null
  }
}
