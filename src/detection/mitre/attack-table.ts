import table from './attack-enterprise.json' with { type: 'json' }

/**
 * The bundled, versioned ATT&CK Enterprise table (attack-enterprise.json: id → name → tactics,
 * with its version, source and licence). Nothing is downloaded at run time; a new ATT&CK release
 * is a new data file.
 */

/** One ATT&CK technique or sub-technique with its tactic names (e.g. "Command And Control"). */
export interface MitreTechnique {
  readonly id: string
  readonly name: string
  readonly tactics: string[]
}

/** Checks the JSON's shape once at load, so a malformed data file fails loudly, not per lookup. */
function loadEntries(section: Record<string, unknown>, into: Map<string, MitreTechnique>): void {
  for (const [id, entry] of Object.entries(section)) {
    const ok =
      Array.isArray(entry) &&
      typeof entry[0] === 'string' &&
      Array.isArray(entry[1]) &&
      entry[1].every((t: unknown) => typeof t === 'string')
    if (!ok) throw new Error(`attack-enterprise.json: malformed entry ${id}`)
    into.set(id, Object.freeze({ id, name: entry[0] as string, tactics: [...(entry[1] as string[])] }))
  }
}

const TECHNIQUES = new Map<string, MitreTechnique>()
loadEntries(table.techniques, TECHNIQUES)
loadEntries(table.legacy, TECHNIQUES)

/** Version of the bundled table, e.g. "ATT&CK Enterprise v18.0". */
export const ATTACK_VERSION: string = table.version

/** True when the bundled table knows `id` (current or a legacy id ESCU still cites). */
export function isKnownTechnique(id: string): boolean {
  return TECHNIQUES.has(id)
}

/**
 * Looks up technique ids in order. An unknown id is kept, with its id as name and no tactics, so
 * that nothing the rule declares is silently dropped (the importer also warns about it).
 */
export function lookupTechniques(ids: readonly string[]): MitreTechnique[] {
  return ids.map((id) => {
    const t = TECHNIQUES.get(id)
    return t === undefined ? { id, name: id, tactics: [] } : { id: t.id, name: t.name, tactics: [...t.tactics] }
  })
}

/** Every (technique id, tactic name) pair of the table, e.g. for mapping techniques to tactics in SQL. */
export function techniqueTacticPairs(): { techniques: string[]; tactics: string[] } {
  const techniques: string[] = []
  const tactics: string[] = []
  for (const t of TECHNIQUES.values()) {
    for (const tactic of t.tactics) {
      techniques.push(t.id)
      tactics.push(tactic)
    }
  }
  return { techniques, tactics }
}

/** The tactic names of every technique of the table, by technique id (e.g. as a JSON lookup in SQL). */
export function tacticsByTechnique(): Record<string, string[]> {
  const byId: Record<string, string[]> = {}
  for (const t of TECHNIQUES.values()) byId[t.id] = [...t.tactics]
  return byId
}
