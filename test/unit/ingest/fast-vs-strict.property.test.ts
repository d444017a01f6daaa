import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clearFastPathTemplates, fastPathTemplateCounts, parseRegularLine } from '../../../src/ingest/xml/fast-path.js'
import { FIXTURES } from './helpers/read.js'
import { expectedRecord, generatedEvent, parseStrict, plain, renderEvent, value, type GeneratedEvent } from './helpers/xml-events.js'

const parsePlain = (line: string) => parseRegularLine(line)?.map(plain) ?? null

/**
 * The fast path must agree with saxes: whenever it accepts a line, saxes accepts it too and
 * extracts the same records; whenever saxes rejects a line, the fast path declines it.
 * INGEST_PROPERTY_RUNS=40000 raises the number of generated cases (default 600 / 3000).
 */

function checkAgreement(line: string): 'fast' | 'strict-only' | 'rejected' {
  const strict = parseStrict(line)
  const fast = parsePlain(line)
  if (strict.error !== null) {
    expect(fast, `fast path accepted a line saxes rejects (${strict.error}): ${line}`).toBeNull()
    return 'rejected'
  }
  if (fast === null) return 'strict-only'
  expect(fast).toEqual(strict.records)
  return 'fast'
}

const HOSTILE = ['<', '>', '&', '&amp', '&#0;', '&#xD800;', '&#X41;', '&#65', '&#x110000;', "'", '"', '/', '</Data>', "<Data Name='x'>", '<!--', '-->',
  '<![CDATA[', ']]>', '\u0000', '\u0001', '\uFFFE', '\uD800', '\uDC00', ' ', '=', '<?pi?>', "Name='y'", '\t', '\r', '\n', '<Event>', '</Event>', 'xmlns', '']

describe('fast path versus saxes', () => {
  it('agree on every line of the XML fixtures', () => {
    let fast = 0
    for (const dir of ['sysmon', 'security-4688', 'malformed']) {
      for (const file of readdirSync(FIXTURES + dir).filter((f) => f.endsWith('.xml'))) {
        for (const line of readFileSync(`${FIXTURES}${dir}/${file}`, 'utf8').split('\n')) if (line !== '' && checkAgreement(line) === 'fast') fast++
      }
    }
    expect(fast).toBeGreaterThanOrEqual(50) // the regular lines really take the fast path
  })

  it('agree on generated events, and both extract the intended values', () => {
    let fast = 0
    fc.assert(
      fc.property(generatedEvent, (e) => {
        const line = renderEvent(e)
        const strict = parseStrict(line)
        expect(strict.error).toBeNull()
        // saxes normalizes a literal tab in an attribute value to a space (XML 1.0 §3.3.3)
        const rawTab = (v: typeof e.computer | null) => v?.some(([c, style]) => c === '\t' && style === 'raw') ?? false
        if (!rawTab(e.userId) && !e.data.some((d) => rawTab(d.name))) expect(strict.records).toEqual([expectedRecord(e)])
        if (checkAgreement(line) === 'fast') {
          fast++
          expect(parsePlain(line)).toEqual([expectedRecord(e)])
        }
      }),
      { numRuns: Number(process.env.INGEST_PROPERTY_RUNS ?? 600) },
    )
    expect(fast).toBeGreaterThan(300) // most generated events are regular
  })

  it('never accept a mutated line that saxes rejects', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...HOSTILE) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    )
    const outcomes = { fast: 0, 'strict-only': 0, rejected: 0 }
    fc.assert(
      fc.property(generatedEvent, fc.array(mutation, { minLength: 1, maxLength: 3 }), (e, mutations) => {
        let line = renderEvent(e)
        // The clean line's shape is learned first, so the mutated line is matched against it.
        parseRegularLine(line)
        for (const m of mutations) {
          const at = m.at % (line.length + 1)
          if (m.kind === 'insert') line = line.slice(0, at) + m.text + line.slice(at)
          else if (m.kind === 'delete') line = line.slice(0, at) + line.slice(at + m.length)
          else line = line.slice(0, at)
        }
        outcomes[checkAgreement(line)]++
      }),
      { numRuns: Number(process.env.INGEST_PROPERTY_RUNS ?? 3000) },
    )
    expect(outcomes.rejected).toBeGreaterThan(1000)
    expect(outcomes.fast).toBeGreaterThan(5) // some mutations are harmless (inside a value) and stay on the fast path
  })

  it('decline what it cannot prove, accept the regular shape', () => {
    const ok = renderEvent({ quote: "'", eventId: '1', channel: 'Security', computer: [], recordId: '1', userId: null, systemTime: '2026-01-01T00:00:00.000Z', data: [], emptyEventData: true })
    expect(parseRegularLine(ok)).not.toBeNull()
    for (const irregular of [
      ok.replace('<System>', '<System> '), // whitespace between tags
      ok.replace('<Correlation/>', '<Correlation></Correlation><Unknown/>'), // unknown element
      ok.replace('<Correlation/>', "<Correlation Foo='1'/>"), // unexpected attribute
      ok.replace('<Correlation/>', "<Correlation ActivityID='1' ActivityID='2'/>"), // duplicate attribute (saxes: error)
      ok.replace('<EventData/>', "<EventData><Data>unnamed</Data></EventData>"),
      ok.replace('<EventData/>', "<EventData><Data Name='a'><![CDATA[x]]></Data></EventData>"),
      ok.replace('<EventData/>', "<EventData><!-- c --></EventData>"),
      ok.replace('<EventData/>', "<EventData><Data Name='a'>x<b/></Data></EventData>"),
      ok.replace('<EventData/>', "<EventData><Data Name='a'>\uD83D</Data></EventData>"), // a lone surrogate
      ok.replace("xmlns='", "xmlns='urn:other:"),
      ok.replace('<Correlation/>', "<Correlation/><constructor a='1'/>"), // a name that is an Object.prototype member
      ok.replace('<Correlation/>', "<toString/>"),
      `${ok} `,
    ]) expect(parseRegularLine(irregular), irregular).toBeNull()
  })

  it('agree on events read through a learned shape: same shape, other values (hostile ones too)', () => {
    // Raw text spliced into a value: what a template match must not take for a value.
    const raw = fc.constantFrom('<', '&', '&lt', '&#0;', '&#x41;', '&bogus;', "'", '"', '\t', '>', ']]>', '<![CDATA[x]]>', '</Data>', '/', ' ', '®', '\uD83D\uDE00')
    const sibling = fc.record({ computer: value, userId: value, recordId: fc.nat().map(String), data: fc.array(value, { minLength: 6, maxLength: 6 }), splice: fc.option(fc.tuple(fc.nat(), fc.nat(), raw)) })
    const outcomes = { fast: 0, 'strict-only': 0, rejected: 0 }
    let specialized = 0
    const siblingOf = (e: GeneratedEvent, v: { computer: GeneratedEvent['computer']; userId: GeneratedEvent['computer']; recordId: string; data: GeneratedEvent['computer'][] }): GeneratedEvent => ({
      ...e, computer: v.computer, recordId: v.recordId, userId: e.userId === null ? null : v.userId,
      data: e.data.map((d, i) => ({ name: d.name, value: d.value === null ? null : v.data[i]! })),
    })
    fc.assert(
      fc.property(generatedEvent, sibling, sibling, (e, first, v) => {
        // Learned from e; its second match (the first sibling) specializes the System shape
        // (values equal in both become literal text); the checked sibling is read through that.
        clearFastPathTemplates()
        parseRegularLine(renderEvent(e))
        const firstLine = renderEvent(siblingOf(e, first))
        checkAgreement(firstLine)
        if (fastPathTemplateCounts().system > 1) specialized++
        const other: GeneratedEvent = {
          ...e, computer: v.computer, recordId: v.recordId, userId: e.userId === null ? null : v.userId,
          data: e.data.map((d, i) => ({ name: d.name, value: d.value === null ? null : v.data[i]! })),
        }
        let line = renderEvent(other)
        if (v.splice !== null) {
          // Inside one value (text or attribute): between the n-th `>`/quote and the next `<`/quote.
          const [n, k, text] = v.splice
          const starts = [...line.matchAll(/>(?=[^<]*<)|(?<==)['"]/g)].map((m) => m.index + 1)
          const at = starts[n % starts.length]!
          const end = Math.min(...["<", "'", '"'].map((c) => line.indexOf(c, at)).filter((i) => i >= 0))
          const cut = at + (k % (end - at + 1))
          line = line.slice(0, cut) + text + line.slice(cut)
        } else {
          expect(parseStrict(line).error).toBeNull()
          const fast = parsePlain(line)
          if (fast !== null) expect(fast).toEqual([expectedRecord(other)])
        }
        outcomes[checkAgreement(line)]++
      }),
      { numRuns: Number(process.env.INGEST_PROPERTY_RUNS ?? 3000) },
    )
    expect(outcomes.fast).toBeGreaterThan(500) // most siblings are read through the learned shape
    expect(specialized).toBeGreaterThan(500)
    expect(outcomes.rejected).toBeGreaterThan(100)
  })

  it('give the same records whether or not the shapes were learned before', () => {
    const lines: string[] = []
    for (const dir of ['sysmon', 'security-4688', 'malformed']) {
      for (const file of readdirSync(FIXTURES + dir).filter((f) => f.endsWith('.xml'))) lines.push(...readFileSync(`${FIXTURES}${dir}/${file}`, 'utf8').split('\n').filter((l) => l !== ''))
    }
    const cold = lines.map((line) => {
      clearFastPathTemplates()
      return parsePlain(line)
    })
    // Twice through, so every line is read through shapes learned from other lines.
    for (let round = 0; round < 2; round++) expect(lines.map(parsePlain)).toEqual(cold)
    expect(cold.filter((r) => r !== null).length).toBeGreaterThanOrEqual(50)
  })

  it('keep the learned shapes bounded', () => {
    clearFastPathTemplates()
    fc.assert(fc.property(generatedEvent, (e) => void parseRegularLine(renderEvent(e))), { numRuns: 500 })
    const counts = fastPathTemplateCounts()
    expect(counts.system).toBeLessThanOrEqual(8)
    expect(counts.data).toBeLessThanOrEqual(64)
  })
})
