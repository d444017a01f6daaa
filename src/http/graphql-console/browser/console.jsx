/**
 * The GraphQL console's page: GraphiQL under a bar where the API key is set. Bundled with GraphiQL,
 * React and Monaco by build-console.ts; nothing here loads from anywhere but this service.
 */
import './monaco-workers.js'
import { GraphiQL } from 'graphiql'
import 'graphiql/style.css'
import { useMemo, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { describeApiKey, loadApiKey, saveApiKey } from './api-key.js'
import './console.css'
import { DEFAULT_QUERY } from './default-query.js'
import { createFetcher } from './fetcher.js'

function ApiKeyBar({ apiKey, onChange }) {
  const [draft, setDraft] = useState('')
  const use = (event) => {
    event.preventDefault()
    if (draft.trim() === '') return
    onChange(draft.trim())
    setDraft('')
  }
  return (
    <form className="wp-key-bar" onSubmit={use}>
      <span className="wp-title">Watchpost GraphQL console</span>
      <label>
        API key
        <input type="password" name="watchpost-api-key" autoComplete="off" spellCheck={false} placeholder={apiKey ? 'paste another key' : 'wp_…'} value={draft} onChange={(e) => setDraft(e.target.value)} />
      </label>
      <button type="submit" disabled={draft.trim() === ''}>Use key</button>
      {apiKey ? (
        <button type="button" onClick={() => onChange('')}>Forget key</button>
      ) : null}
      <output className="wp-key-status" aria-live="polite">
        {apiKey ? `Requests send ${describeApiKey(apiKey)} (kept for this tab only)` : 'No API key: requests are sent without one'}
      </output>
    </form>
  )
}

function Console() {
  const [apiKey, setApiKey] = useState(loadApiKey)
  const changeKey = (key) => {
    saveApiKey(key)
    setApiKey(key)
  }
  // A new fetcher makes GraphiQL fetch the schema again: with a key, production answers introspection.
  const fetcher = useMemo(() => createFetcher(apiKey), [apiKey])
  return (
    <div className="wp-console">
      <ApiKeyBar apiKey={apiKey} onChange={changeKey} />
      <div className="wp-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} shouldPersistHeaders={false} showPersistHeadersSettings={false}>
          <GraphiQL.Logo>Watchpost</GraphiQL.Logo>
        </GraphiQL>
      </div>
    </div>
  )
}

createRoot(document.getElementById('root')).render(<Console />)
