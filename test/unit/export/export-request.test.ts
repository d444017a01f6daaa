import { describe, expect, it } from 'vitest'
import { InvalidInputError } from '../../../src/errors.js'
import { parseAttackLayerExport, parseDetectionsExport, parseRiskEventsExport } from '../../../src/export/export-request.js'

const refusal = (fn: () => unknown): { message: string; details: unknown } => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError)
    return { message: (err as Error).message, details: (err as InvalidInputError).details }
  }
  throw new Error('not refused')
}

describe('export parameters', () => {
  it('default to JSON and the watchpost layout, with no filter', () => {
    expect(parseDetectionsExport({})).toEqual({
      kind: 'detections', format: 'json', ruleId: null, mitreTechnique: null, dest: null, user: null, from: null, to: null, status: null, assignee: null, assigned: null,
    })
    expect(parseRiskEventsExport({})).toEqual({ kind: 'risk-events', format: 'json', layout: 'watchpost', ruleId: null, object: null, type: null, from: null, to: null })
  })

  it('read every filter of the detections query', () => {
    const r = parseDetectionsExport({
      format: 'csv', ruleId: 'e2549f2c-0aef-408a-b0c1-e0f270623436', mitreTechnique: 't1059.001', dest: 'WS1', user: 'dave',
      from: '2026-03-01', to: '2026-03-16T14:05:10Z', status: 'NEW, ACKNOWLEDGED', assignee: 'carol', assigned: 'true',
    })
    expect(r).toMatchObject({ format: 'csv', mitreTechnique: 'T1059.001', status: ['NEW', 'ACKNOWLEDGED'], assigned: true, to: new Date('2026-03-16T14:05:10Z'), from: new Date('2026-03-01T00:00:00Z') })
  })

  it.each([
    [{ format: 'xml' }, 'format', '"format" must be one of csv, json, ndjson (got "xml")'],
    [{ format: ['csv', 'json'] }, 'format', '"format" must be given once, as text'],
    [{ layout: 'elastic' }, 'layout', '"layout" must be one of watchpost, splunk-risk (got "elastic")'],
    [{ ruleId: 'ngrok' }, 'ruleId', '"ruleId" must be a UUID, e.g. the id of a rule (got "ngrok")'],
    [{ from: 'yesterday' }, 'from', '"from" must be an ISO-8601 date or date-time, e.g. 2026-03-10T12:00:00Z (got "yesterday")'],
    [{ to: '2026-13-01' }, 'to', '"to" must be an ISO-8601 date or date-time, e.g. 2026-03-10T12:00:00Z (got "2026-13-01")'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'from', '"from" (2026-03-02T00:00:00.000Z) is after "to" (2026-03-01T00:00:00.000Z)'],
    [{ type: 'host' }, 'type', '"type" must be one of user, system, other (got "host")'],
    [{ status: 'NEW' }, 'status', 'unknown parameter "status"; this export takes format, layout, ruleId, object, type, from, to'],
  ])('risk events: %j is refused, naming %s', (params, field, message) => {
    expect(refusal(() => parseRiskEventsExport(params))).toEqual({ message, details: expect.objectContaining({ field }) })
  })

  it.each([
    [{ status: 'NEW,OPEN' }, 'status', '"status" must be a comma-separated list of NEW, ACKNOWLEDGED, CLOSED_TRUE_POSITIVE, CLOSED_FALSE_POSITIVE (got "OPEN")'],
    [{ assigned: 'yes' }, 'assigned', '"assigned" must be true or false (got "yes")'],
    [{ mitreTechnique: 'Proxy' }, 'mitreTechnique', '"mitreTechnique" must be an ATT&CK technique id such as T1572 or T1059.001 (got "PROXY")'],
    [{ layout: 'splunk-risk' }, 'layout', 'unknown parameter "layout"; this export takes format, ruleId, mitreTechnique, dest, user, from, to, status, assignee, assigned'],
  ])('detections: %j is refused, naming %s', (params, field, message) => {
    expect(refusal(() => parseDetectionsExport(params))).toEqual({ message, details: expect.objectContaining({ field }) })
  })

  it('the attack layer takes no parameters', () => {
    expect(refusal(() => parseAttackLayerExport({ format: 'csv' })).message).toBe('unknown parameter "format"; this export takes no parameters')
  })
})
