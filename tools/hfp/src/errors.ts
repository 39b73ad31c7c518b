/** An expected failure with a stable code; main prints `error <code>: <message>` and exits 2 for USAGE, else 1. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError("USAGE", message);
