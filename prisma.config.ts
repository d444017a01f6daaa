import { defineConfig } from 'prisma/config'

// Prisma 7 reads no .env; generate needs no database. Migrations are applied by `watchpost migrate`.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/watchpost' },
})
