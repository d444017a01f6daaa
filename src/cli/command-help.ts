/**
 * What `watchpost COMMAND --help` (or `-h`, or `watchpost help COMMAND`) prints: each command's
 * usage lines — which its usage errors print too — and what it does. One place, so the two never differ.
 */

export const USAGE = {
  scan: 'usage: watchpost scan [--rules PATH…] [--format json|table] FILE…  (FILE may be a folder, or - for standard input)',
  rules: 'usage: watchpost rules check PATH…  (rule or macro YAML files and folders)',
  upload: 'usage: watchpost upload [--server URL] [--key KEY] [--json] [--no-wait] FILE…  (FILE may be a folder; or WATCHPOST_URL, WATCHPOST_API_KEY)',
  tenant: 'usage: watchpost tenant create NAME [--json] | tenant list [--json] | tenant suspend|resume|delete NAME | tenant retention NAME --days N|--forever',
  tenantLimits: 'usage: watchpost tenant limits NAME [--max-upload-bytes N[K|M|G]|default] [--json]',
  apikey: `usage: watchpost apikey create --tenant NAME --name KEYNAME --role admin|analyst|ingest|reader [--expires ISO-DATE] [--json]
       watchpost apikey list --tenant NAME [--json]
       watchpost apikey revoke --tenant NAME KEY-ID`,
  exception: `usage: watchpost exception list --tenant NAME [--rule RULE-ID] [--include-expired] [--json]
       watchpost exception add --tenant NAME [--rule RULE-ID] --entries JSON --comment TEXT [--expires ISO-DATE] [--json]
       watchpost exception delete --tenant NAME EXCEPTION-ID
  --entries: [{"field":"user","operator":"IS","value":"svc_tunnel"}, {"field":"dest","operator":"IS_ONE_OF","values":["a","b"]}]
  operators: IS, IS_ONE_OF (values), MATCHES (a * wildcard pattern), CONTAINS; without --rule the exception applies to every rule`,
  export: `usage: watchpost export detections --tenant NAME [--format csv|json|ndjson] [--out FILE]
         [--rule-id ID] [--mitre-technique T####] [--dest HOST] [--user USER] [--from ISO] [--to ISO]
         [--status NEW,ACKNOWLEDGED,…] [--assignee NAME] [--assigned true|false]
       watchpost export risk-events --tenant NAME [--format csv|json|ndjson] [--layout watchpost|splunk-risk] [--out FILE]
         [--rule-id ID] [--object VALUE] [--type user|system|other] [--from ISO] [--to ISO]
       watchpost export attack-layer --tenant NAME [--out FILE]`,
  migrate: 'usage: watchpost migrate',
  serve: 'usage: watchpost serve',
  worker: 'usage: watchpost worker',
  start: 'usage: watchpost start',
} as const

const SERVICE_ENVIRONMENT = 'Configured by the environment (DATABASE_URL, REDIS_URL, PORT and the rest: README, "Configuration"); stops cleanly on SIGTERM or SIGINT.'

/** The help of each command, by the name typed. */
export const HELP: Record<string, string> = {
  scan: `${USAGE.scan}

Runs ESCU rules over log files on this machine, with no service. What a file holds is recognized
from its content, never its name: EVTX event logs, Windows XML events, their JSON renderings
(evtx_dump, Winlogbeat / Elastic Agent, NXLog, Chainsaw), CrowdStrike FDR NDJSON, Splunk JSON
and CSV exports, CSV with a header naming event fields — plain, gzip-compressed or in a ZIP or
tar archive, UTF-8 or UTF-16. A folder is every file below it except hidden ones.

  --rules PATH…     rule and macro YAML files, or folders holding them (default: the bundled rules)
  --format json     the grouped detections and what was read, per file, with its errors (default)
  --format table    a table of the detections, then each file's first errors
  -h, --help        this help

Exit status: 0; 1 when a rule could not be loaded (the others still run) or a log cannot be
opened; 2 for a usage error.`,
  rules: `${USAGE.rules}

Parses and compiles ESCU detections, with the macros found in the same paths: one line per rule,
"ok" or the error with its line and column in the search. Exit status 1 when any fails.`,
  upload: `${USAGE.upload}

Sends log files to a running service (each file one upload, a folder every file below it), shows
their progress, waits for each to be processed and prints its result; --no-wait returns once they
are stored, --json prints the results as JSON. Exit status 1 when an upload failed.`,
  tenant: `${USAGE.tenant}
${USAGE.tenantLimits}

Manages tenants in the database (DATABASE_URL): create prints the tenant's first API key, once;
delete purges everything the tenant has; retention says how long its events are kept.`,
  apikey: `${USAGE.apikey}

Manages a tenant's API keys in the database (DATABASE_URL): create prints the key, once.`,
  exception: `${USAGE.exception}

Manages a tenant's rule exceptions in the database (DATABASE_URL): events meeting every entry are
left out of the rule (or of every rule).`,
  export: `${USAGE.export}

Writes a tenant's detections, risk events or ATT&CK Navigator layer from the database
(DATABASE_URL) to standard output or --out FILE.`,
  migrate: `${USAGE.migrate}

Creates the database named by DATABASE_URL when it is missing, then applies the pending migrations.`,
  serve: `${USAGE.serve}

Runs the GraphQL API and the upload endpoint. ${SERVICE_ENVIRONMENT}`,
  worker: `${USAGE.worker}

Runs the workers: uploads, scans (scheduled or asked for), webhook deliveries and the retention
sweep. ${SERVICE_ENVIRONMENT}`,
  start: `${USAGE.start}

Migrates the database, then runs the API and a worker in one process. ${SERVICE_ENVIRONMENT}`,
}

/** Whether `args` ask for help: `--help` or `-h` before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--')
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h')
}
