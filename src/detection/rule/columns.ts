import type { AggregationKind, TstatsQuery, WhereNode } from '../spl/ast.js'

/**
 * Applies the pipeline stages to the output columns of tstats, in order, the way Splunk would:
 * drop_dm_object_name renames `Processes.x` to `x`, ctime marks a column as formatted from then
 * on, and a filter sees the names and formatting in force at its position. ESCU sometimes runs
 * the ctime stages before drop_dm_object_name, so order matters only for what each filter sees.
 */

/** One output column: a BY field or an aggregation. */
export interface Column {
  readonly kind: 'by' | AggregationKind
  /** Index into the query's BY list or aggregation list. */
  readonly source: number
  /** Name after all stages. */
  readonly finalName: string
}

/** A `_filter` stage with the column names and ctime formatting visible at its position. */
export interface FilterPlan {
  readonly macro: string
  readonly predicate: WhereNode
  readonly columnByName: ReadonlyMap<string, number>
  readonly ctimed: ReadonlySet<number>
}

/** The result of applying the stages. */
export interface ColumnPlan {
  readonly columns: readonly Column[]
  readonly ctimeFields: readonly string[]
  readonly filters: readonly FilterPlan[]
}

/** Computes final column names, ctime'd columns and filter views for `query`. */
export function planColumns(query: TstatsQuery): ColumnPlan {
  const initial = [
    ...query.by.map((name, i) => ({ kind: 'by' as const, source: i, name })),
    ...query.aggregations.map((a, i) => ({ kind: a.kind, source: i, name: a.outputName })),
  ]
  const names = initial.map((c) => c.name)
  const ctimed = new Set<number>()
  const filters: FilterPlan[] = []
  const indexOf = (name: string): number => {
    for (let i = names.length - 1; i >= 0; i--) if (names[i] === name) return i
    return -1
  }
  for (const stage of query.stages) {
    switch (stage.kind) {
      case 'drop_dm_object_name': {
        const prefix = `${stage.object}.`
        names.forEach((n, i) => {
          if (n.startsWith(prefix)) names[i] = n.slice(prefix.length)
        })
        break
      }
      case 'ctime': {
        const i = indexOf(stage.field)
        if (i >= 0) ctimed.add(i)
        break
      }
      case 'filter': {
        const columnByName = new Map<string, number>()
        names.forEach((n, i) => columnByName.set(n, i))
        filters.push({ macro: stage.macro, predicate: stage.predicate, columnByName, ctimed: new Set(ctimed) })
        break
      }
    }
  }
  const columns = initial.map((c, i) => ({ kind: c.kind, source: c.source, finalName: names[i]! }))
  const ctimeFields = [...ctimed].sort((a, b) => a - b).map((i) => names[i]!)
  return { columns, ctimeFields, filters }
}
