/**
 * A row that a non-null field promises and a foreign key guarantees (ON DELETE CASCADE), such as a
 * detection's rule: missing only when it was deleted between two queries of one request. The field
 * then fails as graphql-js would fail a null there (masked as INTERNAL_SERVER_ERROR, logged), but
 * the log says which row, and the field's type stays non-null.
 */
export function requiredRow<T>(row: T | null, what: string): T {
  if (row === null) throw new Error(`${what} no longer exists`)
  return row
}
