import { LOG_SOURCES, type LogSpec } from './synthetic-logs.js'

/**
 * What the upload clients of the load run send: every source, small, medium and large files,
 * some gzip-compressed, some with unreadable lines in the middle, each upload with event
 * identities of its own (the service stores an event once per tenant). Deterministic in the
 * upload's number, so the expectation is rebuilt from the numbers alone.
 */

export interface UploadSizes {
  small: number
  medium: number
  large: number
}

/** The full run's sizes (events per upload); the CI form uses smaller ones. */
export const FULL_SIZES: UploadSizes = { small: 20, medium: 500, large: 5_000 }
export const SHORT_SIZES: UploadSizes = { small: 20, medium: 100, large: 500 }

/** Identities per upload: more than the largest upload holds. */
const IDS_PER_UPLOAD = 1_000_000

/** The n-th upload of the run (n counts across all clients, from 0). */
export function uploadSpec(n: number, sizes: UploadSizes): LogSpec {
  const source = LOG_SOURCES[n % LOG_SOURCES.length]!
  // Mostly small and medium files, a large one in five, as log shippers send them.
  const size = [sizes.small, sizes.medium, sizes.small, sizes.medium, sizes.large][Math.floor(n / LOG_SOURCES.length) % 5]!
  return {
    source,
    events: size,
    // Two seeds per source and windows at different offsets: the content varies, not only the ids.
    seed: 1_000 + (n % 8),
    offset: (n * 37) % 1_000,
    firstId: (n + 1) * IDS_PER_UPLOAD,
    gzip: n % 3 === 2,
    garbageLines: n % 7 === 3 ? 3 : 0,
  }
}

export const fileNameOf = (n: number, spec: LogSpec): string => `load-${n}-${spec.source}${spec.gzip ? '.gz' : ''}`
