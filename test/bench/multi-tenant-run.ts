import type { PrismaClient } from '../../src/db/prisma.js'
import { enableBundledRules } from '../../src/services/bundled-content.js'
import { createTenant } from '../../src/store/tenants.js'
import { postGraphQL } from './graphql-client.js'

/**
 * One timed run of several tenants sharing the workers, as an MSSP's customers do: each tenant
 * has its own key, its bundled rules and its share of the uploads, and the uploads of all tenants
 * are sent interleaved (tenant 1, 2, …, M, 1, 2, …), one after another, to the real API. The run
 * ends when GraphQL shows every tenant's uploads finished and its detections readable.
 */

export interface MultiTenantFigures {
  /** From the first POST until the last tenant's detections were readable. */
  readonly seconds: number
  /** Last tenant's last finishedAt minus the first tenant's last finishedAt (0 with one tenant). */
  readonly completionSpreadSeconds: number
  /** Seconds the uploads spent in a worker (startedAt..finishedAt), summed over all uploads. */
  readonly processingSeconds: number
  /** Detections of all tenants together. */
  readonly detections: number
}

interface UploadNode {
  status: string
  eventCount: number
  failureReason: string | null
  startedAt: string | null
  finishedAt: string | null
}

const FINISHED = new Set(['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'])
const POLL_MS = 100

/** Polls one tenant's uploads until all `expected` are finished; every one must have SUCCEEDED. */
async function finishedUploads(api: string, apiKey: string, expected: number): Promise<UploadNode[]> {
  type Uploads = { uploads: { edges: { node: UploadNode }[] } }
  const query = `{ uploads(first: ${expected}) { edges { node { status eventCount failureReason startedAt finishedAt } } } }`
  for (;;) {
    const nodes = (await postGraphQL<Uploads>(api, apiKey, query)).uploads.edges.map((e) => e.node)
    if (nodes.length === expected && nodes.every((u) => FINISHED.has(u.status))) {
      const failed = nodes.find((u) => u.status !== 'SUCCEEDED')
      if (failed) throw new Error(`an upload ended ${failed.status}: ${failed.failureReason ?? 'with errors'}`)
      return nodes
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

/** Creates `tenants` tenants, sends `slices` interleaved across them, and times until all are done. */
export async function timedMultiTenantRun(api: string, prisma: PrismaClient, slices: readonly Buffer[], events: number, tenants: number, name: string): Promise<MultiTenantFigures> {
  if (slices.length % tenants !== 0) throw new Error(`${slices.length} uploads do not split evenly across ${tenants} tenants`)
  const keys: string[] = []
  for (let t = 0; t < tenants; t++) {
    const { tenant, apiKey } = await createTenant(prisma, `${name}-tenant-${t + 1}`)
    await enableBundledRules(prisma, tenant.id, null)
    keys.push(apiKey)
  }
  const t0 = performance.now()
  for (const [i, slice] of slices.entries()) {
    const res = await fetch(`${api}/v1/uploads?fileName=part-${i}.xml`, { method: 'POST', headers: { authorization: `Bearer ${keys[i % tenants]}` }, body: slice })
    if (res.status !== 202) throw new Error(`upload ${i} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  }
  const perTenant = slices.length / tenants
  const done = await Promise.all(keys.map(async (apiKey) => {
    const uploads = await finishedUploads(api, apiKey, perTenant)
    const { detections } = await postGraphQL<{ detections: { totalCount: number } }>(api, apiKey, '{ detections(first: 1) { totalCount } }')
    return { uploads, detections: detections.totalCount }
  }))
  const seconds = (performance.now() - t0) / 1000
  const uploads = done.flatMap((d) => d.uploads)
  const stored = uploads.reduce((n, u) => n + u.eventCount, 0)
  if (stored !== events || done.some((d) => d.detections === 0)) throw new Error(`${stored} of ${events} events read, detections per tenant ${done.map((d) => d.detections).join(', ')}`)
  const lastFinished = done.map((d) => Math.max(...d.uploads.map((u) => Date.parse(u.finishedAt!))))
  return {
    seconds,
    completionSpreadSeconds: (Math.max(...lastFinished) - Math.min(...lastFinished)) / 1000,
    processingSeconds: uploads.reduce((n, u) => n + (Date.parse(u.finishedAt!) - Date.parse(u.startedAt!)) / 1000, 0),
    detections: done.reduce((n, d) => n + d.detections, 0),
  }
}
