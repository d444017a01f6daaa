import { commands, usage } from './commands.js'
import { CliError } from './cli-error.js'
import { asksForHelp, HELP } from './command-help.js'

/** Entry point of the `watchpost` command: dispatches to one sub-command, maps errors to exit codes. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  // `watchpost help scan` is `watchpost scan --help`.
  if (name === 'help' && rest[0] !== undefined && HELP[rest[0]] !== undefined) return help(rest[0])
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name ? 0 : 2
  }
  const command = commands[name]
  if (!command) throw new CliError(`unknown command "${name}"\n\n${usage()}`, 2)
  if (asksForHelp(rest)) return help(name)
  return command(rest)
}

function help(name: string): number {
  process.stdout.write(`${HELP[name]}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`watchpost: ${err.message}\n`)
      process.exitCode = err.exitCode
    } else {
      process.stderr.write(`watchpost: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = 1
    }
  },
)
