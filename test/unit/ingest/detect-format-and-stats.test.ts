import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { detectFormat, foldIngestItems, LOG_FORMATS, MAX_KEPT_ERRORS, newIngestStats, type IngestItem } from '../../../src/ingest/index.js'
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
    ['UTF-16 (not supported)', Buffer.from('\uFEFF<Event>', 'utf16le'), 'unknown'],
    ['a broken gzip header', Buffer.from([0x1f, 0x8b, 0x00, 0x00, 0x01]), 'unknown'],
    ['CSV text', Buffer.from('time,host\n'), 'unknown'],
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
      { kind: 'skipped', line: 3, source: 'sysmon', reason: 'Sysmon EventID 3 is not a process creation' },
      { kind: 'error', line: 4, message: 'bad' },
    ]
    const stats = foldIngestItems(newIngestStats(), items)
    expect(stats).toEqual({ events: 3, processEvents: 2, skipped: 1, errorCount: 1, errors: [{ line: 4, message: 'bad' }] })
    foldIngestItems(stats, items)
    expect(stats).toMatchObject({ events: 6, processEvents: 4, skipped: 2, errorCount: 2 })
  })

  it('keeps the first errors only, but counts them all', () => {
    const errors: IngestItem[] = Array.from({ length: 2500 }, (_, i) => ({ kind: 'error', line: i + 1, message: `e${i + 1}` }))
    const stats = foldIngestItems(newIngestStats(), errors)
    expect(stats.errorCount).toBe(2500)
    expect(stats.errors).toHaveLength(MAX_KEPT_ERRORS)
    expect(stats.errors.at(-1)).toEqual({ line: 1000, message: 'e1000' })
    expect(foldIngestItems(newIngestStats(), errors, 3).errors.map((e) => e.line)).toEqual([1, 2, 3])
  })
})

function fixtureEvent(): IngestItem {
  const fields = ['action', 'dest', 'original_file_name', 'parent_process', 'parent_process_exec', 'parent_process_guid', 'parent_process_id', 'parent_process_name',
    'parent_process_path', 'process', 'process_exec', 'process_guid', 'process_hash', 'process_id', 'process_integrity_level', 'process_name', 'process_path', 'user',
    'user_id', 'vendor_product'] as const
  const event = { _time: 0, ...Object.fromEntries(fields.map((f) => [f, null])) } as Extract<IngestItem, { kind: 'event' }>['event']
  return { kind: 'event', event, source: 'sysmon', key: 'h|c|1', line: 1 }
}
