/**
 * RFC 4180 fields: separated by commas; a field in double quotes may hold commas, line breaks and
 * quotes (doubled). Unquoted fields are taken as they are, a stray quote inside one included
 * (exporters are not all strict).
 */

const QUOTE = 0x22
const COMMA = 0x2c

/** Whether `line` leaves a quoted field open (an odd number of quotes), given whether one was open before it. */
export function quotesOpenAfter(line: string, open: boolean): boolean {
  let odd = open
  for (let i = line.indexOf('"'); i >= 0; i = line.indexOf('"', i + 1)) odd = !odd
  return odd
}

/** The fields of one record, or what is wrong with it (with its column). */
export function csvFields(record: string): string[] | string {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (record.charCodeAt(i) === QUOTE) {
      let value = ''
      let from = i + 1
      for (;;) {
        const close = record.indexOf('"', from)
        if (close < 0) return `a quoted field opened at column ${i + 1} is not closed`
        value += record.slice(from, close)
        if (record.charCodeAt(close + 1) === QUOTE) {
          value += '"'
          from = close + 2
          continue
        }
        i = close + 1
        break
      }
      fields.push(value)
      if (i === record.length) return fields
      if (record.charCodeAt(i) !== COMMA) return `a comma or the end of the record must follow the closing quote at column ${i}`
      i++
    } else {
      const comma = record.indexOf(',', i)
      fields.push(record.slice(i, comma < 0 ? record.length : comma))
      if (comma < 0) return fields
      i = comma + 1
    }
    if (i === record.length) {
      fields.push('')
      return fields
    }
  }
}

/** Columns whose presence says a line is the header of an event export this reader reads (its records' marker fields). */
const EVENT_COLUMNS = new Set(['_raw', 'EventID', 'event_simpleName', 'winlog.event_id'])
const COLUMN_NAME = /^[A-Za-z_@][\w.@:-]*$/

/**
 * The columns named by `line` when it is the header of a CSV export of events: two or more
 * names, each a field name, one of them a field that marks an event (`_raw` of a Splunk export,
 * `EventID`, `event_simpleName`, `winlog.event_id`); else null, and the line is not CSV.
 */
export function csvHeader(line: string): string[] | null {
  const fields = csvFields(line.replace(/^\uFEFF/, ''))
  if (typeof fields === 'string' || fields.length < 2) return null
  const names = fields.map((f) => f.trim())
  if (!names.every((n) => COLUMN_NAME.test(n)) || !names.some((n) => EVENT_COLUMNS.has(n))) return null
  return names
}
