import { commands, usage } from './commands.js'
import { CliError } from './cli-error.js'

/** Entry point of the `watchpost` command: dispatches to one sub-command, maps errors to exit codes. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name ? 0 : 2
  }
  const command = commands[name]
  if (!command) throw new CliError(`unknown command "${name}"\n\n${usage()}`, 2)
  return command(rest)
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
