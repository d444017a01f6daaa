/**
 * How long a failed delivery waits before its next attempt: `baseMs` after the first, doubling
 * after each further one, never more than MAX_RETRY_DELAY_MS (with the defaults, 30 s, 1 min,
 * 2 min … about four hours for ten attempts).
 */

export const MAX_RETRY_DELAY_MS = 6 * 3_600_000

/** The wait after attempt number `attempt` (1 for the first) failed. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS)
}
