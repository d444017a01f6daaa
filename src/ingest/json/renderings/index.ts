import { evtxDumpRendering } from './evtx-dump.js'
import { flatRendering } from './flat.js'
import type { WindowsJsonRendering } from './rendering.js'
import { winlogbeat6Rendering } from './winlogbeat-6.js'
import { winlogbeatRendering } from './winlogbeat.js'

export type { JsonWinEventView, WindowsJsonRendering } from './rendering.js'

/**
 * The Windows JSON renderings, tried in order (the first whose marker field is present wins):
 * `Event.System` (evtx_dump), `winlog` (Winlogbeat/Elastic Agent), `event_id`+`log_name`
 * (Winlogbeat 6), `EventID` (flat: NXLog, OTRF, Azure). A new shipper is one file and one line.
 */
export const WINDOWS_JSON_RENDERINGS: readonly WindowsJsonRendering[] = [evtxDumpRendering, winlogbeatRendering, winlogbeat6Rendering, flatRendering]
