/**
 * Reads the Prometheus text format as a scrape does, for assertions on exact sample values:
 * `value(samples, 'watchpost_http_requests_total', { route: '/v1/uploads' })` sums the samples of
 * that name whose labels include the given ones (0 when none).
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return samples
}

export function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0)
}

/** Whether any sample has that name and those labels. */
export function has(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): boolean {
  return samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

/** GETs a /metrics URL with a bearer secret and parses the answer (throws on a non-200). */
export async function scrape(url: string, secret: string | null): Promise<Sample[]> {
  const res = await fetch(url, { headers: secret ? { authorization: `Bearer ${secret}` } : {} })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`scrape of ${url} answered ${res.status}: ${text}`)
  return parsePrometheus(text)
}
