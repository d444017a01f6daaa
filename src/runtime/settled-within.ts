/**
 * Waits for `promise` to settle, at most `ms`; its outcome is not needed. For work that Postgres
 * already records and the reconciler completes if it does not happen now (enqueueing a job while
 * Redis is down): the request answers instead of hanging, and a late failure is not unhandled.
 */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  const settled = promise.then(
    () => undefined,
    () => undefined,
  )
  return Promise.race([settled, deadline]).finally(() => clearTimeout(timer))
}
