/**
 * The CrowdStrike aidmaster inventory (agent id → host name), as teams export it: CSV with a header
 * row, newline-delimited JSON objects, or a JSON array. The host name is taken from the first of
 * `ComputerName`, `hostname`, `device_hostname`, `computer_name` (any case). Bad rows are reported
 * with their line and never stop the good ones.
 */

export interface HostEntry {
  aid: string
  hostname: string
}

export interface AidmasterParse {
  hosts: HostEntry[]
  errors: { line: number; message: string }[]
}

const HOSTNAME_KEYS = ['computername', 'hostname', 'device_hostname', 'computer_name']
const AID = /^[0-9a-f]{32}$/

function entryFrom(record: Record<string, unknown>, line: number, out: AidmasterParse): void {
  const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]))
  const aid = String(lower.get('aid') ?? '').trim().toLowerCase()
  const hostKey = HOSTNAME_KEYS.find((k) => typeof lower.get(k) === 'string' && (lower.get(k) as string).trim() !== '')
  if (!AID.test(aid)) {
    out.errors.push({ line, message: aid === '' ? 'no aid' : `aid "${aid}" is not 32 hexadecimal digits` })
    return
  }
  if (!hostKey) {
    out.errors.push({ line, message: `no host name (expected one of ComputerName, hostname, device_hostname, computer_name)` })
    return
  }
  out.hosts.push({ aid, hostname: (lower.get(hostKey) as string).trim() })
}

/** Splits one CSV line (RFC 4180 quoting); null when a quote is left open. */
export function splitCsvLine(line: string): string[] | null {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"' && cell === '') quoted = true
    else if (c === ',') {
      cells.push(cell)
      cell = ''
    } else cell += c
  }
  if (quoted) return null
  cells.push(cell)
  return cells
}

function parseCsv(lines: string[], out: AidmasterParse): void {
  const header = splitCsvLine(lines[0] ?? '')?.map((h) => h.trim())
  if (!header || !header.some((h) => h.toLowerCase() === 'aid')) {
    out.errors.push({ line: 1, message: 'the CSV header has no "aid" column' })
    return
  }
  lines.slice(1).forEach((text, i) => {
    if (text.trim() === '') return
    const cells = splitCsvLine(text)
    if (!cells) return void out.errors.push({ line: i + 2, message: 'unbalanced quotes' })
    entryFrom(Object.fromEntries(header.map((h, j) => [h, cells[j] ?? ''])), i + 2, out)
  })
}

function parseJsonLines(lines: string[], out: AidmasterParse): void {
  lines.forEach((text, i) => {
    if (text.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      return void out.errors.push({ line: i + 1, message: `invalid JSON: ${(err as Error).message}` })
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return void out.errors.push({ line: i + 1, message: 'not a JSON object' })
    entryFrom(value as Record<string, unknown>, i + 1, out)
  })
}

export function parseAidmaster(text: string): AidmasterParse {
  const out: AidmasterParse = { hosts: [], errors: [] }
  const body = text.replace(/^\uFEFF/, '')
  const first = body.trimStart()[0]
  if (first === '[') {
    let value: unknown
    try {
      value = JSON.parse(body)
    } catch (err) {
      out.errors.push({ line: 1, message: `invalid JSON: ${(err as Error).message}` })
      return out
    }
    ;(value as unknown[]).forEach((item, i) =>
      item !== null && typeof item === 'object' ? entryFrom(item as Record<string, unknown>, i + 1, out) : out.errors.push({ line: i + 1, message: `element ${i} is not an object` }),
    )
    return out
  }
  const lines = body.split(/\r?\n/)
  if (first === '{') parseJsonLines(lines, out)
  else parseCsv(lines, out)
  return out
}
