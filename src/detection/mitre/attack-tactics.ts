/**
 * The 14 tactics of ATT&CK Enterprise in the order of its matrix (https://attack.mitre.org/tactics/enterprise/),
 * with their ids and short names (the `x_mitre_shortname` that kill-chain phases, Navigator layers
 * and Splunk ES annotations use). The technique table (attack-enterprise.json) names tactics in
 * the Splunk mitre_enrichment style ("Command And Control"); a unit test keeps the two in step.
 */

export interface MitreTactic {
  /** e.g. TA0011 */
  readonly id: string
  /** e.g. command-and-control */
  readonly shortName: string
  /** As attack-enterprise.json writes it, e.g. Command And Control. */
  readonly name: string
}

export const ATTACK_TACTICS: readonly MitreTactic[] = Object.freeze(
  (
    [
      ['TA0043', 'Reconnaissance'],
      ['TA0042', 'Resource Development'],
      ['TA0001', 'Initial Access'],
      ['TA0002', 'Execution'],
      ['TA0003', 'Persistence'],
      ['TA0004', 'Privilege Escalation'],
      ['TA0005', 'Defense Evasion'],
      ['TA0006', 'Credential Access'],
      ['TA0007', 'Discovery'],
      ['TA0008', 'Lateral Movement'],
      ['TA0009', 'Collection'],
      ['TA0011', 'Command And Control'],
      ['TA0010', 'Exfiltration'],
      ['TA0040', 'Impact'],
    ] as const
  ).map(([id, name]) => Object.freeze({ id, name, shortName: name.toLowerCase().replaceAll(' ', '-') })),
)

const BY_NAME = new Map(ATTACK_TACTICS.map((t) => [t.name, t]))

/** The tactic a technique table entry names, or undefined for a name the table does not hold. */
export function tacticNamed(name: string): MitreTactic | undefined {
  return BY_NAME.get(name)
}
