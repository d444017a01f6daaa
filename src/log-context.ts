import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Fields that every log line written on behalf of one unit of work carries — a request's id —
 * however deep the code that logs: the logger (src/logger.ts) adds them to each line. Carried by
 * AsyncLocalStorage, so they follow awaits. Callbacks of stream events run outside it, which is
 * why the HTTP app enters the request's fields again after its body parsers (http/request-id.ts).
 */

export type LogFields = Readonly<Record<string, string>>

const storage = new AsyncLocalStorage<LogFields>()

/** Runs `fn` with `fields` on every log line it writes. */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  return storage.run(fields, fn)
}

/** The fields of the running code, or undefined outside any. */
export function currentLogFields(): LogFields | undefined {
  return storage.getStore()
}
