import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { foldIngestItems, newIngestStats, readEventBatches, type IngestItem } from '../../../src/ingest/index.js'
import { parseRegularLine } from '../../../src/ingest/xml/fast-path.js'
import { fixture, SHARED_DATASETS } from './helpers/read.js'
import { parseStrict, plain } from './helpers/xml-events.js'

/**
 * Real public data from ../shared/datasets (see its SOURCES.md and MANIFEST.tsv). Skipped when
 * that folder is absent, as on a plain clone.
 */

const present = existsSync(`${SHARED_DATASETS}MANIFEST.tsv`)

interface ManifestRow {
  file: string
  events: number
  processEvents: number
}

function manifest(): ManifestRow[] {
  const [header, ...rows] = readFileSync(`${SHARED_DATASETS}MANIFEST.tsv`, 'utf8').trim().split('\n')
  const cols = header!.split('\t')
  return rows.map((r) => {
    const v = r.split('\t')
    const get = (name: string) => v[cols.indexOf(name)]!
    return { file: get('file'), events: Number(get('events')), processEvents: Number(get('process_creation_events')) }
  })
}

async function readFile(path: string): Promise<IngestItem[]> {
  const items: IngestItem[] = []
  for await (const batch of readEventBatches(createReadStream(path))) items.push(...batch.items)
  return items
}

describe.skipIf(!present)('shared datasets corpus', () => {
  const derived = present ? manifest().filter((r) => /\/derived\/[^/]+\.xml(\.gz)?$/.test(r.file)) : []

  it('lists the derived XML files', () => {
    expect(derived.map((r) => r.file).filter((f) => f.includes('process_creation'))).toHaveLength(2)
    expect(derived.length).toBeGreaterThanOrEqual(6)
  })

  it.each(derived.map((r) => [r.file, r] as const))('%s: every event parses; process events match the manifest', async (_, row) => {
    const stats = foldIngestItems(newIngestStats(), await readFile(SHARED_DATASETS + row.file))
    expect(stats.errors).toEqual([])
    expect({ events: stats.events, processEvents: stats.processEvents }).toEqual({ events: row.events, processEvents: row.processEvents })
  })

  it('fast path and saxes agree on every real process-creation line, and the fast path takes them all', () => {
    for (const row of derived.filter((r) => r.file.endsWith('process_creation_events.xml'))) {
      const lines = readFileSync(SHARED_DATASETS + row.file, 'utf8').split('\n').filter((l) => l !== '')
      let fast = 0
      for (const line of lines) {
        const strict = parseStrict(line)
        expect(strict.error).toBeNull()
        const records = parseRegularLine(line)
        if (records === null) continue
        fast++
        expect(records.map(plain)).toEqual(strict.records)
      }
      expect(fast).toBe(lines.length)
    }
  })

  it('normalizes the CrowdStrike FDR lines (SyntheticProcessRollup2 skipped)', async () => {
    const items = await readFile(`${SHARED_DATASETS}elastic-integrations-crowdstrike/test-fdr.processrollup2.ndjson`)
    const raw = readFileSync(`${SHARED_DATASETS}elastic-integrations-crowdstrike/test-fdr.processrollup2.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>)
    expect(items.filter((i) => i.kind === 'error')).toEqual([])
    expect(items.filter((i) => i.kind === 'skipped').map((i) => i.line)).toEqual([raw.findIndex((r) => r.event_simpleName === 'SyntheticProcessRollup2') + 1])
    for (const item of items) {
      if (item.kind !== 'event') continue
      const source = raw[item.line - 1]!
      expect(item.event._time).toBe(Number(source.timestamp))
      expect(item.event.process_id).toBe(source.TargetProcessId)
      expect(item.event.process).toBe(source.CommandLine!.trim().replaceAll('"', ''))
      expect(item.event.user).toBe(source.UserSid ?? source.UID)
      expect(item.event.process_name).not.toBe('unknown')
    }
    expect(items.filter((i) => i.kind === 'event')).toHaveLength(9)
  })

  it('keeps verbatim copies of the ESCU example events', () => {
    const examples = `${SHARED_DATASETS}escu-data-sources/example_logs/`
    expect(fixture('sysmon/escu-example.xml').equals(readFileSync(`${examples}sysmon_eventid_1.example_log.xml`))).toBe(true)
    expect(fixture('security-4688/escu-example.xml').equals(readFileSync(`${examples}windows_event_log_security_4688.example_log.xml`))).toBe(true)
    expect(fixture('crowdstrike/escu-example.ndjson').equals(readFileSync(`${examples}crowdstrike_processrollup2.example_log.json`))).toBe(true)
  })
})
