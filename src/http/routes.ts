import type express from 'express'

/**
 * What an Express app serves, as `METHOD /path` lines (`ALL /path` for middleware mounted on a
 * path), read from its router. The tenant isolation matrix checks its HTTP cases against this
 * list, so an endpoint added without a case fails the test.
 */

interface Layer {
  readonly rawPath?: unknown
  readonly route?: { readonly path: unknown; readonly methods: Record<string, boolean> }
  readonly handle?: { readonly stack?: readonly Layer[] }
}

export function describeRoutes(app: express.Express): string[] {
  const stack = (app as unknown as { router: { stack: readonly Layer[] } }).router.stack
  return [...new Set(walk(stack, ''))].sort()
}

function walk(stack: readonly Layer[], prefix: string): string[] {
  return stack.flatMap((layer) => {
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''
    if (layer.route !== undefined) {
      return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${prefix}${String(layer.route!.path)}`)
    }
    if (layer.handle?.stack !== undefined) return walk(layer.handle.stack, prefix + mount)
    return mount === '' ? [] : [`ALL ${prefix}${mount}`]
  })
}
