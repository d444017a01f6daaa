import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { DetectionAggregator, type CompiledRule, type ProcessEvent } from '../../src/detection/index.js'
import { readEventBatches } from '../../src/ingest/index.js'
import { escapeXml } from '../unit/ingest/helpers/synthetic-sysmon.js'
import { DEFAULT_CORPUS, generateEvents, loadCorpusRules } from './rule-scaling.js'

/**
 * What rule count costs a whole offline scan, as `watchpost scan` runs it: read Sysmon XML,
 * normalize, evaluate the rules (readEventBatches → DetectionAggregator), with the ngrok rule and
 * with all 300 ESCU corpus rules, over the same log — the fleet-like events of the rule-scaling
 * benchmark written out as XmlWinEventLog lines. The events/s with the whole corpus is the figure
 * to hold beside what other tools publish for a scan with their rule sets (PEERS.md). Runs
 * interleaved, median reported. `npx tsx test/bench/scan-rule-scaling.ts [--events N]`.
 */

export interface ScanRuleScalingResult {
  readonly events: number
  readonly mb: number
  readonly rules: number
  readonly oneRuleEventsPerSecond: number
  readonly allRulesEventsPerSecond: number
  /** allRulesEventsPerSecond / oneRuleEventsPerSecond. */
  readonly ratio: number
}

/** One event as Sysmon's XmlWinEventLog line. */
export function sysmonLine(e: ProcessEvent, recordId: number): string {
  const data: [string, string | null][] = [
    ['UtcTime', new Date(e._time).toISOString().replace('T', ' ').replace('Z', '')],
    ['ProcessGuid', e.process_guid],
    ['ProcessId', e.process_id],
    ['Image', e.process_path],
    ['OriginalFileName', e.original_file_name === 'unknown' ? null : e.original_file_name],
    ['CommandLine', e.process],
    ['User', e.user],
    ['IntegrityLevel', e.process_integrity_level],
    ['Hashes', e.process_hash],
    ['ParentProcessGuid', e.parent_process_guid],
    ['ParentProcessId', e.parent_process_id],
    ['ParentImage', e.parent_process_path],
    ['ParentCommandLine', e.parent_process],
  ]
  const eventData = data.flatMap(([k, v]) => (v === null ? [] : [`<Data Name='${k}'>${escapeXml(v, "'")}</Data>`])).join('')
  return (
    `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/>` +
    `<EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>` +
    `<TimeCreated SystemTime='${new Date(e._time).toISOString()}'/><EventRecordID>${recordId}</EventRecordID><Correlation/>` +
    `<Execution ProcessID='3160' ThreadID='4212'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>${e.dest}</Computer>` +
    `<Security UserID='S-1-5-18'/></System><EventData>${eventData}</EventData></Event>`
  )
}

async function* slices(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let o = 0; o < bytes.length; o += 1024 * 1024) yield bytes.subarray(o, o + 1024 * 1024)
}

async function scan(rules: readonly CompiledRule[], log: Buffer): Promise<{ seconds: number; events: number }> {
  const aggregator = new DetectionAggregator(rules)
  let events = 0
  const start = performance.now()
  for await (const batch of readEventBatches(slices(log))) {
    for (const item of batch.items) {
      if (item.kind !== 'event') continue
      aggregator.add(item.event)
      events++
    }
  }
  aggregator.rows()
  return { seconds: (performance.now() - start) / 1000, events }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

export async function measureScanRuleScaling(opts: { events?: number; runs?: number } = {}): Promise<ScanRuleScalingResult> {
  if (!existsSync(fileURLToPath(DEFAULT_CORPUS))) throw new Error(`ESCU corpus not found at ${fileURLToPath(DEFAULT_CORPUS)}`)
  const all = loadCorpusRules(DEFAULT_CORPUS)
  const ngrok = all.filter((r) => r.rule.name === 'Windows Ngrok Reverse Proxy Usage')
  const log = Buffer.from(generateEvents(opts.events ?? 200_000, 5).map((e, i) => `${sysmonLine(e, 1000 + i)}\n`).join(''))
  const rates: [number[], number[]] = [[], []]
  let events = 0
  const runs = opts.runs ?? 3
  for (let round = 0; round <= runs; round++) {
    for (const [k, rules] of [ngrok, all].entries()) {
      const run = await scan(rules, log)
      events = run.events
      if (round > 0) rates[k]!.push(run.events / run.seconds)
    }
  }
  const [one, many] = [median(rates[0]), median(rates[1])]
  return { events, mb: log.length / 1e6, rules: all.length, oneRuleEventsPerSecond: one, allRulesEventsPerSecond: many, ratio: many / one }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { events: { type: 'string' } } })
  const r = await measureScanRuleScaling({ events: values.events === undefined ? undefined : Number(values.events) })
  console.log(`${r.events} events (${r.mb.toFixed(0)} MB): 1 rule ${Math.round(r.oneRuleEventsPerSecond)} events/s, ${r.rules} rules ${Math.round(r.allRulesEventsPerSecond)} events/s, ratio ${(100 * r.ratio).toFixed(0)}%`)
}
