import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { csvField, csvRecord } from '../../../src/export/csv.js'
import { parseCsv, unneutralise } from '../../helpers/csv.js'

describe('CSV writer (RFC 4180, formula neutralisation)', () => {
  it.each([
    ['plain text stays bare', 'ngrok.exe', 'ngrok.exe'],
    ['a comma is quoted', 'a,b', '"a,b"'],
    ['a quote is doubled and quoted', 'say "hi"', '"say ""hi"""'],
    ['a Windows command line with quotes', '"C:\\ngrok.exe" http 80', '"""C:\\ngrok.exe"" http 80"'],
    ['LF is quoted', 'line1\nline2', '"line1\nline2"'],
    ['CR is quoted', 'a\rb', '"a\rb"'],
    ['CRLF is quoted', 'a\r\nb', '"a\r\nb"'],
    ['= starts a formula: apostrophe', '=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+ gets an apostrophe', '+1+2', "'+1+2"],
    ['- gets an apostrophe', '-enc SQBFAFgA', "'-enc SQBFAFgA"],
    ['@ gets an apostrophe', '@SUM(A1)', "'@SUM(A1)"],
    ['a leading tab gets an apostrophe', '\t=1', "'\t=1"],
    ['a leading CR gets an apostrophe and quotes', '\r=1', `"'\r=1"`],
    ['a leading apostrophe gets another, to stay reversible', "'quoted", "''quoted"],
    ['= inside the text is harmless', 'a=b', 'a=b'],
    ['empty text', '', ''],
  ])('%s', (_name, value, written) => {
    expect(csvField(value)).toBe(written)
  })

  it('writes numbers, booleans and null as such, never prefixed', () => {
    expect([csvField(-5), csvField(20), csvField(1.5), csvField(true), csvField(null)]).toEqual(['-5', '20', '1.5', 'true', ''])
  })

  it('ends every record with CRLF', () => {
    expect(csvRecord(['a', 1, null, 'b,c'])).toBe('a,1,,"b,c"\r\n')
  })

  it('reads back as the text written, through a strict RFC 4180 reader (any text)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map((r) => csvRecord(r)).join('')
        const back = parseCsv(text).map((r) => r.map(unneutralise))
        // A record of one empty field is an empty line, which reads back as one empty field too.
        expect(back).toEqual(rows)
      }),
      { numRuns: 500 },
    )
  })

  it('leaves no cell a spreadsheet would read as a formula', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const [[cell]] = parseCsv(csvRecord([s])) as [[string]]
        expect(cell).not.toMatch(/^[=+\-@\t\r]/)
      }),
      { numRuns: 500 },
    )
  })
})
