import { access } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { Router, type Request, type Response } from 'express'
import { COMPRESSED_EXTENSIONS, CONSOLE_ASSET_PATH, CONSOLE_BUILD_DIR, CONSOLE_PAGE } from './console-files.js'

/**
 * The GraphQL console: a browser that GETs /graphql asking for HTML gets GraphiQL, served with all
 * its assets by the service itself (see build-console.ts); every other request to /graphql goes on
 * to Apollo. The page holds no data and needs no key: it asks for one and sends it with each query.
 */

/**
 * Scripts only from this service (no inline script, no eval); styles may also be inline, because
 * Monaco and GraphiQL's dialogs add <style> elements at run time. No other origin for anything.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A bundle's file name: no path, no dotfile. */
const ASSET_NAME = /^[a-z0-9][a-z0-9.-]*\.(js|css|ttf)$/i

export function graphqlConsoleRouter(dir = CONSOLE_BUILD_DIR): Router {
  const router = Router()

  router.get('/graphql', async (req, res, next) => {
    if (!wantsConsole(req)) return next()
    setSecurityHeaders(res)
    res.set({ 'Content-Security-Policy': CONSOLE_CSP, 'Cache-Control': 'no-cache' })
    if (!(await exists(join(dir, CONSOLE_PAGE)))) {
      res.status(503).type('text/plain').send('The GraphQL console is not built on this server: run `npm run generate` (it bundles GraphiQL from the installed npm packages). The API itself answers POST /graphql.\n')
      return
    }
    res.sendFile(CONSOLE_PAGE, { root: dir, dotfiles: 'deny', lastModified: false })
  })

  router.get(`${CONSOLE_ASSET_PATH}/:file`, async (req, res) => {
    const file = req.params.file
    if (!ASSET_NAME.test(file)) return notFound(res)
    setSecurityHeaders(res)
    // Same names across builds: the browser revalidates (ETag) and gets the new build at once.
    res.set({ 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' }).type(extname(file))
    // The build compresses the large files once; clients that take gzip get ~4× fewer bytes.
    const gzip = (COMPRESSED_EXTENSIONS as readonly string[]).includes(extname(file)) && req.acceptsEncodings('gzip') === 'gzip' && (await exists(join(dir, `${file}.gz`)))
    if (gzip) res.set('Content-Encoding', 'gzip')
    res.sendFile(gzip ? `${file}.gz` : file, { root: dir, dotfiles: 'deny', acceptRanges: false }, (err) => {
      if (err && !res.headersSent) {
        res.removeHeader('Content-Encoding')
        notFound(res)
      }
    })
  })

  return router
}

/**
 * A browser navigating to /graphql: GET with HTML preferred over JSON and no operation in the URL
 * (Apollo's own test for its landing page). curl, fetch and GraphQL clients ask for JSON or for
 * anything, and go on to Apollo.
 */
function wantsConsole(req: Request): boolean {
  return req.query.query === undefined && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html'
}

function setSecurityHeaders(res: Response): void {
  res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY', 'Cross-Origin-Resource-Policy': 'same-origin' })
}

function notFound(res: Response): void {
  res.status(404).type('text/plain').send('not found\n')
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}
