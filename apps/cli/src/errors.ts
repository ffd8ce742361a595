/** A CLI usage or runtime error: printed as one line naming the flag or the cause. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "CliError";
  }
}
