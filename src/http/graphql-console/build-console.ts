import { createHash } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import * as esbuild from 'esbuild'
import { COMPRESSED_EXTENSIONS, CONSOLE_BUILD_DIR, CONSOLE_PAGE } from './console-files.js'

/**
 * Bundles the GraphQL console — GraphiQL, React and Monaco with its workers, from the installed npm
 * packages — into src/generated/graphql-console, so the service serves every byte of it and the
 * page works with no network but the service's. Run by `npm run generate` (so by `npm run setup`,
 * `npm test` and the Docker build). Skipped when nothing it depends on changed since the last build.
 */

const HERE = dirname(fileURLToPath(import.meta.url))
const BROWSER_DIR = join(HERE, 'browser')
const ROOT = join(HERE, '..', '..', '..')
const STAMP = 'build-stamp'

/** Monaco's workers by output name; monaco-workers.js asks for these names. */
const WORKERS = {
  'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
  'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
  'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
}

const COMMON: esbuild.BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  minify: true,
  target: 'es2022',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
}

export async function buildConsole(outDir = CONSOLE_BUILD_DIR): Promise<{ built: boolean }> {
  const stamp = await inputsDigest()
  if ((await readFile(join(outDir, STAMP), 'utf8').catch(() => '')) === stamp) return { built: false }
  // Built beside the old one and swapped in whole, so a running service never serves half a build.
  const staging = `${outDir.replace(/\/$/, '')}.staging-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  try {
    await Promise.all([
      esbuild.build({ ...COMMON, entryPoints: { console: join(BROWSER_DIR, 'console.jsx') }, format: 'esm', jsx: 'automatic', outdir: staging, loader: { '.ttf': 'file' }, assetNames: '[name]' }),
      // Workers start as classic scripts: one self-contained file each.
      esbuild.build({ ...COMMON, entryPoints: WORKERS, format: 'iife', outdir: staging }),
    ])
    await copyFile(join(BROWSER_DIR, 'index.html'), join(staging, CONSOLE_PAGE))
    for (const name of await readdir(staging)) {
      if ((COMPRESSED_EXTENSIONS as readonly string[]).includes(extname(name))) {
        await writeFile(join(staging, `${name}.gz`), gzipSync(await readFile(join(staging, name)), { level: 9 }))
      }
    }
    await writeFile(join(staging, STAMP), stamp)
    await rm(outDir, { recursive: true, force: true })
    await rename(staging, outDir).catch(async (err: unknown) => {
      // Another `npm run generate` in the same checkout swapped in its build first: the same one.
      if ((await readFile(join(outDir, STAMP), 'utf8').catch(() => '')) !== stamp) throw err
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return { built: true }
}

/** What the build depends on: its own sources and the exact installed packages (the lockfile). */
async function inputsDigest(): Promise<string> {
  const hash = createHash('sha256')
  const inputs = [fileURLToPath(import.meta.url), join(HERE, 'console-files.ts'), join(ROOT, 'package-lock.json'), ...(await readdir(BROWSER_DIR)).sort().map((f) => join(BROWSER_DIR, f))]
  for (const file of inputs) hash.update(file.slice(ROOT.length)).update(await readFile(file).catch(() => 'missing'))
  return hash.digest('hex')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now()
  const { built } = await buildConsole()
  console.log(built ? `GraphQL console built in ${Date.now() - started} ms` : 'GraphQL console is up to date')
}
