import { withTenantScope } from '../db/db-scope.js'
import type { PrismaClient } from '../db/prisma.js'
import { NotFoundError } from '../errors.js'
import { findUpload, type UploadRow } from '../store/uploads-query.js'
import { eventQueue } from './event-queue.js'
import type { LiveHub } from './live-hub.js'
import type { LiveMessage } from './live-message.js'

/**
 * The states of one upload for `uploadProgress(id)`: its current state first (read from Postgres,
 * so a subscriber that joins late, or after the upload finished, starts from the truth), then each
 * progress report of the worker, then its final state, and the end.
 *
 * Messages only speed things up. The state is read again from Postgres when the worker says the
 * status changed, when the Redis connection comes back, and every `recheckMs` regardless: a lost
 * message (Redis away, a worker killed) delays the subscriber by that much at most, never strands it.
 */

export interface UploadProgressStreamDeps {
  prisma: PrismaClient
  hub: LiveHub
  /** How often the state is read again without news (default 10 s). */
  recheckMs?: number
}

const FINISHED = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'])

/** Rejects with NotFoundError when the tenant has no such upload. */
export async function uploadProgressStream(deps: UploadProgressStreamDeps, tenantId: string, uploadId: string): Promise<AsyncIterableIterator<UploadRow>> {
  const read = () => withTenantScope(tenantId, () => findUpload(deps.prisma, tenantId, uploadId))
  let current: UploadRow | null = null
  let stopListening = (): void => {}
  let timer: NodeJS.Timeout | undefined
  const queue = eventQueue<UploadRow>({
    latestOnly: true,
    onClose: () => {
      stopListening()
      clearInterval(timer)
    },
  })
  const show = (row: UploadRow): void => {
    current = row
    queue.push(row)
    if (FINISHED.has(row.status)) queue.end()
  }
  // Reads run one after another, so an earlier read never lands after a later one.
  let reading: Promise<void> = Promise.resolve()
  const readAgain = (): void => {
    reading = reading
      .then(async () => {
        const row = await read()
        if (!row) return queue.fail(new NotFoundError('Upload', uploadId))
        if (current && (FINISHED.has(current.status) || !changed(current, row) || olderReport(row, current))) return
        show(row)
      })
      // A failed read (Postgres restarting) is retried by the next recheck.
      .catch(() => {})
  }
  const onProgress = (m: Extract<LiveMessage, { type: 'upload-progress' }>): void => {
    if (!current || FINISHED.has(current.status)) return
    const at = new Date(m.at)
    if (current.progressAt && at <= current.progressAt) return
    show({ ...current, status: 'RUNNING', startedAt: new Date(m.startedAt), progressAt: at, bytesProcessed: BigInt(m.bytesProcessed), eventsProcessed: BigInt(m.eventsProcessed) })
  }
  // Listening starts before the first read: nothing said between the two is missed.
  stopListening = deps.hub.listen(tenantId, {
    message(m) {
      if (m.type === 'upload-progress' && m.uploadId === uploadId) onProgress(m)
      else if (m.type === 'upload-changed' && m.uploadId === uploadId) readAgain()
    },
    resync: readAgain,
  })
  try {
    const first = await read()
    if (!first) throw new NotFoundError('Upload', uploadId)
    show(first)
  } catch (err) {
    await queue.iterator.return()
    throw err
  }
  timer = setInterval(readAgain, deps.recheckMs ?? 10_000)
  timer.unref()
  return queue.iterator
}

function changed(a: UploadRow, b: UploadRow): boolean {
  const time = (d: Date | null) => d?.getTime() ?? null
  return (
    a.status !== b.status ||
    a.bytesProcessed !== b.bytesProcessed ||
    a.eventsProcessed !== b.eventsProcessed ||
    time(a.startedAt) !== time(b.startedAt) ||
    time(a.progressAt) !== time(b.progressAt) ||
    time(a.finishedAt) !== time(b.finishedAt)
  )
}

/** A read that started before a newer report of the same run arrived by message. */
function olderReport(row: UploadRow, current: UploadRow): boolean {
  return (
    row.status === 'RUNNING' &&
    current.status === 'RUNNING' &&
    row.startedAt?.getTime() === current.startedAt?.getTime() &&
    (row.progressAt?.getTime() ?? 0) < (current.progressAt?.getTime() ?? 0)
  )
}
