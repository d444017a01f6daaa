import type { ExtractedProcessFields } from '../detection/event.js'

/** A source normalizer's answer: the add-on's extraction and `_time`, or why the event is malformed. */
export type Normalized = { time: number; fields: ExtractedProcessFields } | { error: string }
