/**
 * Per-request batching of lookups that a list resolves field by field (a page of 50 detections
 * asking one count each): keys asked for in the same tick are loaded with one call. Loaders live
 * as long as the request's context object.
 */

type Load<K, V> = (keys: K[]) => Promise<Map<K, V>>

interface Batch<K, V> {
  keys: Set<K>
  result: Promise<Map<K, V>>
}

const perContext = new WeakMap<object, Map<string, { pending: Batch<unknown, unknown> | null }>>()

export function loadBatched<K, V>(ctx: object, name: string, key: K, load: Load<K, V>): Promise<V | undefined> {
  let loaders = perContext.get(ctx)
  if (loaders === undefined) perContext.set(ctx, (loaders = new Map()))
  let loader = loaders.get(name)
  if (loader === undefined) loaders.set(name, (loader = { pending: null }))
  if (loader.pending === null) {
    const keys = new Set<K>()
    const slot = loader
    // Dispatched after the resolvers of this tick have asked (as DataLoader does).
    const result = new Promise<Map<K, V>>((resolve, reject) => {
      void Promise.resolve().then(() =>
        process.nextTick(() => {
          slot.pending = null
          load([...keys]).then(resolve, reject)
        }),
      )
    })
    loader.pending = { keys, result } as Batch<unknown, unknown>
  }
  const batch = loader.pending as Batch<K, V>
  batch.keys.add(key)
  return batch.result.then((m) => m.get(key))
}
