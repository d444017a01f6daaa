import { isUuid } from '../store/rules.js'
import { bool, count, digest, firstItems, id, int, length, member, text, time } from './summary-values.js'

/**
 * What the audit log keeps of each mutation: an allow-list, one entry per mutation of the schema
 * (test/unit/audit/operation-summaries.test.ts fails for a mutation without one, so every new
 * mutation gets a decision). Kept: ids, names, flags, counts, sizes, SHA-256 of large text. Never
 * kept: API keys (createTenant and createApiKey return one), key hashes, uploaded files, YAML,
 * host inventories, fixture logs or detection comments. `result` is the resolver's value, present only on success.
 */

type Args = Record<string, unknown>

export interface OperationAudit {
  summarise(args: Args, result: unknown): Record<string, unknown>
  /** Tenant management (operator, CLI): the tenant acted on, recorded as the event's tenant. */
  targetTenant?(args: Args, result: unknown): string | null
}

const uuidOrNull = (v: unknown): string | null => (typeof v === 'string' && isUuid(v) ? v : null)
const byId: OperationAudit = { summarise: (a) => ({ id: id(a.id) }) }
const tenantById: OperationAudit = { summarise: (a) => ({ id: id(a.id) }), targetTenant: (a) => uuidOrNull(a.id) }

/** What is kept of an exception's input: entries as field, operator and number of values; expiry; comment length. */
function exceptionInput(input: unknown): Record<string, unknown> {
  const entries = member(input, 'entries')
  const expiresAt = member(input, 'expiresAt')
  return {
    entries: firstItems(entries, (e) => {
      const values = member(e, 'values')
      return { field: text(member(e, 'field'), 64), operator: text(member(e, 'operator'), 20), values: Array.isArray(values) ? values.length : member(e, 'value') == null ? 0 : 1 }
    }),
    entryCount: count(entries),
    expiresAt: expiresAt === null ? null : time(expiresAt),
    commentLength: length(member(input, 'comment')),
  }
}

/** What is kept of a scan schedule's input: all of it (names, cron, window, rule ids and tags). */
function scheduleInput(input: unknown): Record<string, unknown> {
  const rules = member(input, 'rules')
  return {
    name: text(member(input, 'name'), 200),
    cron: text(member(input, 'cron'), 100),
    timeZone: text(member(input, 'timeZone'), 64),
    windowStart: text(member(input, 'windowStart'), 20),
    windowEnd: text(member(input, 'windowEnd'), 20),
    allRules: bool(member(rules, 'all')),
    ruleIds: firstItems(member(rules, 'ids'), id),
    tags: firstItems(member(rules, 'tags'), (t) => text(t, 200)),
  }
}

/**
 * A webhook URL's origin (scheme, host and port) only: the path and query of many webhook URLs are
 * themselves a credential (Slack's and Teams' incoming webhooks).
 */
function urlOrigin(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined
  try {
    const u = new URL(v)
    return text(`${u.protocol}//${u.host}`, 200)
  } catch {
    return undefined
  }
}

/** What is kept of a webhook's input: name, URL origin, events and the enabled flag — the secret is never an argument. */
function webhookInput(input: unknown): Record<string, unknown> {
  return {
    name: text(member(input, 'name'), 100),
    urlOrigin: urlOrigin(member(input, 'url')),
    events: firstItems(member(input, 'events'), (e) => text(e, 30)),
    enabled: bool(member(input, 'enabled')),
  }
}

export const OPERATION_AUDITS = {
  createTenant: {
    // The result also holds the new tenant's first admin key: only the tenant's id is read from it.
    summarise: (a) => ({ name: text(a.name, 100) }),
    targetTenant: (_a, r) => uuidOrNull(member(member(r, 'tenant'), 'id')),
  },
  suspendTenant: tenantById,
  resumeTenant: tenantById,
  deleteTenant: tenantById,
  createApiKey: {
    // The result also holds the key itself: only its id is read.
    summarise: (a, r) => ({ name: text(a.name, 100), role: text(a.role, 20), expiresAt: time(a.expiresAt), apiKeyId: id(member(member(r, 'apiKey'), 'id')) }),
  },
  revokeApiKey: byId,
  // null keeps events forever, and is recorded as such.
  setRetentionPeriod: { summarise: (a) => ({ days: a.days === null ? null : int(a.days) }) },
  importRules: {
    summarise: (a, r) => ({
      yaml: digest(a.yaml),
      rulesImported: count(member(r, 'rules')),
      ruleIds: firstItems(member(r, 'rules'), (rule) => id(member(rule, 'id'))),
      macrosImported: count(member(r, 'macros')),
      documentErrors: count(member(r, 'errors')),
    }),
  },
  setRuleEnabled: { summarise: (a) => ({ id: id(a.id), enabled: bool(a.enabled) }) },
  deleteRule: byId,
  // Exceptions: ids, the rule, each entry's field, operator and number of values, the expiry and the
  // comment's length — never the values or the comment's text.
  createRuleException: {
    summarise: (a, r) => ({ id: id(member(r, 'id')), ruleId: id(member(member(a, 'input'), 'ruleId')), ...exceptionInput(member(a, 'input')) }),
  },
  updateRuleException: { summarise: (a, r) => ({ id: id(a.id), ruleId: id(member(r, 'ruleId')), ...exceptionInput(member(a, 'input')) }) },
  deleteRuleException: byId,
  enableBundledRules: {
    summarise: (a, r) => ({
      escuIds: a.escuIds === null || a.escuIds === undefined ? 'all' : firstItems(a.escuIds, id),
      escuIdCount: count(a.escuIds),
      rulesEnabled: count(r),
    }),
  },
  importCrowdStrikeHosts: {
    summarise: (a, r) => ({ data: digest(a.data), inserted: int(member(r, 'inserted')), updated: int(member(r, 'updated')), rowErrors: count(member(r, 'errors')) }),
  },
  setRuleFixtures: {
    summarise: (a) => ({
      id: id(a.id),
      fixtureCount: count(a.fixtures),
      fixtures: firstItems(a.fixtures, (f) => ({ name: text(member(f, 'name'), 100), kind: text(member(f, 'kind'), 20), log: digest(member(f, 'log')) })),
    }),
  },
  uploadLogs: {
    // GraphQL passes the file as a stream (never read here) and `format`; POST /v1/uploads passes
    // via, fileName, format and contentLength. The stored upload gives name, size and id.
    summarise: (a, r) => ({
      via: text(a.via, 20),
      fileName: text(member(r, 'fileName') ?? a.fileName),
      sizeBytes: int(member(r, 'sizeBytes')),
      contentLength: int(a.contentLength),
      format: text(a.format, 20),
      uploadId: id(member(r, 'id')),
    }),
  },
  deleteUpload: byId,
  // Triage: ids, the status and assignee set, and a comment's length — never its text.
  setDetectionStatus: {
    summarise: (a) => ({ id: id(a.id), status: text(a.status, 30), commentLength: a.comment === null || a.comment === undefined ? undefined : length(a.comment) }),
  },
  // null unassigns, and is recorded as such.
  assignDetection: { summarise: (a) => ({ id: id(a.id), assignee: a.assignee === null ? null : text(a.assignee, 200) }) },
  addDetectionComment: { summarise: (a, r) => ({ id: id(a.id), commentLength: length(a.body), commentId: id(member(r, 'id')) }) },
  setRiskIncidentStatus: { summarise: (a) => ({ id: id(a.id), status: text(a.status, 30) }) },
  // Without id: a new rule, whose id is read from the result.
  setRiskIncidentRule: {
    summarise: (a, r) => {
      const input = member(a, 'input')
      return {
        id: id(a.id ?? member(r, 'id')),
        name: text(member(input, 'name'), 200),
        kind: text(member(input, 'kind'), 30),
        enabled: bool(member(input, 'enabled')),
        scoreThreshold: int(member(input, 'scoreThreshold')),
        minTactics: int(member(input, 'minTactics')),
        minDetections: int(member(input, 'minDetections')),
        windowHours: int(member(input, 'windowHours')),
      }
    },
  },
  runScan: { summarise: (a, r) => ({ scanId: id(member(r, 'id')), from: time(a.from), to: time(a.to), rules: firstItems(a.rules, id), ruleCount: count(a.rules) }) },
  rescanUpload: { summarise: (a, r) => ({ scanId: id(member(r, 'id')), uploadId: id(a.uploadId), rules: firstItems(a.rules, id), ruleCount: count(a.rules) }) },
  createScanSchedule: { summarise: (a, r) => ({ id: id(member(r, 'id')), ...scheduleInput(a.input) }) },
  updateScanSchedule: { summarise: (a) => ({ id: id(a.id), ...scheduleInput(a.input) }) },
  pauseScanSchedule: byId,
  resumeScanSchedule: byId,
  deleteScanSchedule: byId,
  setRuleAlerting: {
    summarise: (a) => {
      const input = member(a, 'input')
      return { id: id(a.id), suppressBy: firstItems(member(input, 'suppressBy'), (f) => text(f, 100)), suppressWindow: text(member(input, 'suppressWindow'), 20), maxDetectionsPerRun: int(member(input, 'maxDetectionsPerRun')) }
    },
  },
  // Webhooks: the result of createWebhook and rotateWebhookSecret holds the new secret; only the
  // webhook's id is read from it. Delivery payloads are never kept.
  createWebhook: { summarise: (a, r) => ({ id: id(member(member(r, 'webhook'), 'id')), ...webhookInput(a.input) }) },
  updateWebhook: { summarise: (a) => ({ id: id(a.id), ...webhookInput(a.input) }) },
  deleteWebhook: byId,
  rotateWebhookSecret: { summarise: (a) => ({ id: id(a.id), previousSecretValidHours: int(a.previousSecretValidHours) }) },
  testWebhook: { summarise: (a, r) => ({ id: id(a.id), deliveryId: id(member(r, 'id')), status: text(member(r, 'status'), 20), statusCode: int(member(r, 'lastStatusCode')) }) },
  redeliverWebhookDelivery: { summarise: (a, r) => ({ id: id(a.id), deliveryId: id(member(r, 'id')) }) },
} satisfies Record<string, OperationAudit>

export type AuditedOperation = keyof typeof OPERATION_AUDITS

export const isAuditedOperation = (name: string): name is AuditedOperation => Object.hasOwn(OPERATION_AUDITS, name)
