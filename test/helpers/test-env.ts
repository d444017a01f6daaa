/**
 * Where integration tests find Postgres and Redis: the local services by default, or
 * TEST_DATABASE_URL / TEST_REDIS_URL. Databases and queue prefixes are created per test file.
 */
export const TEST_DATABASE_BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export function databaseUrlFor(name: string): string {
  const u = new URL(TEST_DATABASE_BASE_URL)
  u.pathname = `/${name}`
  return u.toString()
}

export const adminUrl = (): string => databaseUrlFor('postgres')
