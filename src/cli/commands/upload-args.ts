import { CliError } from '../cli-error.js'
import { USAGE as COMMAND_USAGE } from '../command-help.js'

/**
 * Arguments of `watchpost upload [--server URL] [--key KEY] [--json] [--no-wait] FILE…`. The
 * server and key also come from WATCHPOST_URL and WATCHPOST_API_KEY — the better place for a key,
 * which on a command line is visible to every user of the machine (ps).
 */

export interface UploadArgs {
  server: URL
  key: string
  json: boolean
  wait: boolean
  files: string[]
}

const USAGE = COMMAND_USAGE.upload

export function parseUploadArgs(args: string[], env: NodeJS.ProcessEnv): UploadArgs {
  let server = env.WATCHPOST_URL
  let key = env.WATCHPOST_API_KEY
  let json = false
  let wait = true
  const files: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? args[++i]
      if (v === undefined || v === '') throw new CliError(`upload: ${name} needs a value\n${USAGE}`, 2)
      return v
    }
    if (name === '--') {
      files.push(...args.slice(i + 1))
      break
    }
    if (name === '--server') server = value()
    else if (name === '--key') key = value()
    else if (name === '--json') json = true
    else if (name === '--no-wait') wait = false
    else if (name.startsWith('-')) throw new CliError(`upload: unknown option ${name}\n${USAGE}`, 2)
    else files.push(arg)
  }
  if (files.length === 0) throw new CliError(`upload: no file given\n${USAGE}`, 2)
  if (!server) throw new CliError(`upload: the server is needed: --server URL or WATCHPOST_URL (e.g. http://127.0.0.1:4000)\n${USAGE}`, 2)
  if (!key) throw new CliError(`upload: an API key is needed: WATCHPOST_API_KEY or --key\n${USAGE}`, 2)
  let url: URL
  try {
    url = new URL(server)
  } catch {
    throw new CliError(`upload: the server "${server}" is not a URL (e.g. http://127.0.0.1:4000)`, 2)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`upload: the server must be an http:// or https:// URL, not ${url.protocol}`, 2)
  return { server: url, key, json, wait, files }
}
