import { enqueueWebhookDeliveries } from '../../queue/webhook-queue.js'
import { pageSize } from '../../store/cursor.js'
import { findDelivery, insertPing, insertRedelivery, markDeliveriesEnqueued, queryWebhookDeliveries, type DeliveryRecord } from '../../store/webhook-deliveries.js'
import { deleteWebhook, insertWebhook, listWebhooks, replaceWebhookSecret, updateWebhook, webhookById } from '../../store/webhooks.js'
import { attemptDelivery, deliverySettings } from '../../webhooks/deliver-webhook.js'
import { checkWebhookUrl } from '../../webhooks/destination-url.js'
import { generateWebhookSecret, sealWebhookSecret } from '../../webhooks/webhook-secret.js'
import { requireTenant, type RequestContext } from '../context.js'
import { settledWithin } from '../../runtime/settled-within.js'
import type { Resolvers } from '../generated/resolver-types.js'

/**
 * Webhooks (src/webhooks, src/store/webhooks.ts): tenant settings, so admin keys only. A secret
 * leaves the service twice at most: in the answer to createWebhook and to rotateWebhookSecret.
 */

const urlOf = (ctx: RequestContext, url: string): string => checkWebhookUrl(url, { allowPrivateDestinations: ctx.deps.config.webhookAllowPrivateDestinations })

/** A new secret, and its stored form. */
function newSecret(ctx: RequestContext): { secret: string; sealed: string } {
  const secret = generateWebhookSecret()
  return { secret, sealed: sealWebhookSecret(secret, ctx.deps.config.webhookSecretKey) }
}

/** How long redeliverWebhookDelivery waits for Redis to take the job (see there). */
const ENQUEUE_WAIT_MS = 3_000

/** A delivery as the API shows it: the body as JSON. */
const deliveryNode = (d: DeliveryRecord) => ({ ...d, payload: JSON.parse(d.body) as unknown })

export const webhookResolvers: Resolvers = {
  Query: {
    webhooks: (_, __, ctx) => listWebhooks(ctx.deps.pool, requireTenant(ctx, 'manage-settings').tenantId),
    webhookDeliveries: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      const page = await queryWebhookDeliveries(ctx.deps.pool, { tenantId, webhookId: args.webhookId, status: args.status, first: pageSize(args.first, 50, 200), after: args.after })
      return {
        edges: page.records.map((r) => ({ cursor: r.cursor, node: deliveryNode(r.record) })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.records.at(-1)?.cursor ?? null },
        totalCount: page.totalCount,
      }
    },
  },
  Mutation: {
    createWebhook: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      const { secret, sealed } = newSecret(ctx)
      const webhook = await insertWebhook(ctx.deps.pool, tenantId, { name: args.input.name, url: urlOf(ctx, args.input.url), events: args.input.events, enabled: args.input.enabled ?? true }, sealed)
      return { webhook, secret }
    },
    updateWebhook: (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      const url = args.input.url == null ? null : urlOf(ctx, args.input.url)
      return updateWebhook(ctx.deps.pool, tenantId, args.id, { ...args.input, url })
    },
    deleteWebhook: (_, args, ctx) => deleteWebhook(ctx.deps.pool, requireTenant(ctx, 'manage-settings').tenantId, args.id),
    rotateWebhookSecret: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      const { secret, sealed } = newSecret(ctx)
      const webhook = await replaceWebhookSecret(ctx.deps.pool, tenantId, args.id, sealed, args.previousSecretValidHours ?? 0)
      return { webhook, secret }
    },
    testWebhook: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      await webhookById(ctx.deps.pool, tenantId, args.id)
      const ping = await insertPing(ctx.deps.pool, tenantId, args.id)
      // One attempt, now: the answer says whether the receiver took it.
      await attemptDelivery(ctx.deps.pool, { ...deliverySettings(ctx.deps.config), maxAttempts: 1 }, tenantId, ping.id)
      return deliveryNode((await findDelivery(ctx.deps.pool, tenantId, ping.id))!)
    },
    redeliverWebhookDelivery: async (_, args, ctx) => {
      const { tenantId } = requireTenant(ctx, 'manage-settings')
      const delivery = await insertRedelivery(ctx.deps.pool, tenantId, args.id)
      // Enqueued at once. The delivery is committed already: should Redis not take the job within
      // ENQUEUE_WAIT_MS, the workers' outbox relay enqueues it, and the answer stays a success (a
      // client told otherwise would redeliver twice).
      const enqueued = enqueueWebhookDeliveries(ctx.deps.webhookQueue, [{ deliveryId: delivery.id, tenantId }]).then(() => markDeliveriesEnqueued(ctx.deps.pool, [delivery.id]))
      await settledWithin(enqueued, ENQUEUE_WAIT_MS)
      return deliveryNode(delivery)
    },
  },
}
