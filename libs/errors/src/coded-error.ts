/** What a coded error may carry besides its code and message. */
export interface CodedErrorOptions {
  readonly cause?: unknown;
  /** Seconds a client should wait before it tries again (sent as `Retry-After`). */
  readonly retryAfterS?: number;
}

/**
 * The one base of the errors our HTTP surfaces answer with: a stable `code` clients branch on,
 * the one HTTP status that code maps to (each app keeps its table of codes), and a message for
 * people. Each app has one exception filter that turns any of them into
 * `{ code, message, requestId }`; nothing else writes error bodies.
 */
export abstract class CodedError<C extends string = string> extends Error {
  readonly retryAfterS: number | undefined;

  constructor(
    readonly code: C,
    message: string,
    options: CodedErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterS = options.retryAfterS;
  }

  /** The HTTP status of this error's code. */
  abstract get status(): number;

  /** Headers the answer carries besides the JSON body. */
  responseHeaders(): Record<string, string> {
    return this.retryAfterS === undefined ? {} : { 'Retry-After': String(this.retryAfterS) };
  }
}

/** The body of every error answer. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
  readonly details?: readonly unknown[];
}

/** The path of a request URL without its query string: a query may carry codes or personal data. */
export function pathOf(url: string | undefined): string {
  const u = url ?? '';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

/** `instanceof CodedError`, typed with a string code (a bare `instanceof` yields `CodedError<any>`). */
export function isCodedError(e: unknown): e is CodedError<string> {
  return e instanceof CodedError;
}
