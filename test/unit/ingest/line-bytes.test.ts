import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { LineBytes } from '../../../src/ingest/bytes/line-bytes.js'
import { mulberry32 } from './helpers/synthetic-sysmon.js'

// LineBytes answers "at which byte of the input does character i of this line start?" — the
// reference is simply the byte length of the line's first i characters in its encoding.

const PIECES = ['<Event>', 'a', 'é', '®', '日本', '\u{1F600}', '</Event>', ' ', 'Zoë']

/** A line of random pieces, and the character index at every piece boundary (never inside a surrogate pair). */
function line(seed: number, pieces: number): { text: string; boundaries: number[] } {
  const rand = mulberry32(seed)
  let text = ''
  const boundaries = [0]
  for (let i = 0; i < pieces; i++) {
    text += PIECES[Math.floor(rand() * PIECES.length)]!
    boundaries.push(text.length)
  }
  return { text, boundaries }
}

function utf8At(text: string, start: number): LineBytes {
  const lb = new LineBytes()
  lb.set(text, start, Buffer.byteLength(text), 1)
  return lb
}

describe('LineBytes', () => {
  it('gives the byte offset of each character of a UTF-8 line, asked in order, backwards or at random', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { text, boundaries } = line(seed, 300)
      const expected = (i: number) => 1000 + Buffer.byteLength(text.slice(0, i))
      const rand = mulberry32(seed + 100)
      const orders = [boundaries, [...boundaries].reverse(), boundaries.map(() => boundaries[Math.floor(rand() * boundaries.length)]!)]
      for (const order of orders) {
        const lb = utf8At(text, 1000)
        for (const i of order) expect(lb.at(i), `seed ${seed}, index ${i}`).toBe(expected(i))
      }
    }
  })

  it('starts over on each line: positions of the previous line are not carried into the next', () => {
    const lb = utf8At('日本'.repeat(50), 0)
    expect(lb.at(50)).toBe(150)
    const next = `${'x'.repeat(10)}${'日'.repeat(80)}${'y'.repeat(10)}`
    lb.set(next, 500, Buffer.byteLength(next), 1)
    expect(lb.at(50)).toBe(500 + 10 + 40 * 3)
    expect(lb.at(1)).toBe(501)
  })

  it('counts one byte per character on an ASCII line and two on a UTF-16 line', () => {
    const lb = new LineBytes()
    lb.set('<Event/>', 7, 8, 1)
    expect(lb.at(3)).toBe(10)
    lb.set('日本\u{1F600}', 2, 8, 2)
    expect(lb.at(2)).toBe(6)
    expect(lb.at(4)).toBe(10)
  })
})
