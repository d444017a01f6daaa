/**
 * CSV as RFC 4180 writes it (https://www.rfc-editor.org/rfc/rfc4180#section-2): CRLF after every
 * record, the header included; a field that holds a comma, a double quote, CR or LF is enclosed
 * in double quotes, with each double quote inside doubled. Other fields are written bare.
 *
 * Spreadsheet formula injection (OWASP "CSV Injection"): a cell whose text starts with `=`, `+`,
 * `-` or `@` — or a tab or CR, which some spreadsheets skip before reading a formula — is taken as
 * a formula by Excel, LibreOffice and Google Sheets, and a log line written by an attacker
 * (`process = "=HYPERLINK(…)"`) would run in the analyst's spreadsheet. Such text cells get a
 * leading apostrophe, which spreadsheets read as "this is text" and do not display. Text that
 * already starts with an apostrophe gets one more, so the rule is reversible: a program reading
 * the file drops one leading apostrophe from any text cell that has one. Numbers are written as
 * numbers and never prefixed (a negative count is not a formula).
 */

/** A cell: text (neutralised), a number or boolean (written as is), or null (an empty cell). */
export type CsvValue = string | number | boolean | null

/** RFC 4180's record separator. */
export const CSV_RECORD_END = '\r\n'

const FORMULA_START = /^[=+\-@\t\r']/
const NEEDS_QUOTES = /[",\r\n]/

/** Prefixes an apostrophe to text a spreadsheet would read as a formula (see the module comment). */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
}

/** One field, neutralised and quoted as needed. */
export function csvField(value: CsvValue): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = neutraliseFormula(value)
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One record, with its CRLF. */
export function csvRecord(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + CSV_RECORD_END
}
