/**
 * Where Monaco (GraphiQL's editor) finds its web workers: the bundles Watchpost serves itself.
 * GraphiQL's own setups load them from a CDN (esm.sh) or expect a Vite/webpack build; this one is
 * built by build-console.ts beside the page, so the console works with no network but the service.
 */
export const ASSET_PATH = '/assets/graphql-console'

const WORKER_OF_LABEL = { json: 'json.worker.js', graphql: 'graphql.worker.js' }

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    return new Worker(`${ASSET_PATH}/${WORKER_OF_LABEL[label] ?? 'editor.worker.js'}`, { name: label })
  },
}
