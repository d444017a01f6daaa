import type { Worker } from 'bullmq'

/**
 * Stops a BullMQ worker in bounded time. It takes no new job from the moment this is called; the
 * jobs it is running get `graceMs` to finish; then their abort signal fires, and a processor that
 * honours it hands its job back to the queue untouched (jobs/upload-worker.ts), so another worker
 * starts it over at once instead of waiting for the job's lock to expire.
 */
export async function closeWorker(worker: Worker, graceMs: number): Promise<{ cancelled: boolean }> {
  const closed = worker.close()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceMs)))
  const outcome = await Promise.race([closed.then(() => 'closed' as const), expired])
  clearTimeout(timer)
  if (outcome === 'closed') return { cancelled: false }
  worker.cancelAllJobs()
  await closed
  return { cancelled: true }
}
