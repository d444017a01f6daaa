import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { detectFormat, foldIngestItems, LOG_FORMATS, MAX_KEPT_ERRORS, MAX_SKIPPED_KINDS, newIngestStats, type IngestItem, type IngestStats } from '../../../src/ingest/index.js'
import { fixture } from './helpers/read.js'

describe('detectFormat (from content, never the file name)', () => {
  const xml = fixture('sysmon/ngrok-synthetic.xml')
  const ndjson = fixture('crowdstrike/ngrok-synthetic.ndjson')

  it('names the formats a client may choose', () => {
    expect(LOG_FORMATS).toEqual(['windows-xml', 'ndjson'])
  })

  it.each([
    ['XmlWinEventLog line', xml, 'windows-xml'],
    ['BOM, blank lines and an XML declaration', Buffer.from('\uFEFF\r\n  \t<?xml version="1.0"?><Events>'), 'windows-xml'],
    ['JSON lines', ndjson, 'ndjson'],
    ['JSON after whitespace', Buffer.from('\n\n {"a":1}'), 'ndjson'],
    ['gzip of XML', gzipSync(xml), 'windows-xml'],
    ['only the first 64 KiB of a large gzip', gzipSync(Buffer.concat(Array.from({ length: 50 }, () => xml))).subarray(0, 65536), 'windows-xml'],
    ['gzip of JSON lines', gzipSync(ndjson), 'ndjson'],
    ['an empty upload', Buffer.alloc(0), 'unknown'],
    ['binary garbage', Buffer.from([0x00, 0x13, 0x37, 0xc0, 0xff]), 'unknown'],
    ['UTF-16LE with a BOM (wevtutil, PowerShell 5)', Buffer.from('\uFEFF\r\n<Event>', 'utf16le'), 'windows-xml'],
    ['UTF-16BE with a BOM', Buffer.from('\uFEFF{"a":1}', 'utf16le').swap16(), 'ndjson'],
    ['UTF-16LE without a BOM', Buffer.from('<Events>', 'utf16le'), 'windows-xml'],
    ['gzip of UTF-16LE', gzipSync(Buffer.from('\uFEFF{"a":1}', 'utf16le')), 'ndjson'],
    ['a broken gzip header', Buffer.from([0x1f, 0x8b, 0x00, 0x00, 0x01]), 'unknown'],
    ['CSV text', Buffer.from('time,host\n'), 'unknown'],
    ['an EVTX file', fixture('security-4688/evtx-to-mitre-attack-rdp-hijack.evtx'), 'evtx'],
    ['gzip of an EVTX file', gzipSync(fixture('sysmon/omerbenamram-sysmon-chunk1.evtx')), 'evtx'],
  ])('%s → %s', (_, head, expected) => {
    expect(detectFormat(head)).toBe(expected)
  })
})

describe('IngestStats', () => {
  const event = fixtureEvent()
  it('counts events, process events, skipped events and errors', () => {
    const items: IngestItem[] = [
      event,
      event,
      { kind: 'skipped', line: 3, source: 'sysmon', eventKind: 'sysmon:3', reason: 'Sysmon EventID 3 is not a process creation' },
      { kind: 'error', line: 4, offset: 1234, message: 'bad' },
    ]
    const stats = foldIngestItems(newIngestStats(), items)
    expect(stats).toEqual({ events: 3, processEvents: 2, skipped: 1, skippedByKind: { 'sysmon:3': 1 }, errorCount: 1, errors: [{ line: 4, offset: 1234, message: 'bad' }] })
    foldIngestItems(stats, items)
    expect(stats).toMatchObject({ events: 6, processEvents: 4, skipped: 2, skippedByKind: { 'sysmon:3': 2 }, errorCount: 2 })
  })

  it('keeps the first errors only, but counts them all', () => {
    const errors: IngestItem[] = Array.from({ length: 2500 }, (_, i) => ({ kind: 'error', line: i + 1, offset: i * 10, message: `e${i + 1}` }))
    const stats = foldIngestItems(newIngestStats(), errors)
    expect(stats.errorCount).toBe(2500)
    expect(stats.errors).toHaveLength(MAX_KEPT_ERRORS)
    expect(stats.errors.at(-1)).toEqual({ line: 1000, offset: 9990, message: 'e1000' })
    expect(foldIngestItems(newIngestStats(), errors, 3).errors.map((e) => e.line)).toEqual([1, 2, 3])
  })

  it('counts skipped events per kind, with a bounded number of kinds', () => {
    const skipped = (eventKind: string): IngestItem => ({ kind: 'skipped', line: 1, source: 'other', eventKind, reason: 'r' })
    const stats = foldIngestItems(newIngestStats(), ['sysmon:3', 'sysmon:11', 'sysmon:3', 'security:4624', 'crowdstrike:DnsRequest', 'json:unsupported'].map(skipped))
    expect(stats.skippedByKind).toEqual({ 'sysmon:3': 2, 'sysmon:11': 1, 'security:4624': 1, 'crowdstrike:DnsRequest': 1, 'json:unsupported': 1 })
    // Keys come from the upload (channel names): past MAX_SKIPPED_KINDS new kinds go to `other`.
    foldIngestItems(stats, Array.from({ length: MAX_SKIPPED_KINDS + 50 }, (_, i) => skipped(`windows:C${i}:1`)))
    expect(Object.keys(stats.skippedByKind)).toHaveLength(MAX_SKIPPED_KINDS + 1)
    expect(stats.skippedByKind['other']).toBe(55)
    foldIngestItems(stats, [skipped('sysmon:3'), skipped('windows:C0:1'), skipped('__proto__:x')])
    expect(stats.skippedByKind).toMatchObject({ 'sysmon:3': 3, 'windows:C0:1': 2, other: 56 })
    expect(stats.skipped).toBe(6 + MAX_SKIPPED_KINDS + 53)
  })

  it('adds skippedByKind to stats stored before it existed', () => {
    const old = { events: 1, processEvents: 1, skipped: 0, errorCount: 0, errors: [] } as unknown as IngestStats
    expect(foldIngestItems(old, [{ kind: 'skipped', line: 1, source: 'sysmon', eventKind: 'sysmon:3', reason: 'r' }]).skippedByKind).toEqual({ 'sysmon:3': 1 })
  })
})

function fixtureEvent(): IngestItem {
  const fields = ['action', 'dest', 'original_file_name', 'parent_process', 'parent_process_exec', 'parent_process_guid', 'parent_process_id', 'parent_process_name',
    'parent_process_path', 'process', 'process_exec', 'process_guid', 'process_hash', 'process_id', 'process_integrity_level', 'process_name', 'process_path', 'user',
    'user_id', 'vendor_product'] as const
  const event = { _time: 0, ...Object.fromEntries(fields.map((f) => [f, null])) } as Extract<IngestItem, { kind: 'event' }>['event']
  return { kind: 'event', event, source: 'sysmon', key: 'h|c|1', line: 1, rawOffset: 0, rawLength: 0 }
}
