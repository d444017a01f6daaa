import type { GroupedRow } from '../group/grouped-row.js'
import { lookupTechniques, type MitreTechnique } from '../mitre/attack-table.js'
import type { ShownValue } from './column-value.js'
import { riskOf, threatObjectsOf, type RiskView, type ThreatObjectView } from './risk.js'
import { rowColumns, showTime } from './row-columns.js'

/**
 * The public JSON view of one detection (a CLI contract: key names and order are fixed).
 * `firstTime`/`lastTime` are the min/max(_time) columns as the search leaves them: ctime text for
 * ESCU, epoch seconds if a search does not ctime() them, null if it does not compute them.
 * `aggregates` appears only for searches whose aggregations are not ESCU's standard
 * `count min(_time) as firstTime max(_time) as lastTime`.
 */
export interface DetectionView {
  readonly rule: { readonly id: string; readonly name: string }
  readonly fields: Readonly<Record<string, string>>
  readonly count: number
  readonly firstTime: string | number | null
  readonly lastTime: string | number | null
  readonly risk: RiskView[]
  readonly threatObjects: ThreatObjectView[]
  readonly mitre: MitreTechnique[]
  readonly aggregates?: Readonly<Record<string, ShownValue>>
}

/** Renders a grouped row as a DetectionView. */
export function describeDetection(row: GroupedRow): DetectionView {
  const { rule } = row
  const columns = rowColumns(row)
  const timeOf = (kind: 'min' | 'max', ms: number | null): string | number | null => {
    if (ms === null) return null
    const agg = rule.aggregations.find((a) => a.kind === kind)
    return showTime(ms, true, agg !== undefined && rule.ctimeFields.includes(agg.outputName)) as string | number
  }
  const view: DetectionView = {
    rule: { id: rule.rule.id, name: rule.rule.name },
    fields: { ...row.fields },
    count: row.count,
    firstTime: timeOf('min', row.firstTime),
    lastTime: timeOf('max', row.lastTime),
    risk: riskOf(rule, columns),
    threatObjects: threatObjectsOf(rule, columns),
    mitre: lookupTechniques(rule.rule.tags.mitreAttackIds),
  }
  if (rule.standardAggregations) return view
  const aggregates: Record<string, ShownValue> = {}
  for (const name of Object.keys(row.aggregates)) aggregates[name] = columns.get(name)!
  return { ...view, aggregates }
}
