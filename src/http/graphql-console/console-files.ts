import { fileURLToPath } from 'node:url'

/**
 * Where the GraphQL console's build lives and under which URL it is served. build-console.ts
 * writes the folder (at `npm run generate`); console-route.ts serves it. The folder is generated,
 * never committed: it is GraphiQL, React and Monaco bundled from the installed npm packages.
 */
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL('../../generated/graphql-console/', import.meta.url))

/** URL path of the bundles; browser/index.html and browser/monaco-workers.js name it too. */
export const CONSOLE_ASSET_PATH = '/assets/graphql-console'

/** The page itself, served at GET /graphql to browsers. */
export const CONSOLE_PAGE = 'index.html'

/** Files that are also written gzip-compressed (`<name>.gz`), served to clients that accept gzip. */
export const COMPRESSED_EXTENSIONS = ['.js', '.css', '.ttf'] as const
