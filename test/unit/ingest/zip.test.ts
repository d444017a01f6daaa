import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { detectFormat, readContentRanges, type IngestItem } from '../../../src/ingest/index.js'
import { ENTRY_SPAN } from '../../../src/ingest/archive/entry-window.js'
import { expectReadsWhenDamaged } from './helpers/damaged.js'
import { tarArchive } from './helpers/tar-builder.js'
import { chunked, events, fixture, readAll, summary } from './helpers/read.js'
import { END_OF_CENTRAL_DIRECTORY, zipArchive, zipEntry, type ZipEntrySpec } from './helpers/zip-builder.js'

/**
 * ZIP archives of log files, read as they are: each file of the archive is read like a file of
 * its own (format, encoding, gzip recognized per file), its errors name it and its events point
 * into its window of the content (entry i at i × ENTRY_SPAN). The fixtures were written by real
 * archivers (test/fixtures/logs/README.md): Info-ZIP to a file (sizes in the headers) and into a
 * pipe (sizes in data descriptors after the data), and Python's zipfile streaming ZIP64 entries,
 * one of them stored, to a pipe.
 */

const FILES = {
  'case-42/sysmon/ngrok-synthetic.xml': fixture('sysmon/ngrok-synthetic.xml'),
  'case-42/crowdstrike/ngrok-synthetic.ndjson': fixture('crowdstrike/ngrok-synthetic.ndjson'),
  'case-42/security/evtx-to-mitre-attack-rdp-hijack.evtx': fixture('security-4688/evtx-to-mitre-attack-rdp-hijack.evtx'),
} as const
type FileName = keyof typeof FILES

/** The items of a file read alone, as they are expected from inside an archive at entry `index`. */
async function alone(name: FileName, index: number): Promise<IngestItem[]> {
  return (await readAll(FILES[name])).map((item) => {
    if (item.kind === 'event') return { ...item, rawOffset: item.rawOffset + index * ENTRY_SPAN }
    if (item.kind === 'error') return { ...item, message: `entry ${name}: ${item.message}` }
    return item
  })
}

const ARCHIVES: [string, string, [FileName, number][]][] = [
  // [fixture, writer, [file, entry index] in archive order] — the folders are entries too.
  ['archives/case-42.info-zip.zip', 'Info-ZIP, to a file', [['case-42/sysmon/ngrok-synthetic.xml', 2], ['case-42/crowdstrike/ngrok-synthetic.ndjson', 4], ['case-42/security/evtx-to-mitre-attack-rdp-hijack.evtx', 6]]],
  ['archives/case-42.info-zip-streamed.zip', 'Info-ZIP, into a pipe (data descriptors)', [['case-42/sysmon/ngrok-synthetic.xml', 2], ['case-42/crowdstrike/ngrok-synthetic.ndjson', 4], ['case-42/security/evtx-to-mitre-attack-rdp-hijack.evtx', 6]]],
  ['archives/case-42.python-zip64-streamed.zip', 'Python zipfile, ZIP64 into a pipe (a stored entry)', [['case-42/sysmon/ngrok-synthetic.xml', 0], ['case-42/crowdstrike/ngrok-synthetic.ndjson', 1]]],
]

describe('ZIP archives', () => {
  it.each(ARCHIVES)('%s (%s): each file reads as it does alone, under any chunking', async (path, _, files) => {
    const expected = (await Promise.all(files.map(([name, index]) => alone(name, index)))).flat()
    expect(events(expected).length).toBeGreaterThan(40)
    for (const sizes of [[], [1, 7, 4096], [65536, 3]]) expect(await readAll(fixture(path), {}, sizes)).toEqual(expected)
  })

  it.each(ARCHIVES)('%s: every event\'s recorded bytes, read back from the archive, are its text (or EVTX record) in the file', async (path, _, files) => {
    const archive = fixture(path)
    const found = events(await readAll(archive))
    const back = await readContentRanges(chunked(archive, [4096]), found.map((e) => ({ offset: e.rawOffset, length: e.rawLength })))
    found.forEach((e, i) => {
      const index = Math.floor(e.rawOffset / ENTRY_SPAN)
      const name = files.find(([, at]) => at === index)![0]
      const offset = e.rawOffset - index * ENTRY_SPAN
      expect(back[i]).toEqual(FILES[name].subarray(offset, offset + e.rawLength))
    })
    // Also gzip-compressed as a whole.
    const again = await readContentRanges(chunked(gzipSync(archive), [999]), found.map((e) => ({ offset: e.rawOffset, length: e.rawLength })))
    expect(again).toEqual(back)
  })

  it('is detected as zip, and read the same when the archive itself is gzip-compressed', async () => {
    const archive = fixture('archives/case-42.info-zip.zip')
    expect(detectFormat(archive.subarray(0, 64))).toBe('zip')
    expect(detectFormat(gzipSync(archive).subarray(0, 512))).toBe('zip')
    expect(await readAll(gzipSync(archive), {}, [1000])).toEqual(await readAll(archive))
  })

  it('leaves out folders, macOS resource forks and hidden files; reads gzip, UTF-16 and EVTX files inside', async () => {
    const xml = FILES['case-42/sysmon/ngrok-synthetic.xml']
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml.toString('utf8'), 'utf16le')])
    const archive = zipArchive([
      { name: 'logs/' },
      { name: '__MACOSX/logs/._sysmon.xml', data: 'resource fork' },
      { name: 'logs/.DS_Store', data: 'Bud1 binary' },
      { name: 'logs/sysmon.xml.gz', data: gzipSync(xml) },
      { name: 'logs/sysmon-utf16.xml', data: utf16, method: 'store' },
      { name: 'logs/security.evtx', data: FILES['case-42/security/evtx-to-mitre-attack-rdp-hijack.evtx'] },
    ])
    const items = await readAll(archive)
    const plain = await readAll(xml)
    const plainEvents = events(plain).map((e) => e.event)
    expect(events(items).map((e) => e.event)).toEqual([...plainEvents, ...plainEvents, ...events(await readAll(FILES['case-42/security/evtx-to-mitre-attack-rdp-hijack.evtx'])).map((e) => e.event)])
    // Windows' own errors of the synthetic file, once per copy, each naming its file.
    const errors = items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)
    expect(errors).toHaveLength(2 * plain.filter((i) => i.kind === 'error').length)
    expect(errors.filter((m) => m.startsWith('entry logs/sysmon.xml.gz: '))).toHaveLength(errors.length / 2)
    expect(errors.filter((m) => m.startsWith('entry logs/sysmon-utf16.xml: '))).toHaveLength(errors.length / 2)
  })

  it('an entry it cannot read is one error that names it and says why; the entries after it are read', async () => {
    const ok = (name: string): ZipEntrySpec => ({ name, data: FILES['case-42/crowdstrike/ngrok-synthetic.ndjson'] })
    const archive = zipArchive([
      ok('a.ndjson'),
      { name: 'secret.ndjson', data: 'x'.repeat(100), flags: 0x0001, method: 'store' },
      { name: 'lzma.ndjson', data: 'y'.repeat(100), methodNumber: 14, method: 'store' },
      { name: 'secret-streamed.ndjson', data: 'z'.repeat(100), flags: 0x0009, method: 'store', descriptor: true },
      { name: 'inner.zip', data: zipArchive([ok('b.ndjson')]) },
      { name: 'inner.tar.gz', data: gzipSync(tarArchive([{ name: 'b.ndjson', data: 'x' }])) },
      ok('c.ndjson'),
    ])
    const items = await readAll(archive)
    const one = events(await readAll(FILES['case-42/crowdstrike/ngrok-synthetic.ndjson'])).length
    expect(events(items)).toHaveLength(2 * one)
    expect(items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([
      'entry secret.ndjson: it is encrypted, which is not read: add it to the archive without a password',
      'entry lzma.ndjson: it is compressed with LZMA, which is not read: use Deflate (the ZIP default) or no compression',
      'entry secret-streamed.ndjson: it is encrypted, which is not read: add it to the archive without a password',
      'entry inner.zip: the file is a ZIP archive inside an archive, which is not read: put its files in the outer archive',
      'entry inner.tar.gz: the file is a TAR archive inside an archive, which is not read: put its files in the outer archive',
    ])
  })

  it('a damaged entry (CRC-32 or size) is reported after what it gave; the next entry is read', async () => {
    const ndjson = FILES['case-42/crowdstrike/ngrok-synthetic.ndjson']
    for (const descriptor of [false, true]) {
      const archive = zipArchive([{ name: 'bad.ndjson', data: ndjson, crc32: 0x12345678, descriptor }, { name: 'good.ndjson', data: ndjson, descriptor }])
      const items = await readAll(archive)
      const one = events(await readAll(ndjson)).length
      expect(events(items)).toHaveLength(2 * one)
      const errors = items.filter((i) => i.kind === 'error')
      expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^entry bad\.ndjson: its data does not match its CRC-32 and size \(5119 bytes read, 5119 recorded\): it is damaged$/) })])
    }
  })

  it('finds the end of streamed data by its descriptor, not by the same four bytes inside the data', async () => {
    // Stored lines holding descriptor signatures whose sizes do not match where they stand.
    const signature = Buffer.from('PK\x07\x08', 'latin1')
    const tricky = Buffer.concat([...Array.from({ length: 50 }, (_, i) => Buffer.concat([signature, Buffer.from(` line ${i} `), signature, Buffer.alloc(12, i), Buffer.from('\n')])), signature, Buffer.alloc(12)])
    const ndjson = FILES['case-42/crowdstrike/ngrok-synthetic.ndjson']
    for (const zip64 of [false, true]) {
      const archive = zipArchive([
        { name: 'tricky.log', data: tricky, method: 'store', descriptor: true, zip64 },
        { name: 'ngrok.ndjson', data: ndjson, descriptor: true, zip64 },
      ])
      const items = await readAll(archive, {}, [5, 64])
      expect(events(items)).toEqual(events(await alone('case-42/crowdstrike/ngrok-synthetic.ndjson', 1)))
      // The tricky file is 51 lines of text, each one unrecognized line; nothing about the archive.
      const errors = items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)
      expect(errors).toHaveLength(51)
      expect(errors.every((m) => m.startsWith('entry tricky.log: unrecognized line'))).toBe(true)
    }
  })

  it('an archive cut short keeps what came before the cut and says where it ends', async () => {
    const ndjson = FILES['case-42/crowdstrike/ngrok-synthetic.ndjson']
    const one = events(await readAll(ndjson)).length
    const whole = zipArchive([{ name: 'first.ndjson', data: ndjson }, { name: 'second.ndjson', data: ndjson, method: 'store' }])
    const firstEnd = zipEntry({ name: 'first.ndjson', data: ndjson }).length
    // Cut inside the second entry's data: its events before the cut, then the error.
    const inData = await readAll(whole.subarray(0, firstEnd + 60 + ndjson.length / 2))
    expect(events(inData).length).toBeGreaterThan(one)
    expect(events(inData).length).toBeLessThan(2 * one)
    // The partial line at the cut is read as it is (as in a gzip file cut short), then the cut is named once.
    expect(inData.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([
      expect.stringMatching(/^entry second\.ndjson: invalid JSON: Unterminated string/),
      'entry second.ndjson: the archive ends inside its data: it is cut short',
    ])
    // Cut between entries, before the central directory.
    const between = await readAll(whole.subarray(0, firstEnd))
    expect(events(between)).toHaveLength(one)
    expect(summary(between).at(-1)).toBe(`1 error the archive ends at byte ${firstEnd} without its central directory: it is cut short (the entries before were read)`)
    // Bytes that are no ZIP header end the archive there.
    const garbage = await readAll(Buffer.concat([whole.subarray(0, firstEnd), Buffer.from('not a header at all'), END_OF_CENTRAL_DIRECTORY]))
    expect(events(garbage)).toHaveLength(one)
    expect(summary(garbage).at(-1)).toBe(`1 error no ZIP entry header at byte ${firstEnd} of the archive (it is damaged); the rest of the archive was not read`)
  })

  it('caps what the files inflate to: a bomb entry stops at the ratio, all entries together at maxDecompressedBytes', async () => {
    const bomb = zipArchive([{ name: 'bomb.ndjson', data: Buffer.alloc(8 * 1024 * 1024, 0x20) }, { name: 'after.ndjson', data: FILES['case-42/crowdstrike/ngrok-synthetic.ndjson'] }])
    const items = await readAll(bomb)
    expect(items.filter((i) => i.kind === 'error').map((i) => (i as { message: string }).message)).toEqual([expect.stringMatching(/^entry bomb\.ndjson: deflate data inflates more than 100:1 .*likely a decompression bomb; rest not read$/)])
    expect(events(items).length).toBeGreaterThan(0)
    const ndjson = FILES['case-42/crowdstrike/ngrok-synthetic.ndjson']
    const many = zipArchive(Array.from({ length: 5 }, (_, i) => ({ name: `part-${i}.ndjson`, data: ndjson, method: i % 2 === 0 ? ('store' as const) : ('deflate' as const) })))
    const capped = await readAll(many, { maxDecompressedBytes: 2.5 * ndjson.length })
    const errors = capped.filter((i) => i.kind === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ message: expect.stringMatching(/^entry part-2\.ndjson: .*maxDecompressedBytes.*rest not read$/) })
    expect(events(capped).length).toBeLessThan(3 * events(await readAll(ndjson)).length)
  })

  it('reads an archive that starts with the "PK00" marker of archives meant to be split', async () => {
    const entries = [{ name: 'ngrok.ndjson', data: FILES['case-42/crowdstrike/ngrok-synthetic.ndjson'] }]
    const plain = await readAll(zipArchive(entries))
    expect(events(plain).length).toBeGreaterThan(0)
    expect(await readAll(Buffer.concat([Buffer.from('PK00', 'latin1'), zipArchive(entries)]))).toEqual(plain)
  })

  it('names stored without the UTF-8 flag: UTF-8 when valid, else byte by byte', async () => {
    const bad = { data: 'not json\n', method: 'store' as const, utf8Flag: false }
    const items = await readAll(zipArchive([{ name: 'x', nameBytes: Buffer.from('journal-été.log'), ...bad }, { name: 'y', nameBytes: Buffer.from([0x6c, 0xe9, 0x2e, 0x6c, 0x6f, 0x67]), ...bad }]))
    expect(items.map((i) => (i as { message: string }).message.split(':')[0])).toEqual(['entry journal-été.log', 'entry lé.log'])
    // Control characters in a name (a line break would forge a line of output) are shown as `?`.
    const forged = await readAll(zipArchive([{ name: 'a\nwatchpost: all clear\u0000.log', ...bad }]))
    expect((forged[0] as { message: string }).message).toMatch(/^entry a\?watchpost: all clear\?\.log: unrecognized line/)
  })

  it('never throws and always ends on damaged archives (fuzzed byte flips and cuts)', async () => {
    await expectReadsWhenDamaged(fixture('archives/case-42.info-zip-streamed.zip'), 30, 150)
  })
})
