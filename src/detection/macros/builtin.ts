import type { MacroDefinition } from './macro.js'

/**
 * Macros every ESCU search relies on but that tenants usually do not ship: the
 * security_content_summariesonly chain (ESCU macros/*.yml, ESCU ≥ 4.34), the CIM app's
 * drop_dm_object_name and ESCU's ctime. Definitions are verbatim; the pipeline stages
 * drop_dm_object_name and security_content_ctime are recognised by name (see spl/stages.ts),
 * so their definitions are documentation here rather than interpreted text.
 */
export const BUILTIN_MACROS: readonly MacroDefinition[] = [
  {
    name: 'security_content_summariesonly',
    args: [],
    definition:
      'summariesonly=`summariesonly_config` allow_old_summaries=`oldsummaries_config` fillnull_value=`fillnull_config`',
    description: "search data model's summaries only",
  },
  { name: 'summariesonly_config', args: [], definition: 'false', description: 'summariesonly setting of tstats' },
  { name: 'oldsummaries_config', args: [], definition: 'true', description: 'allow_old_summaries setting of tstats' },
  { name: 'fillnull_config', args: [], definition: 'null', description: 'value tstats substitutes for null BY fields' },
  {
    name: 'drop_dm_object_name',
    args: ['object'],
    definition: 'rename "$object$.*" as *',
    description: 'Splunk_SA_CIM: strip the data model object prefix from field names',
  },
  {
    name: 'security_content_ctime',
    args: ['field'],
    definition: 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)',
    description: 'convert epoch time to string',
  },
]

/** contentctl's definition for a `<detection>_filter` macro that nobody has customised. */
export const DEFAULT_FILTER_DEFINITION = 'search *'

/** True for names of per-detection filter macros, which default to DEFAULT_FILTER_DEFINITION. */
export function isFilterMacroName(name: string): boolean {
  return name.endsWith('_filter')
}
