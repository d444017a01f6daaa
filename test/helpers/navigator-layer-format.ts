/**
 * The ATT&CK Navigator layer file format, version 4.5, as its definition documents it
 * (mitre-attack/attack-navigator, layers/LAYERFORMATv4_5.md: "Property Table" and the Version,
 * Filter, Technique, Gradient, LegendItem, Metadata, Link, Divider and Layout object tables),
 * written out as an explicit field check: a required field missing, a field of the wrong type or
 * value, or a field the format does not define is a problem, named with its path.
 */

type Check = (value: unknown, path: string, problems: string[]) => void

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const str: Check = (v, p, out) => void (typeof v !== 'string' && out.push(`${p}: must be a string`))
const bool: Check = (v, p, out) => void (typeof v !== 'boolean' && out.push(`${p}: must be a boolean`))
const num: Check = (v, p, out) => void ((typeof v !== 'number' || !Number.isFinite(v)) && out.push(`${p}: must be a number`))
const oneOf =
  (...values: unknown[]): Check =>
  (v, p, out) =>
    void (!values.includes(v) && out.push(`${p}: must be one of ${values.join(', ')} (is ${JSON.stringify(v)})`))
const arrayOf =
  (item: Check): Check =>
  (v, p, out) => {
    if (!Array.isArray(v)) return void out.push(`${p}: must be an array`)
    v.forEach((x, i) => item(x, `${p}[${i}]`, out))
  }
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/
const color: Check = (v, p, out) => void ((typeof v !== 'string' || !HEX_COLOR.test(v)) && out.push(`${p}: must be a hexadecimal RGB colour`))

function object(fields: Record<string, { check: Check; required?: boolean }>, extra?: (v: Record<string, unknown>, path: string, problems: string[]) => void): Check {
  return (v, p, out) => {
    if (!isObject(v)) return void out.push(`${p}: must be an object`)
    for (const [name, f] of Object.entries(fields)) {
      if (v[name] === undefined) {
        if (f.required) out.push(`${p}.${name}: required`)
      } else f.check(v[name], `${p}.${name}`, out)
    }
    for (const name of Object.keys(v)) if (!(name in fields)) out.push(`${p}.${name}: not a field of the layer format 4.5`)
    extra?.(v, p, out)
  }
}

const divider = object({ divider: { check: bool, required: true } })
const metadataItem: Check = (v, p, out) => (isObject(v) && 'divider' in v ? divider : object({ name: { check: str, required: true }, value: { check: str, required: true } }))(v, p, out)
const url: Check = (v, p, out) => void ((typeof v !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) && out.push(`${p}: must be a URL with a protocol (e.g. https://)`))
const linkItem: Check = (v, p, out) => (isObject(v) && 'divider' in v ? divider : object({ label: { check: str, required: true }, url: { check: url, required: true } }))(v, p, out)

const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/
const technique = object({
  techniqueID: { check: (v, p, out) => void ((typeof v !== 'string' || !TECHNIQUE_ID.test(v)) && out.push(`${p}: must be "T####" or "T####.###"`)), required: true },
  tactic: { check: str },
  comment: { check: str },
  enabled: { check: bool },
  score: { check: num },
  color: { check: color },
  metadata: { check: arrayOf(metadataItem) },
  links: { check: arrayOf(linkItem) },
  showSubtechniques: { check: bool },
})

const atLeast490: Check = (v, p, out) => {
  const parts = typeof v === 'string' ? v.split('.').map(Number) : []
  const ok = parts.length === 3 && parts.every(Number.isInteger) && (parts[0]! > 4 || (parts[0] === 4 && parts[1]! >= 9))
  if (!ok) out.push(`${p}: must be a version of at least "4.9.0"`)
}

const gradient = object(
  { colors: { check: arrayOf(color), required: true }, minValue: { check: num, required: true }, maxValue: { check: num, required: true } },
  (v, p, out) => {
    if (Array.isArray(v.colors) && v.colors.length < 2) out.push(`${p}.colors: must hold at least two colours`)
    if (typeof v.minValue === 'number' && typeof v.maxValue === 'number' && !(v.maxValue > v.minValue)) out.push(`${p}.maxValue: must be greater than minValue`)
  },
)

const layer = object({
  versions: { check: object({ attack: { check: str }, navigator: { check: atLeast490, required: true }, layer: { check: oneOf('4.5'), required: true } }) },
  name: { check: str, required: true },
  description: { check: str },
  domain: { check: oneOf('enterprise-attack', 'mobile-attack', 'ics-attack'), required: true },
  customDataURL: { check: str },
  filters: { check: object({ platforms: { check: arrayOf(str) } }) },
  sorting: { check: oneOf(0, 1, 2, 3) },
  layout: {
    check: object({
      layout: { check: oneOf('side', 'flat', 'mini') },
      showID: { check: bool },
      showName: { check: bool },
      showAggregateScores: { check: bool },
      countUnscored: { check: bool },
      aggregateFunction: { check: oneOf('average', 'min', 'max', 'sum') },
      expandedSubtechniques: { check: oneOf('none', 'all', 'annotated') },
    }),
  },
  hideDisabled: { check: bool },
  techniques: { check: arrayOf(technique) },
  gradient: { check: gradient },
  legendItems: { check: arrayOf(object({ label: { check: str, required: true }, color: { check: color, required: true } })) },
  showTacticRowBackground: { check: bool },
  tacticRowBackground: { check: color },
  selectTechniquesAcrossTactics: { check: bool },
  selectSubtechniquesWithParent: { check: bool },
  selectVisibleTechniques: { check: bool },
  metadata: { check: arrayOf(metadataItem) },
  links: { check: arrayOf(linkItem) },
})

/** Every way `value` departs from the layer format 4.5; empty when it is a valid layer. */
export function layerFormatProblems(value: unknown): string[] {
  const problems: string[] = []
  layer(value, 'layer', problems)
  return problems
}

/** The documented platforms of domain enterprise-attack (Filter object). */
export const ENTERPRISE_PLATFORMS = ['PRE', 'Windows', 'Linux', 'macOS', 'Network', 'AWS', 'GCP', 'Azure', 'Azure AD', 'Office 365', 'SaaS']
