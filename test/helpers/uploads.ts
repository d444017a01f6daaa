import { graphql, waitFor } from './test-service.js'

/** Uploads a file with the GraphQL multipart request spec, as a browser or apollo-upload-client does. */
export async function uploadMultipart(url: string, apiKey: string, fileName: string, bytes: Uint8Array, format?: string) {
  const form = new FormData()
  form.set(
    'operations',
    JSON.stringify({
      query: 'mutation ($file: Upload!, $format: LogFormat) { uploadLogs(file: $file, format: $format) { id status fileName sizeBytes sha256 format } }',
      variables: { file: null, format: format ?? null },
    }),
  )
  form.set('map', JSON.stringify({ 0: ['variables.file'] }))
  form.set('0', new Blob([bytes]), fileName)
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'apollo-require-preflight': 'true' }, body: form })
  return (await res.json()) as { data?: { uploadLogs: { id: string; status: string; fileName: string; sizeBytes: number; sha256: string; format: string } }; errors?: { message: string; extensions?: { code?: string } }[] }
}

export const UPLOAD_FIELDS = 'id status format eventCount processEvents skipped errorCount errors { line offset message } failureReason detectionRows progress { bytesProcessed bytesTotal fraction }'

/** Polls `upload(id)` until the job has finished (SUCCEEDED, SUCCEEDED_WITH_ERRORS or FAILED). */
export async function waitForUpload(url: string, apiKey: string, id: string) {
  return waitFor(
    async () => {
      const res = await graphql<{ upload: { status: string } & Record<string, unknown> }>(url, apiKey, `query ($id: ID!) { upload(id: $id) { ${UPLOAD_FIELDS} } }`, { id })
      const u = res.data?.upload
      return u && ['SUCCEEDED', 'SUCCEEDED_WITH_ERRORS', 'FAILED'].includes(u.status) ? u : undefined
    },
    60_000,
    `upload ${id} to finish`,
  )
}
