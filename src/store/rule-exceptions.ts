import type { PrismaClient } from '../db/prisma.js'
import {
  checkExceptionEntries,
  ExceptionEntryError,
  type ExceptionEntry,
  type ExceptionEntryInput,
  type RuleException,
} from '../detection/index.js'
import { InvalidInputError, NotFoundError } from '../errors.js'
import type { Prisma } from '../generated/prisma/client.js'
import { findRule, isUuid } from './rules.js'

/**
 * Rule exceptions as tenant data (table rule_exceptions): per rule, or shared by every rule of the
 * tenant (ruleId null). What they do to evaluation is in src/detection/exceptions; they are applied
 * where rules are loaded for evaluation (tenant-rules.ts). Every function takes the caller's tenant
 * and answers NOT_FOUND for another tenant's exception or rule exactly as for one that exists nowhere.
 */

export const MAX_EXCEPTION_COMMENT_CHARS = 2_000
/** The author of changes made with the `watchpost` command. */
export const CLI_AUTHOR = 'cli'

/** Who changes an exception: an API key of the tenant (its name is recorded), or the CLI (keyId null). */
export interface ExceptionActor {
  tenantId: string
  keyId: string | null
}

export interface RuleExceptionRecord {
  id: string
  /** Null: shared by every rule of the tenant. */
  ruleId: string | null
  entries: ExceptionEntry[]
  expiresAt: Date | null
  comment: string
  author: string
  authorKeyId: string | null
  updatedBy: string
  createdAt: Date
  updatedAt: Date
}

/** A new exception as sent: `ruleId` null or absent makes it shared. */
export interface NewRuleException {
  ruleId?: string | null
  entries: readonly ExceptionEntryInput[]
  expiresAt?: Date | null
  comment: string
}

/** A change: absent (or null) `entries` and `comment` stay; `expiresAt` stays when absent and is lifted by null. */
export interface RuleExceptionChange {
  entries?: readonly ExceptionEntryInput[] | null
  expiresAt?: Date | null
  comment?: string | null
}

type Row = Prisma.RuleExceptionGetPayload<object>

/** How errors name the entries and the comment: the GraphQL input's fields, or a CLI's options. */
export interface InputNames {
  entries: string
  comment: string
}

const GRAPHQL_INPUT: InputNames = { entries: 'input.entries', comment: 'input.comment' }

const recordOf = (r: Row): RuleExceptionRecord => ({
  id: r.id,
  ruleId: r.ruleId,
  entries: r.entries as unknown as ExceptionEntry[],
  expiresAt: r.expiresAt,
  comment: r.comment,
  author: r.author,
  authorKeyId: r.authorKeyId,
  updatedBy: r.updatedBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
})

/** Prisma's filter for exceptions that still apply at `now`. */
const activeAt = (now: Date): Prisma.RuleExceptionWhereInput => ({ OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] })

function checkEntries(entries: readonly ExceptionEntryInput[], path: string): ExceptionEntry[] {
  try {
    return checkExceptionEntries(entries, path)
  } catch (err) {
    if (err instanceof ExceptionEntryError) throw new InvalidInputError(err.message, { field: err.path })
    throw err
  }
}

/** A comment: some visible text, at most 2,000 characters, kept as written. */
function checkComment(comment: string, path: string): string {
  if (comment.trim() === '') throw new InvalidInputError(`${path}: must not be empty; say why these events are excepted`, { field: path })
  const n = [...comment].length
  if (n > MAX_EXCEPTION_COMMENT_CHARS) throw new InvalidInputError(`${path}: at most ${MAX_EXCEPTION_COMMENT_CHARS} characters (got ${n})`, { field: path, max: MAX_EXCEPTION_COMMENT_CHARS })
  return comment
}

async function actorName(prisma: PrismaClient, actor: ExceptionActor): Promise<string> {
  if (actor.keyId === null) return CLI_AUTHOR
  const key = await prisma.apiKey.findFirst({ where: { id: actor.keyId, tenantId: actor.tenantId }, select: { name: true } })
  return key?.name ?? actor.keyId
}

async function findException(prisma: PrismaClient, tenantId: string, id: string): Promise<Row> {
  const row = isUuid(id) ? await prisma.ruleException.findFirst({ where: { id, tenantId } }) : null
  if (!row) throw new NotFoundError('RuleException', id)
  return row
}

/**
 * The tenant's exceptions, newest first: all of them, or (with `ruleId`) those that apply to that
 * rule — its own and the shared ones. Expired ones (expiresAt <= now) only with `includeExpired`.
 */
export async function listRuleExceptions(
  prisma: PrismaClient,
  tenantId: string,
  query: { ruleId?: string | null; includeExpired?: boolean | null; now: Date },
): Promise<RuleExceptionRecord[]> {
  let ruleId: string | null = null
  if (query.ruleId != null) {
    const rule = await findRule(prisma, tenantId, query.ruleId)
    if (!rule) throw new NotFoundError('Rule', query.ruleId)
    ruleId = rule.id
  }
  return findExceptions(prisma, tenantId, ruleId, query.includeExpired ? null : query.now)
}

/** The exceptions that apply to a rule the caller has already found (its own and the shared ones) and are in force at `now`. */
export function exceptionsOfRule(prisma: PrismaClient, tenantId: string, ruleId: string, now: Date): Promise<RuleExceptionRecord[]> {
  return findExceptions(prisma, tenantId, ruleId, now)
}

/** Newest first; `ruleId` null: all of the tenant's; `now` null: expired ones too. */
async function findExceptions(prisma: PrismaClient, tenantId: string, ruleId: string | null, now: Date | null): Promise<RuleExceptionRecord[]> {
  const where: Prisma.RuleExceptionWhereInput[] = [{ tenantId }]
  if (ruleId !== null) where.push({ OR: [{ ruleId }, { ruleId: null }] })
  if (now !== null) where.push(activeAt(now))
  const rows = await prisma.ruleException.findMany({ where: { AND: where }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })
  return rows.map(recordOf)
}

export async function createRuleException(prisma: PrismaClient, actor: ExceptionActor, input: NewRuleException, names: InputNames = GRAPHQL_INPUT): Promise<RuleExceptionRecord> {
  const entries = checkEntries(input.entries, names.entries)
  const comment = checkComment(input.comment, names.comment)
  let ruleId: string | null = null
  if (input.ruleId != null) {
    const rule = await findRule(prisma, actor.tenantId, input.ruleId)
    if (!rule) throw new NotFoundError('Rule', input.ruleId)
    ruleId = rule.id
  }
  const author = await actorName(prisma, actor)
  const row = await prisma.ruleException.create({
    data: {
      tenantId: actor.tenantId,
      ruleId,
      entries: entries as unknown as Prisma.InputJsonValue,
      expiresAt: input.expiresAt ?? null,
      comment,
      author,
      authorKeyId: actor.keyId,
      updatedBy: author,
    },
  })
  return recordOf(row)
}

/** Changes an exception's entries, expiry or comment; the rule it belongs to never changes. */
export async function updateRuleException(
  prisma: PrismaClient,
  actor: ExceptionActor,
  id: string,
  change: RuleExceptionChange,
  names: InputNames = GRAPHQL_INPUT,
): Promise<RuleExceptionRecord> {
  const entries = change.entries == null ? undefined : checkEntries(change.entries, names.entries)
  const comment = change.comment == null ? undefined : checkComment(change.comment, names.comment)
  const current = await findException(prisma, actor.tenantId, id)
  const row = await prisma.ruleException.update({
    where: { id: current.id },
    data: {
      ...(entries !== undefined ? { entries: entries as unknown as Prisma.InputJsonValue } : {}),
      ...(change.expiresAt !== undefined ? { expiresAt: change.expiresAt } : {}),
      ...(comment !== undefined ? { comment } : {}),
      updatedBy: await actorName(prisma, actor),
    },
  })
  return recordOf(row)
}

/** Deletes an exception; returns its id. */
export async function deleteRuleException(prisma: PrismaClient, tenantId: string, id: string): Promise<string> {
  const current = await findException(prisma, tenantId, id)
  await prisma.ruleException.delete({ where: { id: current.id } })
  return current.id
}

/** The exceptions that apply at `now` to the given rules (all rules when `ruleIds` is absent): shared ones, and each rule's own. */
export interface ExceptionsInForce {
  shared: RuleException[]
  byRule: Map<string, RuleException[]>
}

export async function exceptionsInForce(prisma: PrismaClient, tenantId: string, now: Date, ruleIds?: readonly string[]): Promise<ExceptionsInForce> {
  const rules: Prisma.RuleExceptionWhereInput = ruleIds === undefined ? {} : { OR: [{ ruleId: null }, { ruleId: { in: [...ruleIds] } }] }
  const rows = await prisma.ruleException.findMany({ where: { AND: [{ tenantId }, activeAt(now), rules] }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })
  const out: ExceptionsInForce = { shared: [], byRule: new Map() }
  for (const row of rows) {
    const exception: RuleException = { id: row.id, entries: row.entries as unknown as ExceptionEntry[], expiresAt: row.expiresAt }
    if (row.ruleId === null) out.shared.push(exception)
    else out.byRule.set(row.ruleId, [...(out.byRule.get(row.ruleId) ?? []), exception])
  }
  return out
}
