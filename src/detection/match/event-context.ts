import { CIM_PROCESS_FIELDS, type CimProcessField, type ProcessEvent } from '../event.js'

/**
 * Per-event scratch space shared by every rule evaluated on that event: each field is
 * lower-cased at most once per event, however many rules and patterns look at it. One context is
 * reused across events (reset), so evaluation allocates nothing beyond the lower-cased strings.
 */
export class EventContext {
  private current: ProcessEvent | null = null
  private readonly lowered: (string | null | undefined)[] = new Array(CIM_PROCESS_FIELDS.length).fill(undefined)

  /** Starts evaluating `event`; forgets the previous event's cached values. */
  reset(event: ProcessEvent): void {
    this.current = event
    this.lowered.fill(undefined)
  }

  /** The event being evaluated. */
  get event(): ProcessEvent {
    if (this.current === null) throw new Error('EventContext used before reset()')
    return this.current
  }

  /** The lower-cased value of the CIM field in slot `slot` (see FIELD_SLOT), or null when absent. */
  lower(slot: number): string | null {
    let v = this.lowered[slot]
    if (v === undefined) {
      const raw = this.event[CIM_PROCESS_FIELDS[slot]!]
      v = raw === null ? null : raw.toLowerCase()
      this.lowered[slot] = v
    }
    return v
  }
}

/** Slot of each CIM field in an EventContext. */
export const FIELD_SLOT: ReadonlyMap<CimProcessField, number> = new Map(CIM_PROCESS_FIELDS.map((f, i) => [f, i]))
