import { readFileSync } from 'node:fs'

/**
 * A small reader of prisma/schema.prisma: models, their table names and scalar fields with
 * column name, type, optionality and native type. Enough to compare the hand-written SQL
 * migrations with the model, which Prisma Migrate would otherwise do for us.
 */

export interface PrismaField {
  name: string
  column: string
  type: string
  optional: boolean
  list: boolean
  nativeType: string | null
}

export interface PrismaModel {
  name: string
  table: string
  fields: PrismaField[]
  uniques: string[][]
}

export function readPrismaSchema(path: URL): { models: PrismaModel[]; enums: string[] } {
  const text = readFileSync(path, 'utf8')
  const enums = [...text.matchAll(/^enum\s+(\w+)\s*\{/gm)].map((m) => m[1]!)
  const modelNames = new Set([...text.matchAll(/^model\s+(\w+)\s*\{/gm)].map((m) => m[1]!))
  const models: PrismaModel[] = []
  for (const m of text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const body = m[2]!
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? m[1]!
    const fields: PrismaField[] = []
    const uniques: string[][] = []
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim()
      if (!line || line.startsWith('@@')) {
        const u = /^@@(?:unique|id)\(\[([^\]]+)\]/.exec(line)
        if (u) uniques.push(u[1]!.split(',').map((s) => s.trim()))
        continue
      }
      const f = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line)
      if (!f) continue
      const [, name, type, list, optional, attrs] = f
      if (modelNames.has(type!) || attrs!.includes('@relation')) continue
      if (/@unique\b/.test(attrs!) || /@id\b/.test(attrs!)) uniques.push([name!])
      fields.push({
        name: name!,
        column: /@map\("([^"]+)"\)/.exec(attrs!)?.[1] ?? name!,
        type: type!,
        optional: optional === '?',
        list: list === '[]',
        nativeType: /@db\.(\w+)/.exec(attrs!)?.[1] ?? null,
      })
    }
    models.push({ name: m[1]!, table, fields, uniques: uniques.map((cols) => cols.map((c) => fields.find((x) => x.name === c)?.column ?? c)) })
  }
  return { models, enums }
}
