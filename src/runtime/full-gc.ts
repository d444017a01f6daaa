import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * A full, synchronous garbage collection, or null where the runtime cannot offer one.
 *
 * V8 hands out its `gc` function only to contexts created after `--expose-gc` is set; setting the
 * flag at run time and creating a fresh context is the documented way to get it without a command
 * line flag, so every way of starting Watchpost (npx, node, Docker) behaves the same.
 */
let cached: (() => void) | null | undefined

export function fullGc(): (() => void) | null {
  if (cached !== undefined) return cached
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null')
    cached = typeof gc === 'function' ? () => void (gc as () => void)() : null
  } catch {
    cached = null
  }
  return cached
}
