import pg from 'pg'
import { currentDbScope, type DbScope } from './db-scope.js'

/** Options of createPool. */
export interface PoolOptions {
  /** Most connections (default 10). */
  readonly max?: number
  /**
   * Role every connection switches to (`SET ROLE`) — one that row-level security applies to
   * (not a superuser, no BYPASSRLS, not the tables' owner). With a role, each checkout also sets
   * the tenant scope of the code that asked (db-scope.ts). Null: connect as the URL's user, for
   * migrations and tools that must see everything.
   */
  readonly appRole?: string | null
}

/** One pg pool per process, shared by Prisma (through its driver adapter) and by COPY writers. */
export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const config = { connectionString: databaseUrl, max: options.max ?? 10 }
  const pool = options.appRole ? new ScopedPool(config, options.appRole) : new pg.Pool(config)
  // An idle client that loses its connection (Postgres restart) must not crash the process:
  // the pool drops it and the next checkout reconnects.
  pool.on('error', () => {})
  return pool
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void

/**
 * Role and scope in one statement, on every checkout. Setting the role here rather than once per
 * connection means a failure reaches the caller instead of leaving a connection that runs as the
 * login user (which may bypass row-level security).
 */
const SET_SCOPE = "SELECT set_config('role', $1, false), set_config('watchpost.tenant_id', $2, false), set_config('watchpost.system', $3, false)"

/**
 * A pool whose connections run as `appRole` and carry the caller's scope. Every checkout goes
 * through connect() — pg's pool.query and Prisma's adapter included — so the scope is read there,
 * synchronously in the caller's async context, and set on the connection before the caller gets it.
 */
class ScopedPool extends pg.Pool {
  /**
   * The settings each connection last received, so that a checkout in the scope the connection
   * already carries skips the round trip (a request's several queries, a job's many, mostly find
   * their own scope). Safe because the settings are session-level and set outside any transaction
   * (nothing can roll them back), nothing else in the service sets them, and a connection that
   * failed is destroyed by the pool, taking its entry with it.
   */
  private readonly applied = new WeakMap<pg.PoolClient, string>()

  constructor(
    config: pg.PoolConfig,
    private readonly appRole: string,
  ) {
    super(config)
  }

  override connect(): Promise<pg.PoolClient>
  override connect(callback: ConnectCallback): void
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const settings = [this.appRole, ...scopeSettings(currentDbScope())]
    const key = settings.join('\u0000')
    const scoped = super.connect().then(async (client) => {
      if (this.applied.get(client) === key) return client
      // Checked out, the client has no 'error' listener until its caller adds one: a connection
      // lost during this round trip (a Postgres restart) would be emitted unheard and crash the
      // process. Heard here, it only rejects the query, and the client is discarded below.
      const lostDuringSetup = (): void => {}
      client.on('error', lostDuringSetup)
      try {
        await client.query(SET_SCOPE, settings)
        this.applied.set(client, key)
      } catch (err) {
        this.applied.delete(client)
        client.release(err instanceof Error ? err : true)
        throw err
      } finally {
        client.off('error', lostDuringSetup)
      }
      return client
    })
    if (callback === undefined) return scoped
    scoped.then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (err: Error) => callback(err, undefined, () => {}),
    )
  }
}

/** `watchpost.tenant_id` and `watchpost.system` for a scope; no scope sees no tenant rows. */
function scopeSettings(scope: DbScope | null): [string, string] {
  if (scope === null) return ['', 'off']
  return scope.kind === 'system' ? ['', 'on'] : [scope.tenantId, 'off']
}
