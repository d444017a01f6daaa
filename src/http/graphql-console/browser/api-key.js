/**
 * The API key of the console, kept in sessionStorage: it lasts as long as the browser tab and is
 * never written to localStorage or sent anywhere but this service's /graphql. GraphiQL's own
 * headers editor is not persisted (shouldPersistHeaders is off), so a key typed there is not kept.
 */
const STORAGE_KEY = 'watchpost.graphqlConsole.apiKey'

export function loadApiKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? ''
  } catch {
    // Storage can be disabled by the browser; the key then lasts until the page is left.
    return ''
  }
}

export function saveApiKey(key) {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key)
    else sessionStorage.removeItem(STORAGE_KEY)
  } catch {
    // See loadApiKey.
  }
}

/** What the page shows of a key: its public id part (`wp_<id>_`), never the secret. */
export function describeApiKey(key) {
  const id = /^(wp_[^_]+_)/.exec(key)
  return id ? `${id[1]}…` : 'a key'
}
