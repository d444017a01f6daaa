import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DetectionAggregator, compileRule, createMacroSet, type CompiledRule, type MacroDefinition, type ProcessEvent } from '../../../src/detection/index.js'
import { EventContext } from '../../../src/detection/match/event-context.js'
import { AnchoredTrie } from '../../../src/detection/prefilter/anchored-trie.js'
import { RuleIndex } from '../../../src/detection/prefilter/rule-index.js'
import { ruleNeeds, type RuleNeeds } from '../../../src/detection/prefilter/rule-needs.js'
import { SubstringScanner } from '../../../src/detection/prefilter/substring-scanner.js'
import { TSTATS, compileWhere, processEvent, ruleWith } from './helpers.js'

/**
 * The rule prefilter must be invisible: an aggregator that evaluates only the rules a RuleIndex
 * selects yields exactly the rows of one that evaluates every rule on every event. The generated
 * rules mix ESCU's shapes (macro-expanded OR pairs, IN lists, NOT, !=, wildcards, fields outside
 * the CIM) over values that differ only in case, contain non-ASCII characters whose lower case is
 * special (İ lower-cases to two code units, the Kelvin sign to `k`), or are empty.
 */

const MACROS: MacroDefinition[] = [
  { name: 'process_cmd', args: [], definition: '(Processes.process_name=cmd.exe OR Processes.original_file_name=Cmd.Exe)' },
  {
    name: 'process_powershell',
    args: [],
    definition: '(Processes.process_name=pwsh.exe OR Processes.process_name=powershell.exe OR Processes.original_file_name=pwsh.dll OR Processes.original_file_name=PowerShell.EXE)',
  },
  { name: 'process_named', args: ['name'], definition: '(Processes.process_name="$name$" OR Processes.original_file_name="$name$")' },
]
const macros = createMacroSet(MACROS)

const TOKENS = ['cmd.exe', 'powershell.exe', 'pwsh.dll', 'rundll32.exe', 'whoami', 'downloadstring', '-enc', '\\c$\\', 'c:\\windows\\temp\\', 'http', 'ab', 'a', 'İstanbul', 'kelvin', '\u212aelvin', 'dé', 'Σ']
const FIELDS = [
  'Processes.process_name',
  'Processes.original_file_name',
  'Processes.parent_process_name',
  'Processes.process',
  'Processes.parent_process',
  'Processes.process_path',
  'Processes.process_integrity_level',
  'Processes.dest_category',
  'processes.process_name',
]

const token = fc.mixedCase(fc.constantFrom(...TOKENS))
const pattern = fc.oneof(
  token,
  token.map((t) => `${t}*`),
  token.map((t) => `*${t}`),
  token.map((t) => `*${t}*`),
  fc.tuple(token, token).map(([a, b]) => `${a}*${b}`),
  fc.tuple(token, token).map(([a, b]) => `*${a}*${b}*`),
  fc.constantFrom('*', ''),
)
const quote = (v: string): string => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`

const leaf = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom('=', '!='), pattern).map(([f, op, v]) => `${f}${op}${quote(v)}`),
  fc.tuple(fc.constantFrom(...FIELDS), fc.array(pattern, { minLength: 1, maxLength: 4 })).map(([f, vs]) => `${f} IN (${vs.map(quote).join(', ')})`),
  fc.constantFrom('`process_cmd`', '`process_powershell`'),
  fc.mixedCase(fc.constantFrom('rundll32.exe', 'whoami.exe')).map((n) => `\`process_named(${n})\``),
)

/** A WHERE body: AND as `AND` or juxtaposition (where `a b OR c` means `a AND (b OR c)`). */
const { where } = fc.letrec<{ where: string; not: string; and: string; or: string }>((tie) => ({
  where: fc.oneof({ depthSize: 'small' }, leaf, tie('not'), tie('and'), tie('or')),
  not: tie('where').map((w) => `NOT (${w})`),
  and: fc.tuple(fc.array(tie('where'), { minLength: 2, maxLength: 3 }), fc.boolean()).map(([ws, juxtapose]) => (juxtapose ? `(${ws.join(' ')})` : `(${ws.join(' AND ')})`)),
  or: fc.array(tie('where'), { minLength: 2, maxLength: 3 }).map((ws) => `(${ws.join(' OR ')})`),
}))

function ruleOf(body: string, i: number): CompiledRule {
  const search = `${TSTATS} where ${body} by Processes.dest Processes.process_name | \`drop_dm_object_name(Processes)\``
  return compileRule(ruleWith(search, { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `Rule ${i}` }), macros)
}

const fieldValue = fc.oneof(
  { arbitrary: token, weight: 4 },
  { arbitrary: fc.mixedCase(fc.constantFrom('pwsh.exe', 'whoami.exe', 'rundll32.exe', '')), weight: 2 },
  { arbitrary: fc.array(fc.oneof(token, fc.constantFrom(' ', '\\', ' /c ', 'x')), { maxLength: 4 }).map((parts) => parts.join('')), weight: 3 },
)
const maybe = fc.option(fieldValue, { nil: null })
const event: fc.Arbitrary<ProcessEvent> = fc
  .record({ time: fc.nat(1000), name: maybe, ofn: maybe, parentName: maybe, command: maybe, parent: maybe, path: maybe, integrity: maybe, dest: fc.constantFrom('h1', 'h2') })
  .map(({ time, name, ofn, parentName, command, parent, path, integrity, dest }) => ({
    ...processEvent(time, { dest, process: command, parent_process: parent, process_path: path, process_integrity_level: integrity }),
    process_name: name,
    original_file_name: ofn,
    parent_process_name: parentName,
  }))

const rowsOf = (rules: readonly CompiledRule[], events: readonly ProcessEvent[], prefilter: boolean) => {
  const agg = new DetectionAggregator(rules, { prefilter })
  for (const e of events) agg.add(e)
  return agg.rows()
}

describe('rule prefilter', () => {
  it('yields the same rows as evaluating every rule on every event', () => {
    fc.assert(
      fc.property(fc.array(where, { minLength: 1, maxLength: 6 }), fc.array(event, { maxLength: 25 }), (bodies, events) => {
        const rules = bodies.map(ruleOf)
        expect(rowsOf(rules, events, true)).toEqual(rowsOf(rules, events, false))
      }),
      { numRuns: 300 },
    )
  })

  it('selects every rule that matches an event', () => {
    fc.assert(
      fc.property(fc.array(where, { minLength: 1, maxLength: 8 }), fc.array(event, { maxLength: 25 }), (bodies, events) => {
        const rules = bodies.map(ruleOf)
        const index = new RuleIndex(rules)
        const ctx = new EventContext()
        for (const e of events) {
          ctx.reset(e)
          const selected = new Set(index.selected.subarray(0, index.select(ctx)))
          rules.forEach((r, i) => {
            if (r.matches(e)) expect(selected.has(i), `${r.rule.search} on ${JSON.stringify(e)}`).toBe(true)
          })
        }
      }),
      { numRuns: 300 },
    )
  })

  it('says whether an event matches any rule, with the prefilter and without', () => {
    fc.assert(
      fc.property(fc.array(where, { minLength: 1, maxLength: 8 }), fc.array(event, { maxLength: 25 }), (bodies, events) => {
        const rules = bodies.map(ruleOf)
        const [indexed, every] = [true, false].map((prefilter) => new DetectionAggregator(rules, { prefilter }))
        for (const e of events) {
          const expected = rules.some((r) => r.matches(e))
          expect(indexed!.matchesAny(e)).toBe(expected)
          expect(every!.matchesAny(e)).toBe(expected)
        }
        expect(indexed!.rows()).toEqual([])
      }),
      { numRuns: 300 },
    )
  })

  it('answers the same for a value the second time (memo) as the first', () => {
    const rules = ['`process_cmd` Processes.process="*whoami*"', 'Processes.process IN ("*-enc*", "*downloadstring*")'].map(ruleOf)
    const e = processEvent(0, { process_name: 'CMD.EXE', process: 'cmd /c WhoAmI' })
    const index = new RuleIndex(rules)
    const ctx = new EventContext()
    const pick = () => {
      ctx.reset(e)
      return [...index.selected.subarray(0, index.select(ctx))]
    }
    expect(pick()).toEqual([0])
    expect(pick()).toEqual([0])
  })
})

const describeNeeds = (needs: RuleNeeds): string[] => needs.map((n) => n.map((a) => `${a.field} ${a.match} ${a.value}`).join(' | '))
const needsOf = (where: string, set = macros) => describeNeeds(ruleNeeds(compileWhere(where, set).where))

describe('ruleNeeds', () => {
  it('turns a macro-expanded OR pair into one need over both fields, lower-cased', () => {
    expect(needsOf('`process_cmd` Processes.process="*whoami*"')).toEqual(['process contains whoami', 'process_name exact cmd.exe | original_file_name exact cmd.exe'])
  })

  it('finds nothing to require in NOT and != (the rule is checked on every event)', () => {
    expect(needsOf('NOT Processes.process_name=cmd.exe')).toEqual([])
    expect(needsOf('Processes.process_name!=cmd.exe')).toEqual([])
    expect(needsOf('Processes.process_name=*')).toEqual([])
  })

  it('knows that = and IN on a field outside the CIM never hold', () => {
    expect(needsOf('Processes.dest_category=web_server Processes.process=*whoami*')).toEqual([''])
    expect(needsOf('Processes.os IN (a, b) OR Processes.process_name=cmd.exe')).toEqual(['process_name exact cmd.exe'])
    expect(needsOf('NOT Processes.os=a')).toEqual([])
  })

  it('requires the literal prefix, suffix and inner runs of a wildcard pattern, ignoring runs too short to scan for', () => {
    expect(needsOf('Processes.process="C:\\\\Temp\\\\*.ps1"')).toEqual(['process prefix c:\\temp\\', 'process suffix .ps1'])
    expect(needsOf('Processes.process="*enc*"')).toEqual([])
    expect(needsOf('Processes.process IN ("*bypass*", "*enc*")')).toEqual([])
    expect(needsOf('Processes.process IN ("*bypass*", "*-enc*")')).toEqual(['process contains bypass | process contains -enc'])
  })

  it('keeps a value common to every branch of an OR as a need of its own', () => {
    const where = '(Processes.parent_process_name IN (cmd.exe, powershell.exe) Processes.process_name=mofcomp.exe) OR (Processes.process_name=mofcomp.exe Processes.process="*\\\\AppData\\\\Local\\\\*")'
    expect(needsOf(where)[0]).toBe('process_name exact mofcomp.exe')
  })
})

describe('SubstringScanner', () => {
  const text = fc.array(fc.oneof(fc.constantFrom(...TOKENS).map((t) => t.toLowerCase()), fc.string({ maxLength: 3 })), { maxLength: 6 }).map((p) => p.join(''))
  const needle = fc.oneof(fc.constantFrom(...TOKENS).map((t) => t.toLowerCase()), fc.string({ minLength: 1, maxLength: 6 })).filter((n) => n !== '')

  it('reports exactly the needles that occur', () => {
    fc.assert(
      fc.property(fc.uniqueArray(needle, { minLength: 1, maxLength: 12 }), text, (needles, t) => {
        const found = new Set<number>()
        new SubstringScanner(needles.map((n, id) => ({ text: n, id }))).forEachMatch(t, (id) => found.add(id))
        expect([...found].sort((a, b) => a - b)).toEqual(needles.flatMap((n, i) => (t.includes(n) ? [i] : [])))
      }),
      { numRuns: 500 },
    )
  })

  it('finds every needle, however densely needles and near misses overlap', () => {
    // A tiny alphabet makes needles overlap each other and their near misses at every offset; á
    // and ǡ are beyond ASCII, where the scanner's window keys cannot tell units apart (only its
    // final comparison can).
    const alphabet = fc.constantFrom('a', 'b', '.', 'á', 'ǡ', '!')
    const needles = fc.uniqueArray(fc.string({ unit: alphabet, minLength: 1, maxLength: 7 }), { minLength: 1, maxLength: 20 })
    fc.assert(
      fc.property(needles, fc.string({ unit: alphabet, maxLength: 40 }), (ns, t) => {
        const found = new Set<number>()
        new SubstringScanner(ns.map((n, id) => ({ text: n, id }))).forEachMatch(t, (id) => found.add(id))
        expect([...found].sort((a, b) => a - b)).toEqual(ns.flatMap((n, i) => (t.includes(n) ? [i] : [])))
      }),
      { numRuns: 2000 },
    )
  })
})

describe('AnchoredTrie', () => {
  const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.'), maxLength: 4 })

  it('reports exactly the keys a text starts with (exact: equals), or ends with when built from the end', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.boolean()), { maxLength: 10 }), key, fc.boolean(), (keys, t, fromEnd) => {
        const valid = keys.filter(([k, exact]) => exact || k !== '')
        const trie = new AnchoredTrie(fromEnd)
        valid.forEach(([k, exact], id) => trie.add(k, id, exact))
        const found = new Set<number>()
        trie.forEachMatch(t, (id) => found.add(id))
        const expected = valid.flatMap(([k, exact], id) => ((exact ? t === k : fromEnd ? t.endsWith(k) : t.startsWith(k)) ? [id] : []))
        expect([...found].sort((a, b) => a - b)).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })
})
