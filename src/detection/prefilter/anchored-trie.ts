/**
 * Which of many keys a text starts with or equals (or, built `fromEnd`, ends with): a trie walked
 * from one end of the text, so a lookup costs at most one step per character of the longest key
 * and usually stops after one or two. Keys and texts compare as UTF-16 code units.
 */

interface TrieNode {
  readonly next: Map<number, TrieNode>
  /** Ids of keys that end here and also match any longer text (prefix or suffix keys). */
  readonly open: number[]
  /** Ids of keys that end here and match only a text that ends here too (exact keys). */
  readonly closed: number[]
}

const node = (): TrieNode => ({ next: new Map(), open: [], closed: [] })

export class AnchoredTrie {
  private readonly root = node()

  /** `fromEnd`: match keys against the end of the text instead of its start. */
  constructor(private readonly fromEnd: boolean) {}

  /** Registers `key` under `id`: as a whole value when `exact`, else as a non-empty prefix (suffix). */
  add(key: string, id: number, exact: boolean): void {
    if (key === '' && !exact) throw new Error('empty prefix')
    let n = this.root
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(this.fromEnd ? key.length - 1 - i : i)
      let child = n.next.get(c)
      if (child === undefined) {
        child = node()
        n.next.set(c, child)
      }
      n = child
    }
    ;(exact ? n.closed : n.open).push(id)
  }

  /** Calls `visit` with the id of every key that `text` starts with, ends with or equals. */
  forEachMatch(text: string, visit: (id: number) => void): void {
    const last = text.length - 1
    let n = this.root
    for (let i = 0; i <= last; i++) {
      const child = n.next.get(text.charCodeAt(this.fromEnd ? last - i : i))
      if (child === undefined) return
      n = child
      for (const id of n.open) visit(id)
    }
    for (const id of n.closed) visit(id)
  }
}
