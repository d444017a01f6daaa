import { Buffer } from 'node:buffer'

/**
 * A pull reader over a byte stream, for formats read as headers and data in turn (ZIP): exact
 * reads for headers, bounded takes for data, and pushing back bytes read past an end. `offset`
 * is the position of the next byte in the stream. Holds one input chunk at a time.
 */
export class ByteCursor {
  private chunk: Buffer = Buffer.alloc(0)
  private pos = 0
  private ended = false
  /** Stream offset of the next byte to be read. */
  offset = 0

  constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  /** Whether unread bytes are at hand, pulling the next chunk when the current one is used up. */
  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false
      const r = await this.iterator.next()
      if (r.done === true) {
        this.ended = true
        return false
      }
      this.chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
      this.pos = 0
    }
    return true
  }

  /** The next `n` bytes; fewer only where the stream ends. */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = []
    let got = 0
    while (got < n && (await this.fill())) {
      const piece = this.chunk.subarray(this.pos, this.pos + (n - got))
      parts.push(piece)
      got += piece.length
      this.pos += piece.length
    }
    this.offset += got
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }

  /** The unread bytes of the current chunk (consumed), or null at the end of the stream. */
  async next(): Promise<Buffer | null> {
    if (!(await this.fill())) return null
    const piece = this.chunk.subarray(this.pos)
    this.pos = this.chunk.length
    this.offset += piece.length
    return piece
  }

  /** Up to `n` bytes, as they come; fewer only where the stream ends. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n
    while (left > 0 && (await this.fill())) {
      const piece = this.chunk.subarray(this.pos, this.pos + Math.min(left, this.chunk.length - this.pos))
      this.pos += piece.length
      this.offset += piece.length
      left -= piece.length
      yield piece
    }
  }

  /** Gives back bytes read too far: they are read again next. */
  unread(bytes: Buffer): void {
    if (bytes.length === 0) return
    this.chunk = Buffer.concat([bytes, this.chunk.subarray(this.pos)])
    this.pos = 0
    this.offset -= bytes.length
  }

  /** Stops the underlying stream early. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true
      await this.iterator.return?.()
    }
  }
}
