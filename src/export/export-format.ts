import { csvRecord, type CsvValue } from './csv.js'

/**
 * The three export formats and how a stream of record batches becomes text in each: CSV (a header
 * line, then one line per record), JSON (one array, written element by element) and NDJSON (one
 * object per line). Nothing here holds more than the batch in hand.
 */

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
}

/**
 * How one kind of record is exported: the CSV columns and cells of a record, and its JSON object.
 * CSV cells are flat: lists of text are written one value per line inside the cell (as Splunk's
 * outputcsv writes multivalue fields), nested objects as JSON text.
 */
export interface ExportShape<R> {
  readonly columns: readonly string[]
  cells(record: R): CsvValue[]
  json(record: R): unknown
}

/** A list cell: values one per line (CSV quotes the cell); empty for no values. */
export const listCell = (values: readonly string[]): string => values.join('\n')

/** Text chunks of the export, one per batch (plus the header or the array's brackets). */
export async function* serialise<R>(batches: AsyncIterable<readonly R[]>, shape: ExportShape<R>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvRecord(shape.columns)
  if (format === 'json') yield '['
  let first = true
  for await (const batch of batches) {
    if (batch.length === 0) continue
    if (format === 'csv') {
      yield batch.map((r) => csvRecord(shape.cells(r))).join('')
    } else if (format === 'ndjson') {
      yield batch.map((r) => JSON.stringify(shape.json(r)) + '\n').join('')
    } else {
      yield (first ? '\n' : ',\n') + batch.map((r) => JSON.stringify(shape.json(r))).join(',\n')
    }
    first = false
  }
  if (format === 'json') yield first ? ']\n' : '\n]\n'
}
