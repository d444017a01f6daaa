import { crc32, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readEvtxFile as readEvtx, type EvtxEntry } from '../../../src/ingest/evtx/evtx-file.js'
import { type IngestItem } from '../../../src/ingest/index.js'
import { binxml, chunk, evtxFile, templateDefinition } from './helpers/evtx-builder.js'
import { events, fixture, readAll, summary } from './helpers/read.js'

/**
 * EVTX, Windows' binary event log, read as it is: each record's binary XML rendered to the XML
 * Windows shows, then read like an export. The fixtures are real files (test/fixtures/logs/README.md):
 * the first chunk of the evtx project's Sysmon sample and an EVTX-to-MITRE-Attack 4688 capture,
 * each beside the libevtx rendering of its process creations (`.derived.xml`), which the events
 * read from the binary must equal.
 */

const SYSMON_EVTX = fixture('sysmon/omerbenamram-sysmon-chunk1.evtx')
const SECURITY_EVTX = fixture('security-4688/evtx-to-mitre-attack-rdp-hijack.evtx')
const CHUNK = 65536
const HEADER = 4096

type EventItem = Extract<IngestItem, { kind: 'event' }>
/** libevtx pads hexadecimal values to 16 digits (`0x00000000000006e8`); Windows does not (`0x6e8`). */
const unpadded = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/^0x0+(?=[0-9a-f])/, '0x') : v)
/** The entries of an EVTX file given whole. */
async function readEvtxFile(bytes: Buffer): Promise<EvtxEntry[]> {
  const entries: EvtxEntry[] = []
  for await (const batch of readEvtx((async function* () {
    yield bytes
  })())) entries.push(...batch)
  return entries
}
const comparable = (found: EventItem[]) => found.map((e) => ({ source: e.source, key: e.key, event: Object.fromEntries(Object.entries(e.event).map(([k, v]) => [k, unpadded(v)])) }))

/** An EVTX file of the given chunks, its header counting them (with its checksum, as Windows writes it). */
function evtxOf(header: Buffer, chunks: Buffer[]): Buffer {
  const head = Buffer.from(header.subarray(0, HEADER))
  head.writeUInt16LE(chunks.length, 42)
  head.writeBigUInt64LE(BigInt(chunks.length - 1), 16)
  head.writeUInt32LE(crc32(head.subarray(0, 120)), 124)
  return Buffer.concat([head, ...chunks])
}
const chunkOf = (file: Buffer, n = 0): Buffer => Buffer.from(file.subarray(HEADER + n * CHUNK, HEADER + (n + 1) * CHUNK))

describe('EVTX files', () => {
  it.each([
    ['Sysmon (evtx project sample, first chunk)', SYSMON_EVTX, 'sysmon/omerbenamram-sysmon-chunk1.derived.xml', 'sysmon', 31, 10],
    ['Security 4688 (EVTX-to-MITRE-Attack)', SECURITY_EVTX, 'security-4688/evtx-to-mitre-attack-rdp-hijack.derived.xml', 'security-4688', 12, 2],
  ] as const)('%s: every process creation equals its XML rendering; the other events are skipped', async (_, evtx, derived, source, processEvents, skipped) => {
    const items = await readAll(evtx)
    expect(items.filter((i) => i.kind === 'error')).toEqual([])
    const found = events(items)
    expect(found).toHaveLength(processEvents)
    expect(found.every((e) => e.source === source)).toBe(true)
    expect(items.filter((i) => i.kind === 'skipped')).toHaveLength(skipped)
    expect(comparable(found)).toEqual(comparable(events(await readAll(fixture(derived)))))
    // `line` is the record's ordinal in the file; each event points at its record's own bytes.
    const lines = items.map((i) => i.line)
    expect(lines).toEqual([...lines].sort((a, b) => a - b))
    expect(new Set(lines).size).toBe(lines.length)
    for (const e of found) {
      expect(evtx.readUInt32LE(e.rawOffset)).toBe(0x2a2a)
      expect(evtx.readUInt32LE(e.rawOffset + 4)).toBe(e.rawLength)
    }
  })

  it('renders values as Windows writes them: hexadecimal ids unpadded, GUIDs in braces, times in UTC', async () => {
    const [first] = events(await readAll(SECURITY_EVTX))
    expect(first!.event.process_id).toMatch(/^0x[1-9a-f][0-9a-f]*$/)
    expect(first!.event.parent_process_id).toMatch(/^0x[1-9a-f][0-9a-f]*$/)
    const [sysmon] = events(await readAll(SYSMON_EVTX))
    expect(sysmon!.event).toMatchObject({
      process_guid: '{94F748D5-4A45-5A42-0000-0010D265F20F}',
      process: 'ping  -n 6 127.0.0.1 ',
      process_name: 'PING.EXE',
      user_id: 'S-1-5-18',
      // Sysmon's own UtcTime, as for XML exports (the System time is 2 ms later).
      _time: Date.parse('2017-12-26T13:10:29.134Z'),
    })
    expect(sysmon!.key).toBe('DESKTOP-2KGM189|Microsoft-Windows-Sysmon/Operational|1742')
    const [record] = await readEvtxFile(SYSMON_EVTX)
    expect(record).toMatchObject({ kind: 'record', ordinal: 1, offset: HEADER + 512 })
    const xml = record!.kind === 'record' ? record!.xml : ''
    expect(xml).toMatch(/^<Event xmlns="http:\/\/schemas\.microsoft\.com\/win\/2004\/08\/events\/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="\{5770385F-C22A-43E0-BF4C-06F5698FFBD9\}"\/><EventID>1<\/EventID>/)
    expect(xml).toContain('<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2017-12-26T13:10:29.1368792Z"/><EventRecordID>1742</EventRecordID><Correlation/><Execution ProcessID="2284" ThreadID="5252"/>')
    expect(xml).toContain('<Data Name="LogonId">0x3e7</Data><Data Name="TerminalSessionId">0</Data>')
    expect(xml).toMatch(/<\/EventData><\/Event>$/)
  })

  it('reads the same gzip-compressed and however the bytes are chunked', async () => {
    const whole = await readAll(SYSMON_EVTX)
    expect(await readAll(gzipSync(SYSMON_EVTX))).toEqual(whole)
    for (const sizes of [[1], [7, 4093], [CHUNK + 1], [300_000]]) expect(await readAll(SYSMON_EVTX, {}, sizes)).toEqual(whole)
  })

  it('reads chunks past the header’s count when they are chunks (a header not updated), and skips unused space after them', async () => {
    const file = evtxOf(SYSMON_EVTX, [chunkOf(SYSMON_EVTX), chunkOf(SECURITY_EVTX)])
    file.writeUInt16LE(1, HEADER - HEADER + 42)
    const garbage = Buffer.alloc(CHUNK, 0x5a)
    const items = await readAll(Buffer.concat([file, garbage]))
    expect(items.filter((i) => i.kind === 'error')).toEqual([])
    expect(events(items).map((e) => e.source)).toEqual([...Array(31).fill('sysmon'), ...Array(12).fill('security-4688')])
  })

  it('a damaged record is reported with its byte offset, and the records after it are read', async () => {
    const file = Buffer.from(SYSMON_EVTX)
    const all = events(await readAll(file))
    const victim = all[5]!
    file.writeUInt32LE(0xdeadbeef, victim.rawOffset)
    const items = await readAll(file)
    const errors = items.filter((i) => i.kind === 'error')
    expect(errors).toEqual([{ kind: 'error', line: victim.line, offset: victim.rawOffset, message: `no event record at byte ${victim.rawOffset}; ${victim.rawLength} bytes skipped up to the next record` }])
    expect(events(items).map((e) => e.key)).toEqual(all.filter((e) => e !== victim).map((e) => e.key))
  })

  it('a damaged chunk is reported, and the other chunks are read', async () => {
    const damaged = chunkOf(SYSMON_EVTX)
    damaged.write('XXXXXXXX', 0, 'latin1')
    const items = await readAll(evtxOf(SYSMON_EVTX, [damaged, chunkOf(SECURITY_EVTX)]))
    expect(summary(items.filter((i) => i.kind === 'error'))).toEqual([`1 error chunk at byte ${HEADER} does not start with "ElfChnk" (it is damaged); its records were skipped`])
    expect(events(items)).toHaveLength(12)
  })

  it('a file cut short is reported where it ends; whole chunks before are read', async () => {
    const file = evtxOf(SYSMON_EVTX, [chunkOf(SYSMON_EVTX), chunkOf(SECURITY_EVTX)])
    const items = await readAll(file.subarray(0, HEADER + CHUNK + 1000))
    expect(events(items)).toHaveLength(31)
    expect(items.filter((i) => i.kind === 'error')).toEqual([
      { kind: 'error', line: 42, offset: HEADER + CHUNK, message: `the EVTX file ends inside a chunk (1000 of its ${CHUNK} bytes); that part was not read` },
    ])
    expect(summary(await readAll(SYSMON_EVTX.subarray(0, 1000)))).toEqual(['1 error the EVTX file ends inside its 4096-byte header (1000 bytes)'])
  })

  it('refuses a format version it does not know, with one error', async () => {
    const file = Buffer.from(SYSMON_EVTX)
    file.writeUInt16LE(2, 38)
    expect(summary(await readAll(file))).toEqual(['1 error EVTX format version 2.1 is not supported (3.x is)'])
  })

  it('never throws on damaged bytes anywhere in a chunk: every record gives an event, a skip or an error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: HEADER, max: HEADER + CHUNK - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 }), async (flips) => {
        const file = Buffer.from(SYSMON_EVTX)
        for (const [at, byte] of flips) file[at] = byte
        const items = await readAll(file)
        expect(items.every((i) => ['event', 'skipped', 'error'].includes(i.kind))).toBe(true)
        // Damage is local: the chunk header's bytes aside, records after a damaged one still come out.
        expect(items.length).toBeGreaterThan(0)
      }),
      { numRuns: 150 },
    )
  })
})

describe('EVTX binary XML crafted to abuse templates', () => {
  const entriesOf = async (file: Buffer): Promise<EvtxEntry[]> => readEvtxFile(file)
  const record = (definition: number, values: string[] = []): Buffer => Buffer.concat([binxml.fragmentHeader(), binxml.templateInstance(definition, values), binxml.end()])
  /** A template definition placed at `offset` whose body is built knowing where it starts (inline names point there). */
  const templateAt = (offset: number, body: (start: number) => Buffer[]): { offset: number; bytes: Buffer } => ({ offset, bytes: templateDefinition(Buffer.concat(body(offset + 24))) })

  it('renders a template with escaped substitutions (the builder is sound)', async () => {
    const t = templateAt(20_000, (start) => {
      const head = Buffer.concat([binxml.fragmentHeader()])
      const open = binxml.openElement(start + head.length, 'Event')
      return [head, open, binxml.closeStart(), binxml.text('x'), binxml.substitution(0), binxml.endElement(), binxml.end()]
    })
    const [entry] = await entriesOf(evtxFile([chunk([record(20_000, ['a<b&"c'])], [t])]))
    expect(entry).toMatchObject({ kind: 'record', xml: '<Event>xa&lt;b&amp;"c</Event>' })
  })

  it('templates that multiply each other stop at 4,096 instances a record, as an error for that record alone', async () => {
    const depth = 10
    const blocks = Array.from({ length: depth + 1 }, (_, k) =>
      templateAt(20_000 + 1000 * k, () => (k === depth ? [binxml.fragmentHeader(), binxml.text('x'), binxml.end()] : [binxml.fragmentHeader(), ...Array.from({ length: 10 }, () => binxml.templateInstance(20_000 + 1000 * (k + 1))), binxml.end()])),
    )
    const plain = templateAt(40_000, (start) => [binxml.fragmentHeader(), binxml.openElement(start + 4, 'Event'), binxml.closeStart(), binxml.endElement(), binxml.end()])
    const entries = await entriesOf(evtxFile([chunk([record(20_000), record(40_000)], [...blocks, plain])]))
    expect(entries[0]).toMatchObject({ kind: 'error', message: expect.stringMatching(/^event record 1 at byte \d+ cannot be read: the record instantiates more than 4096 templates$/) })
    expect(entries[1]).toMatchObject({ kind: 'record', xml: '<Event></Event>' })
  })

  it('a template that contains an instance of itself, a substitution without a value and a name that is not XML are errors', async () => {
    const selfish = templateAt(20_000, () => [binxml.fragmentHeader(), binxml.templateInstance(20_000), binxml.end()])
    const missing = templateAt(30_000, () => [binxml.fragmentHeader(), binxml.substitution(3), binxml.end()])
    const badName = templateAt(40_000, (start) => [binxml.fragmentHeader(), binxml.openElement(start + 4, 'Ev ent'), binxml.closeStart(), binxml.endElement(), binxml.end()])
    const entries = await entriesOf(evtxFile([chunk([record(20_000), record(30_000), record(40_000)], [selfish, missing, badName])]))
    expect(entries.map((e) => (e.kind === 'error' ? e.message.replace(/^event record \d+ at byte \d+ cannot be read: /, '') : e.xml))).toEqual([
      'template at 20000 contains an instance of itself',
      'substitution 3 has no value',
      expect.stringMatching(/^an element or attribute name that is not an XML name at \d+$/),
    ])
  })
})
