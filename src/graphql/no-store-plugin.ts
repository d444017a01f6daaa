import type { ApolloServerPlugin, BaseContext } from '@apollo/server'

/**
 * `Cache-Control: no-store` on every GraphQL response: answers carry one tenant's data, which no
 * browser or proxy may keep. Apollo's cache-control plugin used to set it (no field has a cache
 * hint, so every answer was uncacheable); that plugin is disabled (server.ts) because its
 * per-field hook wrapped every resolver of every query, for a header that never changes.
 */
export function noStorePlugin<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store')
        },
      }
    },
  }
}
