import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CIM_PROCESS_FIELDS, type ProcessEvent } from '../../../src/detection/event.js'
import { foldIngestItems, newIngestStats, readEventBatches, type IngestItem } from '../../../src/ingest/index.js'
import { SHARED_DATASETS } from './helpers/read.js'

/**
 * Real JSON renderings from ../shared/datasets (see its SOURCES.md), skipped when that folder is
 * absent. The Sigma regression events exist both as evtx_dump JSON and as the XML libevtx
 * rendered from the same EVTX: each process creation must normalize to the same CIM event.
 */

const present = existsSync(`${SHARED_DATASETS}MANIFEST.tsv`)
const OTRF = `${SHARED_DATASETS}otrf-security-datasets/process_creation_events.ndjson`
const SIGMA = `${SHARED_DATASETS}sigma-regression-data/`

async function readFile(path: string, format: 'auto' | 'ndjson' = 'auto'): Promise<IngestItem[]> {
  const items: IngestItem[] = []
  for await (const batch of readEventBatches(createReadStream(path), { format })) items.push(...batch.items)
  return items
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []))
}

/** The event's key without the channel: Computer + EventRecordID. */
const computerAndRecord = (key: string) => key.replace(/\|[^|]*\|/, '|')

describe.skipIf(!present)('JSON corpus: OTRF Security-Datasets (flat NXLog/OTRF and Winlogbeat 6 lines)', () => {
  it('every line is a process event: 2079 Sysmon EventID 1 + 993 Security 4688, no errors', async () => {
    const items = await readFile(OTRF)
    expect(foldIngestItems(newIngestStats(), items)).toMatchObject({ events: 3072, processEvents: 3072, skipped: 0, errorCount: 0 })
    const count = (source: string) => items.filter((i) => i.kind === 'event' && i.source === source).length
    expect({ sysmon: count('sysmon'), security: count('security-4688') }).toEqual({ sysmon: 2079, security: 993 })
  })

  it('reads the fields from where each rendering keeps them', async () => {
    const lines = readFileSync(OTRF, 'utf8').split('\n')
    for (const item of await readFile(OTRF)) {
      if (item.kind !== 'event') continue
      const raw = JSON.parse(lines[item.line - 1]!) as Record<string, unknown>
      const data = (raw.event_data ?? (typeof raw.EventData === 'string' ? JSON.parse(raw.EventData) : raw)) as Record<string, string | undefined>
      const e = item.event
      expect(e._time).toBeGreaterThan(Date.UTC(2019, 0, 1))
      expect(e._time).toBeLessThan(Date.UTC(2024, 0, 1))
      expect(e.dest).not.toBe('unknown')
      if (item.source === 'sysmon') expect(e.process_path).toBe(data.Image)
      else expect(e.process_path).toBe(data.NewProcessName)
      expect(e.process_name).not.toBe('unknown')
    }
  })
})

describe.skipIf(!present)('JSON corpus: Sigma regression data, evtx_dump JSON vs the libevtx XML of the same EVTX', async () => {
  const files = present ? jsonFiles(`${SIGMA}regression_data`) : []
  const xml = present ? await readFile(`${SIGMA}derived/regression_data_all_events.xml`) : []
  const xmlEvents = new Map(xml.flatMap((i) => (i.kind === 'event' ? [[computerAndRecord(i.key ?? ''), i.event] as const] : [])))

  it('finds the 202 JSON files and the 151 Sysmon EventID 1 events of the XML', () => {
    expect(files).toHaveLength(202)
    expect(xml.filter((i) => i.kind === 'event')).toHaveLength(151)
  })

  it('reads every file without errors, with format auto and ndjson alike; skips match the XML kind for kind', async () => {
    const stats = newIngestStats()
    for (const file of files) {
      const items = await readFile(file)
      expect(items.filter((i) => i.kind === 'error'), file).toEqual([])
      expect(await readFile(file, 'ndjson')).toEqual(items)
      foldIngestItems(stats, items)
    }
    const fromXml = foldIngestItems(newIngestStats(), xml)
    expect(stats).toMatchObject({ events: 238, processEvents: 151, skipped: 87, errorCount: 0 })
    expect(stats.skippedByKind).toEqual(fromXml.skippedByKind)
  })

  it('every process creation normalizes to the XML event (all 20 CIM fields and _time), matched by Computer + EventRecordID', async () => {
    const outcome = { identical: 0, trailingWhitespace: 0, upstreamEdit: 0 }
    for (const file of files) {
      for (const item of await readFile(file)) {
        if (item.kind !== 'event') continue
        const expected = xmlEvents.get(computerAndRecord(item.key ?? ''))
        expect(expected, item.key ?? `line ${item.line}`).toBeDefined()
        const differing = (['_time', ...CIM_PROCESS_FIELDS] as const).filter((f) => item.event[f] !== expected![f])
        if (differing.length === 0) {
          outcome.identical++
          continue
        }
        // evtx_dump (>= 0.8.5) drops trailing whitespace from string values; libevtx and Windows
        // keep it (`"…\powershell.exe" `). Only the two command-line fields carry any here.
        expect(differing.every((f) => f === 'process' || f === 'parent_process'), item.key ?? `line ${item.line}`).toBe(true)
        const trimmed = (e: ProcessEvent) => ({ process: e.process!.trimEnd(), parent_process: e.parent_process!.trimEnd() })
        if (item.key === 'pcwin2.sigen.net|Microsoft-Windows-Sysmon/Operational|23419552') {
          // The upstream JSON says `C:\Windows\Explorer.exe` where its own EVTX says `Explorer.EXE`.
          expect({ json: item.event.parent_process, xml: expected!.parent_process }).toEqual({ json: 'C:\\Windows\\Explorer.exe', xml: 'C:\\Windows\\Explorer.EXE' })
          expect(item.event.process).toBe(expected!.process!.trimEnd())
          outcome.upstreamEdit++
          continue
        }
        expect(trimmed(item.event)).toEqual(trimmed(expected!))
        expect([item.event.process, item.event.parent_process]).toEqual([item.event.process!.trimEnd(), item.event.parent_process!.trimEnd()])
        outcome.trailingWhitespace++
      }
    }
    expect(outcome).toEqual({ identical: 69, trailingWhitespace: 81, upstreamEdit: 1 })
  })
})
