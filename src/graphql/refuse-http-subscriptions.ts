import type { ApolloServerPlugin } from '@apollo/server'
import { GraphQLError } from 'graphql'
import type { RequestContext } from './context.js'

/**
 * Subscriptions run over WebSocket (src/http/graphql-websocket.ts). Sent over HTTP, graphql-js
 * would execute one as a query and fail on its null root field; this says what to do instead.
 */
export function refuseHttpSubscriptions(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return
          throw new GraphQLError('subscriptions are served over WebSocket at /graphql (graphql-ws protocol, graphql-transport-ws); send queries and mutations over HTTP', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          })
        },
      }
    },
  }
}
