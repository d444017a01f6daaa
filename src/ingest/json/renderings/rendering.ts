import type { WinEventView } from '../../win-event-view.js'
import type { JsonObject } from '../field-values.js'

/**
 * One JSON rendering of a Windows event (a shipper's field layout). `view` answers null when the
 * object is not in this rendering; otherwise it reads the System values and the event data the
 * way the rendering writes them, without copying the event. The normalizers are shared with XML.
 */
export interface WindowsJsonRendering {
  /** The name used in messages, e.g. `Winlogbeat`. */
  readonly name: string
  /** Where the event data lives, for the error when a process creation has none. */
  readonly dataField: string
  view(event: JsonObject): JsonWinEventView | null
}

export interface JsonWinEventView extends WinEventView {
  /** False when the rendering's event-data container is absent. */
  hasData: boolean
}
