import type { ApolloServerPlugin } from '@apollo/server'
import { BREAK, GraphQLError, visit, type DocumentNode } from 'graphql'
import { UnauthenticatedError } from '../errors.js'
import type { RequestContext } from './context.js'

/**
 * Who may read the schema through introspection (`__schema`, `__type`). In production only a caller
 * with a credential — an API key of any role, or the operator's — so the GraphQL console's docs and
 * completion work once a key is set, while an anonymous client learns nothing about the API. Outside
 * production anyone may, as before. (`__typename` is not introspection of the schema and is always
 * allowed.) Field suggestions stay hidden in production either way (graphql-armor, server.ts).
 */
export function introspectionPolicy(production: boolean): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      if (!production) return {}
      return {
        async didResolveOperation({ document, contextValue }) {
          if (contextValue.principal !== null || !introspects(document)) return
          const message = 'introspection needs an API key in production: send "Authorization: Bearer <api key>"'
          throw new GraphQLError(message, { originalError: new UnauthenticatedError(message), extensions: { http: { status: 401 } } })
        },
      }
    },
  }
}

/** Whether the document selects `__schema` or `__type` anywhere, fragments included. */
export function introspects(document: DocumentNode): boolean {
  let found = false
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true
        return BREAK
      }
      return undefined
    },
  })
  return found
}
