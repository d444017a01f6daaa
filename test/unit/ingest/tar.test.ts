import { gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ENTRY_SPAN } from '../../../src/ingest/archive/entry-window.js'
import { detectFormat, readContentRanges, type IngestItem } from '../../../src/ingest/index.js'
import { expectReadsWhenDamaged } from './helpers/damaged.js'
import { chunked, events, fixture, readAll, summary } from './helpers/read.js'
import { paxData, tarArchive, tarEntry } from './helpers/tar-builder.js'

/**
 * tar archives, gzip-compressed or not, read like ZIP archives (zip.test.ts): each file as a file
 * of its own, its errors naming it, its events in its window of the content. The fixtures were
 * written by GNU tar in its GNU format (long names in `././@LongLink` entries) and in POSIX pax
 * (long names in `path` records), gzip-compressed (test/fixtures/logs/README.md).
 */

type EventItem = Extract<IngestItem, { kind: 'event' }>

const LONG = 'case-42/collected-from-ws-alice01.corp.example.com/2026-03-14T08-58-11Z/windows-event-logs-exported-by-the-responder'
const FILES: Record<string, Buffer> = {
  [`${LONG}/evtx-to-mitre-attack-rdp-hijack.evtx`]: fixture('security-4688/evtx-to-mitre-attack-rdp-hijack.evtx'),
  [`${LONG}/ngrok-synthetic.xml`]: fixture('sysmon/ngrok-synthetic.xml'),
  'case-42/crowdstrike/ngrok-synthetic.ndjson': fixture('crowdstrike/ngrok-synthetic.ndjson'),
}
const NDJSON = FILES['case-42/crowdstrike/ngrok-synthetic.ndjson']!

describe('tar archives', () => {
  it.each(['archives/case-42.gnu.tar.gz', 'archives/case-42.pax.tar.gz'])('%s: each file reads as it does alone (long names included), gzip-compressed or not, under any chunking', async (path) => {
    const gz = fixture(path)
    expect(detectFormat(gz.subarray(0, 4096))).toBe('tar')
    expect(detectFormat(gunzipSync(gz).subarray(0, 512))).toBe('tar')
    for (const [input, sizes] of [[gz, [1000]], [gunzipSync(gz), [1, 511, 4096]], [gunzipSync(gz), []]] as const) {
      const items = await readAll(input, {}, sizes)
      // The files in archive order, each in a window of its own; within it, what the file alone gives.
      const byEntry = new Map<number, IngestItem[]>()
      let entry = -1
      for (const item of items) {
        if (item.kind === 'event') entry = Math.floor(item.rawOffset / ENTRY_SPAN)
        if (item.kind === 'error') entry = -1
        byEntry.set(entry, [...(byEntry.get(entry) ?? []), item])
      }
      expect(events(items)).toHaveLength(36 + 12 + 6)
      const names = Object.keys(FILES)
      let checked = 0
      for (const [index, found] of byEntry) {
        if (index < 0) continue
        const found0 = found.filter((i): i is EventItem => i.kind === 'event')
        const name = names.find((n) => n.endsWith(found0[0]!.source === 'crowdstrike' ? '.ndjson' : found0[0]!.source === 'sysmon' ? '.xml' : '.evtx'))!
        const alone = events(await readAll(FILES[name]!)).map((e) => ({ ...e, rawOffset: e.rawOffset + index * ENTRY_SPAN }))
        expect(found0).toEqual(alone)
        checked++
      }
      expect(checked).toBe(3)
      expect(items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([
        expect.stringMatching(new RegExp(`^entry ${LONG}/ngrok-synthetic\\.xml: unexpected end of XML`)),
      ])
    }
  })

  it('every event\'s recorded bytes, read back from the archive, are its text (or EVTX record) in its file', async () => {
    const gz = fixture('archives/case-42.pax.tar.gz')
    const found = events(await readAll(gz))
    const back = await readContentRanges(chunked(gz, [777]), found.map((e) => ({ offset: e.rawOffset, length: e.rawLength })))
    found.forEach((e, i) => {
      const file = FILES[Object.keys(FILES).find((n) => n.endsWith(e.source === 'crowdstrike' ? '.ndjson' : e.source === 'sysmon' ? '.xml' : '.evtx'))!]!
      const offset = e.rawOffset % ENTRY_SPAN
      expect(back[i]).toEqual(file.subarray(offset, offset + e.rawLength))
    })
  })

  it('leaves out folders, links and hidden files; a sparse file is one error; the entries after are read', async () => {
    const one = events(await readAll(NDJSON)).length
    const archive = tarArchive([
      { name: 'logs/', type: '5' },
      { name: 'logs/link.ndjson', type: '2' },
      { name: 'logs/.hidden.ndjson', data: NDJSON },
      { name: 'logs/sparse.ndjson', type: 'S', data: 'x'.repeat(10) },
      { name: 'logs/a.ndjson', data: NDJSON },
    ])
    const items = await readAll(archive)
    expect(events(items)).toHaveLength(one)
    expect(items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual(['entry logs/sparse.ndjson: it is a sparse file, which is not read: add it to the archive as a whole file'])
  })

  it('a damaged header ends the archive there; a cut in a file\'s data or before the end blocks is said once; the files before are kept', async () => {
    const one = events(await readAll(NDJSON)).length
    const first = tarEntry({ name: 'a.ndjson', data: NDJSON })
    const damaged = await readAll(Buffer.concat([first, tarEntry({ name: 'b.ndjson', data: NDJSON, checksumError: 1 }), Buffer.alloc(1024)]))
    expect(events(damaged)).toHaveLength(one)
    expect(summary(damaged).at(-1)).toBe(`1 error no tar header at byte ${first.length} of the archive (it is damaged); the rest of the archive was not read`)
    const whole = tarArchive([{ name: 'a.ndjson', data: NDJSON }, { name: 'b.ndjson', data: NDJSON }])
    const cut = await readAll(whole.subarray(0, first.length + 512 + 2000))
    expect(events(cut).length).toBeGreaterThan(one)
    expect(cut.filter((i) => i.kind === 'error' && i.message.includes('cut short')).map((i) => (i as { message: string }).message)).toEqual(['entry b.ndjson: the archive ends inside its data: it is cut short'])
    const noEnd = await readAll(whole.subarray(0, first.length))
    expect(events(noEnd)).toHaveLength(one)
    expect(summary(noEnd).at(-1)).toBe(`1 error the archive ends at byte ${first.length} without its end blocks: it is cut short (the entries before were read)`)
  })

  it('takes sizes in base-256 (GNU, files over 8 GiB) and names and sizes from pax records', async () => {
    const one = events(await readAll(NDJSON)).length
    const name = `logs/${'deep/'.repeat(40)}fdr.ndjson`
    const archive = tarArchive([
      { name: 'a.ndjson', data: NDJSON, base256Size: true },
      // The pax record's size wins over the header's (which would cut the file short).
      { name: 'PaxHeaders/fdr.ndjson', type: 'x', data: paxData({ path: name, size: String(NDJSON.length) }) },
      { name: 'fdr.ndjson', data: NDJSON, headerSize: 100 },
    ])
    const items = await readAll(archive)
    expect(items.filter((i) => i.kind === 'error')).toEqual([])
    expect(events(items)).toHaveLength(2 * one)
    const broken = await readAll(Buffer.concat([tarEntry({ name: 'x.ndjson', data: '{"a":1}\n' }), tarEntry({ name: 'PaxHeaders/y', type: 'x', data: paxData({ path: name }) }), tarEntry({ name: 'y', data: 'not json\n' }), Buffer.alloc(1024)]))
    expect(broken.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([expect.stringMatching(new RegExp(`^entry ${name}: unrecognized line`))])
  })

  it('caps the bytes of its files at maxDecompressedBytes', async () => {
    const archive = tarArchive(Array.from({ length: 4 }, (_, i) => ({ name: `part-${i}.ndjson`, data: NDJSON })))
    const items = await readAll(archive, { maxDecompressedBytes: 2.5 * NDJSON.length })
    expect(items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([expect.stringMatching(/^entry part-2\.ndjson: .*maxDecompressedBytes.*rest not read$/)])
    expect(events(items).length).toBeLessThan(3 * events(await readAll(NDJSON)).length)
    // A .tar.gz meets the cap as gzip first (the archive's headers count there too).
    const gz = await readAll(gzipSync(archive), { maxDecompressedBytes: 2.5 * NDJSON.length })
    expect(gz.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([expect.stringMatching(/^gzip data inflates to more than .*maxDecompressedBytes.*rest not read$/)])
  })

  it('never throws and always ends on damaged archives (fuzzed byte flips and cuts)', async () => {
    await expectReadsWhenDamaged(gunzipSync(fixture('archives/case-42.gnu.tar.gz')), 600, 100)
  })
})
