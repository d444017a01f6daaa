import type { CimProcessField } from '../event.js'

/**
 * Rule exceptions, as Elastic Security's exception items: a list of entries that must all hold
 * (AND) for an event to be left out of a rule, before grouping. An item with one entry is the
 * common case. Every comparison is case-insensitive, like the rest of the engine.
 */

/**
 * How an entry compares a field with its values:
 *  - IS: equals the value, literally (a `*` in it is a `*`);
 *  - IS_ONE_OF: equals one of the values, literally;
 *  - MATCHES: matches the value as a Splunk wildcard pattern (`*` = any run of characters);
 *  - CONTAINS: contains the value, literally.
 */
export const EXCEPTION_OPERATORS = ['IS', 'IS_ONE_OF', 'MATCHES', 'CONTAINS'] as const

export type ExceptionOperator = (typeof EXCEPTION_OPERATORS)[number]

/** One condition on one CIM Endpoint.Processes field. An event without the field never meets it. */
export interface ExceptionEntry {
  readonly field: CimProcessField
  readonly operator: ExceptionOperator
  /** One value, but for IS_ONE_OF (one or more). */
  readonly values: readonly string[]
}

/** What the engine needs of an exception: its entries and when it stops applying. */
export interface RuleException {
  readonly id: string
  /** All must hold for an event to be excepted. */
  readonly entries: readonly ExceptionEntry[]
  /** From this moment on the exception no longer applies; null: never expires. */
  readonly expiresAt: Date | null
}

/** Size limits of an exception, also checked by the database. */
export const EXCEPTION_LIMITS = {
  entries: 20,
  /** Values of one IS_ONE_OF entry. */
  values: 1_000,
  /** Characters (code points) of one value. */
  valueChars: 4_096,
} as const
