import pino from 'pino';

/**
 * What a database error may keep in a log line: where it happened (SQLSTATE, constraint, table,
 * column), never what the row held. TypeORM's QueryFailedError also carries the SQL text, the
 * bound parameters (user names, card numbers, PINs) and the driver's `detail` ("Key (pin)=(1001)
 * already exists", "Failing row contains (…)"); pg errors carry `detail`, `where` and `hint`.
 */
const DB_ERROR_KEYS = ['code', 'severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine'] as const;

/** A double-quoted name right after one of these words is a schema object, not a value. */
const NAME_BEFORE_QUOTE =
  /\b(?:constraint|relation|column|table|schema|index|encoding|function|type|sequence|database|role|view|trigger|domain|extension|operator|near)\s*$/i;
const SQLSTATE = /^[0-9A-Z]{5}$/;

type ErrorLike = Error & Record<string, unknown>;

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** A QueryFailedError, a pg / PGlite DatabaseError, or anything carrying SQL and its parameters. */
export function isDatabaseError(err: unknown): boolean {
  if (!isErrorLike(err)) return false;
  if (err.name === 'QueryFailedError' || err.constructor?.name === 'QueryFailedError') return true;
  if ('parameters' in err || 'query' in err || 'driverError' in err) return true;
  return typeof err.code === 'string' && SQLSTATE.test(err.code) && typeof err.severity === 'string';
}

function causesOf(err: ErrorLike): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = err.cause;
  while (isErrorLike(current) && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

/**
 * Blanks the values PostgreSQL quotes in its messages (`invalid input syntax for type uuid:
 * "…"`, `value "…" is out of range`), keeping quoted names of constraints, tables and columns.
 */
export function scrubDatabaseText(text: string): string {
  return text.replace(/"(?:[^"\n]|"")*"/g, (quoted: string, offset: number, whole: string) =>
    NAME_BEFORE_QUOTE.test(whole.slice(Math.max(0, offset - 40), offset)) ? quoted : '"[redacted]"',
  );
}

/**
 * pino's `err` serializer, except that a database error (or one caused by it) keeps only its
 * type, scrubbed message and stack, and the fields of DB_ERROR_KEYS: never the query, its
 * parameters or the driver's detail, which pino's path redaction cannot reach (they are not
 * named like secrets).
 */
export function serializeError(err: unknown): unknown {
  if (!isErrorLike(err)) return err;
  const base = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  if (![err, ...causesOf(err)].some(isDatabaseError)) {
    // Nested errors (AggregateError members, an error held in a field) get the same treatment.
    for (const key of Object.keys(base)) {
      const raw = key === 'aggregateErrors' ? undefined : err[key];
      if (isErrorLike(raw)) base[key] = serializeError(raw);
    }
    if (Array.isArray(err.errors)) base.aggregateErrors = (err.errors as unknown[]).map(serializeError);
    return base;
  }
  const out: Record<string, unknown> = {
    type: base.type,
    message: scrubDatabaseText(typeof base.message === 'string' ? base.message : ''),
    stack: scrubDatabaseText(typeof base.stack === 'string' ? base.stack : ''),
  };
  for (const key of DB_ERROR_KEYS) {
    const value = err[key];
    if (typeof value === 'string' || typeof value === 'number') out[key] = value;
  }
  return out;
}
