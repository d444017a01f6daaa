/**
 * Builds tar archives block by block for tests: ustar headers (with their checksum, or a wrong
 * one), each file's data padded to 512 bytes, and the two zero blocks that end an archive.
 */

export interface TarEntrySpec {
  readonly name: string
  readonly data?: Buffer | string
  /** Type flag (default '0', a regular file; '5' a folder, '2' a symlink, 'S' sparse, 'x' pax, 'L' GNU long name). */
  readonly type?: string
  /** Added to the computed checksum (a damaged header). */
  readonly checksumError?: number
  /** The size field in GNU's base-256 (high bit set) instead of octal. */
  readonly base256Size?: boolean
  /** The size written in the header instead of the data's (a pax `size` record then tells the truth). */
  readonly headerSize?: number
}

function header(spec: TarEntrySpec, size: number): Buffer {
  const h = Buffer.alloc(512)
  h.write(spec.name.slice(0, 100), 0, 'utf8')
  h.write('0000644\0', 100)
  h.write('0000000\0', 108)
  h.write('0000000\0', 116)
  const written = spec.headerSize ?? size
  if (spec.base256Size === true) {
    h[124] = 0x80
    h.writeUIntBE(written, 136 - 6, 6)
  } else h.write(`${written.toString(8).padStart(11, '0')}\0`, 124)
  h.write(`${(0o15130000000).toString(8)}\0`, 136)
  h.write(spec.type ?? '0', 156)
  h.write('ustar\0', 257, 'latin1')
  h.write('00', 263)
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const b of h) sum += b
  h.write(`${(sum + (spec.checksumError ?? 0)).toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  return h
}

/** One entry: its header and its data, padded. */
export function tarEntry(spec: TarEntrySpec): Buffer {
  const data = Buffer.from(spec.data ?? '')
  return Buffer.concat([header(spec, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512)])
}

/** A whole archive of `entries`, with its end blocks. */
export const tarArchive = (entries: readonly TarEntrySpec[]): Buffer => Buffer.concat([...entries.map(tarEntry), Buffer.alloc(1024)])

/** A pax extended header's data: `<length> <key>=<value>\n` records, the length counting itself. */
export function paxData(records: Record<string, string>): string {
  return Object.entries(records)
    .map(([k, v]) => {
      const body = ` ${k}=${v}\n`
      let n = body.length + 1
      while (String(n).length + body.length !== n) n = String(n).length + body.length
      return `${n}${body}`
    })
    .join('')
}
