import { createClient, type Client } from 'graphql-ws'
import WebSocket from 'ws'
import { FINISHED_STATUSES, UPLOAD_STATE_FIELDS, type UploadState } from './upload-state.js'

/**
 * Follows uploads until the service has processed them: live, through the uploadProgress
 * subscription (one WebSocket for all of them), and by polling GET /v1/uploads/:id for any the
 * subscription cannot follow — a proxy that refuses WebSocket upgrades, a server without them —
 * so waiting works wherever uploading does.
 */

export interface WaitOptions {
  /** Every state seen, as it arrives. */
  onState: (state: UploadState) => void
  /** Told once when the subscription cannot be used and polling takes over. */
  onFallback?: (reason: string) => void
  pollMs?: number
}

export type WaitOutcome = { ok: true; state: UploadState } | { ok: false; code: string; message: string }

export async function waitForUploads(server: URL, key: string, ids: string[], opts: WaitOptions): Promise<Map<string, WaitOutcome>> {
  // A server that never accepted the WebSocket is not retried (polling takes over at once); one
  // that dropped it after accepting is (a restart, a deploy).
  let connected = false
  const client = createClient({
    url: new URL('/graphql', server.href.replace(/^http/, 'ws')).href,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 3,
    shouldRetry: () => connected,
    on: { connected: () => (connected = true) },
  })
  let warned = false
  const follow = async (id: string): Promise<WaitOutcome> => {
    try {
      return { ok: true, state: await viaSubscription(client, id, opts.onState) }
    } catch (err) {
      if (!warned) opts.onFallback?.(describe(err))
      warned = true
      return viaPolling(server, key, id, opts)
    }
  }
  try {
    const outcomes = await Promise.all(ids.map(async (id) => [id, await follow(id)] as const))
    return new Map(outcomes)
  } finally {
    await client.dispose()
  }
}

function viaSubscription(client: Client, id: string, onState: (s: UploadState) => void): Promise<UploadState> {
  return new Promise((resolve, reject) => {
    let last: UploadState | null = null
    client.subscribe<{ uploadProgress: UploadState }>(
      { query: `subscription ($id: ID!) { uploadProgress(id: $id) { ${UPLOAD_STATE_FIELDS} } }`, variables: { id } },
      {
        next: (r) => {
          if (!r.data) return
          last = r.data.uploadProgress
          onState(last)
        },
        error: reject,
        complete: () => (last && FINISHED_STATUSES.has(last.status) ? resolve(last) : reject(new Error('the subscription ended before the upload finished'))),
      },
    )
  })
}

async function viaPolling(server: URL, key: string, id: string, opts: WaitOptions): Promise<WaitOutcome> {
  for (;;) {
    let res: Response
    try {
      res = await fetch(new URL(`/v1/uploads/${encodeURIComponent(id)}`, server), { headers: { authorization: `Bearer ${key}` } })
    } catch (err) {
      return { ok: false, code: 'CONNECTION_FAILED', message: `cannot reach ${server.origin}: ${(err as Error).message}` }
    }
    const body = (await res.json().catch(() => ({}))) as { upload?: UploadState; error?: { code: string; message: string } }
    if (!res.ok || !body.upload) return { ok: false, code: body.error?.code ?? `HTTP_${res.status}`, message: body.error?.message ?? `HTTP ${res.status}` }
    opts.onState(body.upload)
    if (FINISHED_STATUSES.has(body.upload.status)) return { ok: true, state: body.upload }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000))
  }
}

/** graphql-ws reports GraphQL errors as a list and a closed socket as its close event. */
function describe(err: unknown): string {
  if (Array.isArray(err)) return err.map((e: { message?: string }) => e.message).join('; ')
  const close = err as { code?: number; reason?: string; message?: string }
  if (typeof close?.code === 'number') return `the WebSocket closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`
  return close?.message ?? String(err)
}
