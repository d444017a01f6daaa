import type { Rba, RiskObjectType } from './rule-definition.js'
import type { DetectionDocument } from './schema.js'

/**
 * Converts the pre-2025 ESCU risk metadata (v5: `tags.observable`, `tags.risk_score`,
 * `tags.message`) to the contentctl v11 `rba` shape, as contentctl's own migration did:
 *   - an observable with role Victim becomes a risk object: type User → user;
 *     Hostname, IP Address, Endpoint → system; anything else → other; score = tags.risk_score;
 *   - an observable with role Attacker becomes a threat object whose type is the observable type
 *     lower-cased with spaces turned into underscores (Process → process, Process Name → process_name);
 *   - the message is tags.message.
 * An observable with both roles yields both. The v11 scores of real ESCU rules were re-tuned by
 * hand, so converted scores can differ from what a newer ESCU release ships.
 */

type Tags = NonNullable<DetectionDocument['tags']>

const RISK_TYPES: Readonly<Record<string, RiskObjectType>> = {
  User: 'user',
  Hostname: 'system',
  'IP Address': 'system',
  Endpoint: 'system',
}

/** The v11 rba block for v5 tags, or null when the rule declares no observables. */
export function rbaFromV5Tags(tags: Tags): { rba: Rba | null; problem: string | null } {
  const observables = tags.observable ?? []
  if (observables.length === 0) return { rba: null, problem: null }
  const victims = observables.filter((o) => o.role.includes('Victim'))
  const score = tags.risk_score
  if (victims.length > 0 && (score === null || score === undefined)) {
    return { rba: null, problem: 'tags.risk_score is required when an observable has role Victim' }
  }
  return {
    rba: {
      message: tags.message ?? '',
      riskObjects: victims.map((o) => ({ field: o.name, type: RISK_TYPES[o.type] ?? 'other', score: Math.round(score!) })),
      threatObjects: observables
        .filter((o) => o.role.includes('Attacker'))
        .map((o) => ({ field: o.name, type: o.type.toLowerCase().replace(/ /g, '_') })),
    },
    problem: null,
  }
}
