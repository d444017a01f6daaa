import { getOperationAST, Kind, valueFromASTUntyped, type DocumentNode, type SelectionSetNode } from 'graphql'

/** A root field of a mutation as written in the request. */
export interface WrittenRootField {
  responseKey: string
  fieldName: string
  /** Read from the document and the variables as sent: not coerced, possibly not even valid. */
  args: Record<string, unknown>
}

/** More root fields than any valid request can have (armor allows 15 aliases); the rest is not recorded. */
const MAX_ROOT_FIELDS = 32

/**
 * The root fields of the request's operation when it is a mutation, else null. Used for mutations
 * that never reached their resolvers (refused key, invalid document or variables), so it must
 * cope with documents that failed validation: unknown fragments are skipped, cycles are cut.
 */
export function mutationRootFields(document: DocumentNode, operationName: string | null | undefined, variables: unknown): WrittenRootField[] | null {
  const operation = getOperationAST(document, operationName ?? undefined)
  if (operation?.operation !== 'mutation') return null
  const vars = typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : {}
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])))
  const fields = new Map<string, WrittenRootField>()
  const visited = new Set<string>()
  const collect = (set: SelectionSetNode): void => {
    for (const s of set.selections) {
      if (fields.size >= MAX_ROOT_FIELDS) return
      if (s.kind === Kind.INLINE_FRAGMENT) collect(s.selectionSet)
      else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(s.name.value)
        if (fragment && !visited.has(s.name.value)) {
          visited.add(s.name.value)
          collect(fragment)
        }
      } else {
        const responseKey = s.alias?.value ?? s.name.value
        if (fields.has(responseKey)) continue
        const args = Object.fromEntries((s.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value, vars)]))
        fields.set(responseKey, { responseKey, fieldName: s.name.value, args })
      }
    }
  }
  collect(operation.selectionSet)
  return [...fields.values()]
}
