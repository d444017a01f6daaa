import { PayloadTooLargeError } from '../errors.js'

/**
 * Rule YAML is parsed and compiled on the API's event loop: about a second per MiB, during which
 * every other request waits. One ESCU detection is a few KiB, so 1 MiB per call still imports
 * a few hundred rules; larger sets go in several calls.
 */
export const MAX_RULE_YAML_BYTES = 1024 * 1024

export function checkRuleYamlSize(yaml: string, field = 'yaml'): void {
  const bytes = Buffer.byteLength(yaml, 'utf8')
  if (bytes > MAX_RULE_YAML_BYTES) {
    throw new PayloadTooLargeError(`${field} is ${bytes} bytes long; rule YAML is limited to ${MAX_RULE_YAML_BYTES} bytes per request (import large rule sets in several calls)`, {
      field,
      limit: MAX_RULE_YAML_BYTES,
    })
  }
}
