/**
 * Whether an error means the database cannot be reached or cannot serve now (as opposed to a
 * statement that failed): the caller answers 503 with Retry-After, which clients retry, rather
 * than 500. Looks through TypeORM's `driverError` and `cause` chains.
 */

/** Socket errors of a connection that is gone or never came. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATE classes and codes of a server that cannot serve: 08 connection exception, 53
 * insufficient resources (too many connections), 57P01–57P05 shutdown, crash, cannot connect
 * now, idle session timeout.
 */
function unavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || /^57P0[1-5]$/.test(code);
}

/** node-postgres reports a lost or refused connection with a message only. */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection closed',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (typeof e === 'object' && e !== null && !seen.has(e)) {
    seen.add(e);
    const o = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === 'string' && (NETWORK_CODES.has(o.code) || unavailableSqlState(o.code))) return true;
    if (typeof o.message === 'string' && DRIVER_MESSAGES.some((m) => (o.message as string).includes(m))) return true;
    // A connect to a host with several addresses fails with an AggregateError of socket errors.
    if (Array.isArray(o.errors) && o.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    e = o.driverError ?? o.cause;
  }
  return false;
}

/** Seconds a client should wait before retrying while the database is away. */
export const DATABASE_RETRY_AFTER_S = 5;
