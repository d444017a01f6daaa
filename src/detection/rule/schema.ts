import { z } from 'zod'

/**
 * What an ESCU YAML document must look like to be imported. Only the fields the engine uses are
 * checked; everything else (tests, confidence, required_fields, …) is allowed and kept in the
 * verbatim YAML. Both the contentctl v11 shape (`rba:`) and the older v5 shape (`tags.observable`,
 * `tags.risk_score`, `tags.message`) are accepted.
 */

/** ATT&CK technique or sub-technique id. */
export const MITRE_ID = /^T\d{4}(\.\d{3})?$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const text = z.string().nullish()
const textList = z.array(z.string()).nullish()
/** Offsets such as `$info_min_time$`; a bare number is accepted too. */
const offset = z.union([z.string(), z.number()]).transform(String)

const observable = z.looseObject({
  name: z.string().min(1),
  type: z.string().min(1),
  role: z.array(z.string()).min(1),
})

const rba = z.looseObject({
  message: z.string(),
  risk_objects: z
    .array(
      z.looseObject({
        field: z.string().min(1),
        type: z.enum(['user', 'system', 'other']),
        score: z.number().int().min(0, 'risk score must be 0..100').max(100, 'risk score must be 0..100'),
      }),
    )
    .nullish(),
  threat_objects: z.array(z.looseObject({ field: z.string().min(1), type: z.string().min(1) })).nullish(),
})

/** A detection document (it has `search`). */
export const detectionSchema = z.looseObject({
  name: z.string().min(1, 'name must not be empty'),
  id: z.string().regex(UUID, 'id must be a UUID'),
  /** ESCU writes both `version: 5` and `version: '5'`. */
  version: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'version must be a whole number').transform(Number)]),
  date: text,
  author: text,
  status: text,
  type: text,
  description: text,
  data_source: textList,
  /** A misspelling some ESCU files carry; used when data_source is absent. */
  data_sources: textList,
  search: z.string().min(1, 'search must not be empty'),
  how_to_implement: text,
  known_false_positives: text,
  references: textList,
  drilldown_searches: z
    .array(z.looseObject({ name: z.string(), search: z.string(), earliest_offset: offset, latest_offset: offset }))
    .nullish(),
  tags: z
    .looseObject({
      analytic_story: textList,
      mitre_attack_id: z.array(z.string().regex(MITRE_ID, 'not an ATT&CK technique id (T1234 or T1234.567)')).nullish(),
      security_domain: text,
      asset_type: text,
      product: textList,
      observable: z.array(observable).nullish(),
      risk_score: z.number().min(0, 'risk_score must be 0..100').max(100, 'risk_score must be 0..100').nullish(),
      message: text,
    })
    .nullish(),
  rba: rba.nullish(),
})

/** A parsed detection document. */
export type DetectionDocument = z.infer<typeof detectionSchema>

/** A macro document (it has `definition`), as in ESCU's macros/*.yml. */
export const macroSchema = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9_.:-]+(\(\d+\))?$/, 'macro name must be a word, optionally followed by (N)'),
  definition: z.union([z.string(), z.number(), z.boolean()]).transform(String),
  description: text,
  arguments: z.array(z.string().min(1)).nullish(),
})

/** A parsed macro document. */
export type MacroDocument = z.infer<typeof macroSchema>
