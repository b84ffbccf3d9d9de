/** Exit codes, as most Unix tools use them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line itself is wrong (bad option value, missing file): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The command ran and failed for a reason the user can act on (invalid topology, database
 * unreachable): exit 1, with `details` printed after the one-line message. An empty
 * message means the output already said why (e.g. a `--json` report).
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';

  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** First line of an error's message; duck-typed, since errors from pg or jest may come from another realm. */
export function messageOf(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
      ? (error as Error).message
      : String(error);
  return message.split('\n')[0];
}
