import { getNamedType, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql'

/**
 * Which GraphQL documents the response cache may answer: queries that read only fields whose
 * resolvers read nothing but the tables whose changes Postgres announces (detections, rules,
 * risk_events; see the migration 20261203300000_tenant_data_changes) and static ATT&CK data.
 * Any other field anywhere in the document (comments, drilldown events, a rule's macros through
 * `condition`, uploads…) makes the whole document uncacheable: a field left off this list costs
 * speed, a field wrongly on it would serve stale data, so the list is short and explicit.
 */
const CACHEABLE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  Query: new Set(['detections', 'riskObjects']),
  DetectionConnection: new Set(['edges', 'pageInfo', 'totalCount']),
  DetectionEdge: new Set(['cursor', 'node']),
  PageInfo: new Set(['hasNextPage', 'endCursor']),
  Detection: new Set([
    'id', 'rule', 'ruleRevision', 'fields', 'count', 'firstTime', 'lastTime', 'firstSeen', 'lastSeen', 'threatObjects', 'mitre',
    'status', 'assignee', 'statusChangedAt', 'suppressedInto', 'suppressedDetections', 'suppressedCount', 'riskEvents',
  ]),
  RiskEvent: new Set(['id', 'object', 'type', 'score', 'message', 'time', 'threatObjects']),
  Rule: new Set([
    'id', 'escuId', 'name', 'version', 'enabled', 'type', 'status', 'description', 'search', 'dataSources', 'analyticStories',
    'mitre', 'yaml', 'revision', 'createdAt', 'updatedAt',
  ]),
  RiskObject: new Set(['object', 'type', 'totalScore', 'riskEventCount', 'ruleCount', 'rules', 'tactics', 'techniques', 'firstSeen', 'lastSeen']),
  MitreTechnique: new Set(['id', 'name', 'tactics']),
  ThreatObject: new Set(['value', 'type']),
}

/** Whether every field of `document` (all its operations and fragments) is on the list. */
export function readsOnlyCacheableFields(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema)
  let cacheable = true
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition(node) {
        if (node.operation !== 'query') cacheable = false
      },
      Field(node) {
        if (node.name.value === '__typename') return
        const parent = typeInfo.getParentType()
        const owner = parent ? getNamedType(parent).name : null
        if (owner === null || !CACHEABLE_FIELDS[owner]?.has(node.name.value)) cacheable = false
      },
    }),
  )
  return cacheable
}

/** readsOnlyCacheableFields, once per parsed document (Apollo hands the same object for the same query text). */
export function cacheableDocuments(schema: GraphQLSchema): (document: DocumentNode) => boolean {
  const known = new WeakMap<DocumentNode, boolean>()
  return (document) => {
    let cacheable = known.get(document)
    if (cacheable === undefined) known.set(document, (cacheable = readsOnlyCacheableFields(schema, document)))
    return cacheable
  }
}
