import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { basename } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Streams one file to `POST /v1/uploads` as the raw body (never held in memory whole), telling
 * `onBytes` how much has gone out. A refusal (bad key, too large, rate limited) is an answer like
 * any other: the server may answer before reading the whole body, so the answer is awaited even
 * when sending the rest fails.
 */

export type SendOutcome = { ok: true; id: string; sizeBytes: number } | { ok: false; code: string; message: string }

export async function sendFile(server: URL, key: string, path: string, onBytes: (sent: number, total: number) => void): Promise<SendOutcome> {
  const total = (await stat(path)).size
  const url = new URL(`/v1/uploads?fileName=${encodeURIComponent(basename(path))}`, server)
  const request = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream', 'content-length': String(total) },
  })
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    request.on('error', reject)
  })
  let sent = 0
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length
      onBytes(sent, total)
      done(null, chunk)
    },
  })
  const sending = pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), counter, request)
  let res: { status: number; body: string }
  try {
    res = await answer
  } catch (err) {
    return { ok: false, code: 'CONNECTION_FAILED', message: `cannot reach ${server.origin}: ${(err as Error).message}` }
  }
  await sending.catch(() => {})
  let parsed: { upload?: { id: string; sizeBytes: number }; error?: { code: string; message: string } }
  try {
    parsed = JSON.parse(res.body) as typeof parsed
  } catch {
    return { ok: false, code: `HTTP_${res.status}`, message: `the server answered HTTP ${res.status} without a JSON body; is ${server.origin} a Watchpost API?` }
  }
  if (res.status === 202 && parsed.upload) return { ok: true, id: parsed.upload.id, sizeBytes: parsed.upload.sizeBytes }
  return { ok: false, code: parsed.error?.code ?? `HTTP_${res.status}`, message: parsed.error?.message ?? `HTTP ${res.status}` }
}
