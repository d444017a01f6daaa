import { gzipSync } from 'node:zlib'
import { synthetic4688Lines, syntheticCrowdStrikeLines, syntheticWinlogbeatLines } from '../unit/ingest/helpers/synthetic-corpus.js'
import { syntheticSysmonLines } from '../unit/ingest/helpers/synthetic-sysmon.js'

/**
 * Generated uploads of every source Watchpost reads, each event with an identity of its own: the
 * service stores an event once per tenant (Sysmon/4688: Computer + Channel + EventRecordID;
 * CrowdStrike: aid + TargetProcessId + timestamp), so two uploads of the same generator must not
 * share identities, or the second would be counted as duplicates. `firstId` numbers the events of
 * one upload (record id, or CrowdStrike process id); callers give each upload its own range.
 */

export const LOG_SOURCES = ['sysmon-xml', 'security-4688-xml', 'crowdstrike-json', 'winlogbeat-json'] as const
export type LogSource = (typeof LOG_SOURCES)[number]

export interface LogSpec {
  source: LogSource
  events: number
  /** Seeds the generator: the events' hosts, users, command lines and times. */
  seed: number
  /** Where in the seed's event sequence the upload starts (different windows, different events). */
  offset?: number
  /** Identity of the first event; event i gets firstId + i. */
  firstId: number
  gzip?: boolean
  /** Unreadable lines put between the events (every `events / garbageLines`-th place). */
  garbageLines?: number
}

/** About 2% of the events run ngrok (the bundled ngrok rule detects them), and other tools other rules see. */
const NGROK_RATE = 0.02

const GENERATORS: Record<LogSource, (seed: number, count: number) => string[]> = {
  'sysmon-xml': (seed, count) => syntheticSysmonLines(seed, count, "'", NGROK_RATE),
  'security-4688-xml': (seed, count) => synthetic4688Lines(seed, count, NGROK_RATE),
  'crowdstrike-json': (seed, count) => syntheticCrowdStrikeLines(seed, count, NGROK_RATE),
  'winlogbeat-json': (seed, count) => syntheticWinlogbeatLines(seed, count, NGROK_RATE),
}

/** Where each source keeps the identity that is renumbered. */
const IDENTITY: Record<LogSource, [RegExp, (id: number) => string]> = {
  'sysmon-xml': [/<EventRecordID>\d+</, (id) => `<EventRecordID>${id}<`],
  'security-4688-xml': [/<EventRecordID>\d+</, (id) => `<EventRecordID>${id}<`],
  'crowdstrike-json': [/"TargetProcessId":"\d+"/, (id) => `"TargetProcessId":"${id}"`],
  'winlogbeat-json': [/"record_id":"?\d+"?/, (id) => `"record_id":${id}`],
}

/**
 * The generators are seeded and sequential, so a longer run of one seed starts with the shorter
 * one: one run per (source, seed) is kept and windows of it are renumbered, which is cheap enough
 * for a load generator.
 */
const generated = new Map<string, string[]>()

function linesOf(spec: LogSpec): string[] {
  const key = `${spec.source}:${spec.seed}`
  const end = (spec.offset ?? 0) + spec.events
  let run = generated.get(key)
  if (run === undefined || run.length < end) generated.set(key, (run = GENERATORS[spec.source](spec.seed, end)))
  const [pattern, identity] = IDENTITY[spec.source]
  return run.slice(spec.offset ?? 0, end).map((line, i) => line.replace(pattern, identity(spec.firstId + i)))
}

/** Lines no reader accepts, each reported as an error of its own by the service. */
const GARBAGE = ['this is not a log line', '<Event><System><EventID>1</Event>', '{"event_simpleName": "ProcessRollup2", "CommandLine": }', '\u0001\u0002 binary \u00ff']

export function syntheticLog(spec: LogSpec): Buffer {
  const lines = linesOf(spec)
  const garbage = spec.garbageLines ?? 0
  if (garbage > 0) {
    const every = Math.max(1, Math.floor(lines.length / garbage))
    for (let g = garbage - 1; g >= 0; g--) lines.splice(Math.min(lines.length, (g + 1) * every), 0, GARBAGE[g % GARBAGE.length]!)
  }
  const text = Buffer.from(lines.join('\n') + '\n')
  return spec.gzip ? gzipSync(text) : text
}
