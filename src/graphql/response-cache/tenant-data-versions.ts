import pg from 'pg'
import type { Logger } from 'pino'

/**
 * Postgres announces every statement that changes a tenant's detections, rules or risk events on
 * this channel (migration 20261203300000_tenant_data_changes), with the tenant's id as payload, or
 * `*` when the writer worked for every tenant (system scope: retention, tenant deletion, tools).
 * Notifications are sent when the writing transaction commits, and only then.
 */
export const TENANT_DATA_CHANNEL = 'watchpost_tenant_data'

/**
 * Versions of each tenant's data as this process has heard of them: a number that changes
 * whenever the tenant's data may have changed. An answer computed from data read at version v may
 * be served again only while the version is still v.
 */
export interface TenantDataVersions {
  /** The tenant's current version; null while changes cannot be heard (then nothing may be cached). */
  versionOf(tenantId: string): number | null
  /** This process committed a change of the tenant's data (a mutation): earlier answers are stale now, not only once Postgres's notification arrives. */
  changed(tenantId: string): void
  /** Resolves once the first LISTEN succeeded (or the versions were closed). */
  readonly listening: Promise<void>
  close(): Promise<void>
}

export interface TenantDataVersionsOptions {
  readonly databaseUrl: string
  readonly log: Logger
  /** First and longest wait before listening again after the connection was lost. */
  readonly retryMs?: { readonly first: number; readonly max: number }
  /** How often the listener notifies itself, proving the channel still delivers (default 1 s). */
  readonly heartbeatMs?: number
}

/** Heartbeats that may go missing before the channel counts as deaf (nothing cached or served). */
const MISSED_HEARTBEATS = 3
const HEARTBEAT = 'heartbeat'

/**
 * Listens on its own connection (LISTEN needs a session of its own; a transaction-pooling proxy
 * in between would never deliver). While the connection is down every version is unknown, and
 * when it is back every tenant's version moves on, since notifications may have been missed.
 * A connection can also die silently (a proxy or NAT forgetting it): the listener notifies itself
 * every heartbeatMs, and when its own heartbeats stop arriving the versions are unknown too, so a
 * lost notification can make an answer stale for at most a few heartbeats, never for longer.
 */
export function listenForTenantDataChanges(opts: TenantDataVersionsOptions): TenantDataVersions {
  const retry = opts.retryMs ?? { first: 500, max: 30_000 }
  const heartbeatMs = opts.heartbeatMs ?? 1_000
  let lastHeard = 0
  let beat: NodeJS.Timeout | null = null
  let clock = 0
  /** Version of every tenant's data (moved on by `*` and by reconnecting). */
  let everyTenant = 0
  const tenantVersions = new Map<string, number>()
  let heard = false
  let closed = false
  let client: pg.Client | null = null
  let timer: NodeJS.Timeout | null = null
  let wait = retry.first
  let markListening: () => void = () => {}
  const listening = new Promise<void>((resolve) => (markListening = resolve))

  const lost = (conn: pg.Client, err?: Error): void => {
    if (client !== conn) return
    client = null
    heard = false
    everyTenant = ++clock
    if (beat) clearInterval(beat)
    beat = null
    conn.removeAllListeners('notification')
    conn.end().catch(() => {})
    if (closed) return
    opts.log.warn({ err: err?.message, retryInMs: wait }, 'not hearing tenant data changes: GraphQL answers are not cached until listening again')
    timer = setTimeout(connect, wait)
    wait = Math.min(wait * 2, retry.max)
  }

  async function connect(): Promise<void> {
    timer = null
    if (closed) return
    const conn = new pg.Client({ connectionString: opts.databaseUrl })
    client = conn
    conn.on('error', (err) => lost(conn, err))
    conn.on('end', () => lost(conn))
    conn.on('notification', (msg) => {
      if (msg.channel !== TENANT_DATA_CHANNEL) return
      const now = performance.now()
      // After a silence, whatever arrives is late: answers kept from before are not trusted.
      if (now - lastHeard > heartbeatMs * MISSED_HEARTBEATS) everyTenant = ++clock
      lastHeard = now
      if (msg.payload === HEARTBEAT) return
      if (msg.payload === '*' || msg.payload === undefined) everyTenant = ++clock
      else tenantVersions.set(msg.payload, ++clock)
    })
    try {
      await conn.connect()
      await conn.query(`LISTEN ${TENANT_DATA_CHANNEL}`)
    } catch (err) {
      lost(conn, err as Error)
      return
    }
    if (client !== conn) return
    // Whatever changed while nobody listened is unknown: every earlier answer is stale.
    everyTenant = ++clock
    heard = true
    lastHeard = performance.now()
    wait = retry.first
    beat = setInterval(() => {
      conn.query(`NOTIFY ${TENANT_DATA_CHANNEL}, '${HEARTBEAT}'`).catch((err: Error) => lost(conn, err))
    }, heartbeatMs)
    beat.unref()
    markListening()
  }

  /** Hearing: listening, and the last heartbeat (or any notification) arrived recently. */
  const hearing = (): boolean => {
    if (!heard) return false
    if (performance.now() - lastHeard <= heartbeatMs * MISSED_HEARTBEATS) return true
    // Deaf for now: whatever was missed makes every earlier answer stale, also once heard again.
    everyTenant = ++clock
    return false
  }

  void connect()
  return {
    versionOf: (tenantId) => (hearing() ? Math.max(tenantVersions.get(tenantId) ?? 0, everyTenant) : null),
    changed: (tenantId) => void tenantVersions.set(tenantId, ++clock),
    listening,
    async close() {
      closed = true
      if (timer) clearTimeout(timer)
      if (beat) clearInterval(beat)
      const conn = client
      client = null
      heard = false
      markListening()
      await conn?.end().catch(() => {})
    },
  }
}
