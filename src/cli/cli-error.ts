/** A user-facing CLI failure: printed without a stack trace, with its exit code (2 = usage). */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}
