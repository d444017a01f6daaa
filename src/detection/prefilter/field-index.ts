import { AnchoredTrie } from './anchored-trie.js'
import type { AtomMatch } from './rule-needs.js'
import { SubstringScanner } from './substring-scanner.js'

/**
 * The atoms of every indexed need that test one event field, arranged so that one look at the
 * field's lower-cased value finds every atom that holds: a trie from the start for exact values
 * and prefixes, one from the end for suffixes, a substring scanner for the rest.
 *
 * Field values repeat heavily (process names, parent names, most command lines), so the answer —
 * which needs a value satisfies — is also remembered per raw value: a repeated value costs one
 * hash lookup, without lower-casing or scanning it again. The memo is a pure function of the value
 * and is bounded (it starts over when full), so it changes the cost, never the answer.
 */

/** An atom of need `id` on this field. */
export interface FieldAtom {
  readonly match: AtomMatch
  readonly value: string
  readonly id: number
}

/** Distinct raw values remembered per field before the memo starts over. */
const MEMO_LIMIT = 8192
/**
 * Longer values are not remembered, which bounds the memo at a few MiB per field (keys are the
 * events' own strings; the ingest normalizers detach them from their source lines).
 */
const MEMO_MAX_LENGTH = 1024

const NONE: readonly number[] = []

export class FieldIndex {
  private readonly heads: AnchoredTrie | null
  private readonly tails: AnchoredTrie | null
  private readonly substrings: SubstringScanner | null
  private readonly memo = new Map<string, readonly number[]>()
  private readonly found: number[] = []
  private readonly collect = (id: number): void => {
    if (!this.found.includes(id)) this.found.push(id)
  }

  constructor(atoms: readonly FieldAtom[]) {
    const of = (...matches: AtomMatch[]) => atoms.filter((a) => matches.includes(a.match))
    this.heads = trie(of('exact', 'prefix'), false)
    this.tails = trie(of('suffix'), true)
    const needles = of('contains').map((a) => ({ text: a.value, id: a.id }))
    this.substrings = needles.length > 0 ? new SubstringScanner(needles) : null
  }

  /** The needs satisfied by raw value `raw`, if it was seen recently. */
  recall(raw: string): readonly number[] | undefined {
    return this.memo.get(raw)
  }

  /** The needs satisfied by raw value `raw`, whose lower-cased form is `lowered`; remembered for recall. */
  satisfiedBy(raw: string, lowered: string): readonly number[] {
    this.found.length = 0
    this.forEachMatch(lowered, this.collect)
    const ids = this.found.length === 0 ? NONE : this.found.slice()
    if (raw.length <= MEMO_MAX_LENGTH) {
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear()
      this.memo.set(raw, ids)
    }
    return ids
  }

  /** Calls `visit` with the need id of every atom that holds on `lowered` (possibly repeated). */
  forEachMatch(lowered: string, visit: (id: number) => void): void {
    this.heads?.forEachMatch(lowered, visit)
    this.tails?.forEachMatch(lowered, visit)
    this.substrings?.forEachMatch(lowered, visit)
  }
}

function trie(atoms: readonly FieldAtom[], fromEnd: boolean): AnchoredTrie | null {
  if (atoms.length === 0) return null
  const t = new AnchoredTrie(fromEnd)
  for (const a of atoms) t.add(a.value, a.id, a.match === 'exact')
  return t
}
