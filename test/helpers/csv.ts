/**
 * A strict RFC 4180 reader for tests (no CSV library in the project): records end in CRLF, quoted
 * fields may hold commas, CR, LF and doubled quotes; anything else (a bare LF as record end, a
 * quote inside an unquoted field, text after a closing quote) throws, so a test of the writer
 * fails on output a strict reader would not take.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let i = 0
  const fail = (what: string): never => {
    throw new Error(`not RFC 4180 at offset ${i}: ${what}`)
  }
  while (i < text.length) {
    let field = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) fail('unterminated quoted field')
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += text[i++]
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') fail('quote in an unquoted field')
        field += text[i++]
      }
    }
    record.push(field)
    if (text[i] === ',') {
      i++
      continue
    }
    if (text.startsWith('\r\n', i)) {
      i += 2
      records.push(record)
      record = []
      continue
    }
    fail(i >= text.length ? 'last record without CRLF' : `unexpected ${JSON.stringify(text[i])}`)
  }
  return records
}

/** Undoes the export's formula neutralisation: one leading apostrophe comes off a text cell. */
export const unneutralise = (cell: string): string => (cell.startsWith("'") ? cell.slice(1) : cell)

/** CSV text → objects keyed by the header, neutralisation undone. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text)
  return rows.map((row) => {
    if (row.length !== header!.length) throw new Error(`a record has ${row.length} fields, the header ${header!.length}`)
    return Object.fromEntries(header!.map((h, i) => [h, unneutralise(row[i]!)]))
  })
}
