/**
 * GraphQL answers kept in memory, least recently used first out, bounded by the bytes the caller
 * counts for each (response-cache-plugin.ts: the answer's JSON body and the objects it was made
 * from). Each answer is stored with the version of its tenant's data it was computed from and is
 * only ever handed out for that same version (tenant-data-versions.ts).
 */
export class ResponseStore {
  private readonly entries = new Map<string, { version: number; data: unknown; bytes: number }>()
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  /** The answer stored under `key` for `version`, if any. */
  get(key: string, version: number): unknown {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    if (entry.version !== version) {
      this.bytes -= entry.bytes
      return undefined
    }
    this.entries.set(key, entry)
    return entry.data
  }

  /** Stores `data` under `key` for `version`, unless it alone is larger than the store; says whether it did. */
  set(key: string, version: number, data: unknown, bytes: number): boolean {
    if (bytes > this.maxBytes) return false
    const old = this.entries.get(key)
    if (old) {
      this.entries.delete(key)
      this.bytes -= old.bytes
    }
    this.entries.set(key, { version, data, bytes })
    this.bytes += bytes
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      this.bytes -= entry.bytes
    }
    return true
  }

  /** Bytes held, as counted by the callers of set(). */
  get size(): number {
    return this.bytes
  }
}
