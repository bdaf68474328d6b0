/**
 * Random and malformed requests to a PUSH server (`/iclock/*`, the ZKTeco terminal protocol):
 * one generator for access-core's fuzz suite (a few hundred cases with shrinking, in CI) and
 * for `npm run bench:faults` (100,000 cases against the real process). Whatever a client sends,
 * the server must answer, below 500, and keep serving real terminals.
 *
 * A separate entry (`@lanbridge/testing/push-fuzz`): fast-check is a development dependency,
 * and the rest of libs/testing is also used by `npm start`.
 */
import fc from 'fast-check';

export interface PushFuzzCase {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path segment after `/iclock/`, already URL-encoded. */
  readonly endpoint: string;
  readonly sn: string | undefined;
  readonly table: string;
  readonly extra: Readonly<Record<string, string>>;
  /** Sent for every method but GET. */
  readonly body: string;
  readonly contentType: string | undefined;
}

export interface PushFuzzOptions {
  /** The serial number of a real terminal: part of the cases speak for it. */
  readonly sn: string;
  /** Length of the oversized body (pick one above the server's body cap). Default 5,000. */
  readonly oversizeBytes?: number;
}

const ENDPOINTS = [
  'cdata',
  'registry',
  'push',
  'getrequest',
  'ping',
  'devicecmd',
  'querydata',
  'rtdata',
  'cdata.aspx',
  'x',
];
const TABLES = ['rtlog', 'rtstate', 'tabledata', 'options', 'ATTLOG', 'OPERLOG', 'bogus', ''];
const RECORD_KEYS = [
  'time',
  'event',
  'index',
  'pin',
  'cardno',
  'eventaddr',
  'sensor',
  'relay',
  'alarm',
  'ID',
  'Return',
  'CMD',
  'LockCount',
];
const QUERY_KEYS = [
  'options',
  'pushver',
  'DeviceType',
  'AuthType',
  'tablename',
  'count',
  'type',
  'cmdid',
  'packcnt',
  'packidx',
  'Stamp',
];

/** One request: method, endpoint, SN, table, query, body and content type, each often wrong. */
export function pushFuzzCase(opts: PushFuzzOptions): fc.Arbitrary<PushFuzzCase> {
  const line = fc.array(
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc
        .tuple(
          fc.constantFrom(...RECORD_KEYS),
          fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.constant('2024-02-30 25:61:61')),
        )
        .map(([k, v]) => `${k}=${v}`),
    ),
    { maxLength: 8 },
  );
  const body = fc.oneof(
    fc.constant(''),
    fc
      .array(
        line.chain((items) => fc.constantFrom('\t', ',', '&').map((sep) => items.join(sep))),
        { maxLength: 6 },
      )
      .chain((lines) => fc.constantFrom('\n', '\r\n').map((nl) => lines.join(nl))),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constant('x'.repeat(opts.oversizeBytes ?? 5000)),
  );
  return fc.record({
    method: fc.constantFrom('GET' as const, 'POST' as const, 'PUT' as const, 'DELETE' as const),
    endpoint: fc.oneof(fc.constantFrom(...ENDPOINTS), fc.string({ maxLength: 10 }).map(encodeURIComponent)),
    sn: fc.oneof(fc.constant(opts.sn), fc.constant(undefined), fc.string({ maxLength: 70 }), fc.constant('UNKNOWN1')),
    table: fc.constantFrom(...TABLES),
    extra: fc.dictionary(
      fc.constantFrom(...QUERY_KEYS),
      fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('all', '3.1.2', '2.4.1', 'acc', 'device', 'time', 'user')),
    ),
    body,
    contentType: fc.constantFrom(
      'text/plain',
      'application/octet-stream',
      'application/json',
      'application/x-www-form-urlencoded',
      undefined,
    ),
  });
}

/** Sends one case to `baseUrl` (the server's origin) and returns the HTTP status; throws when no answer came. */
export async function sendPushFuzzCase(baseUrl: string, c: PushFuzzCase, timeoutMs = 15_000): Promise<number> {
  const q = new URLSearchParams();
  if (c.sn !== undefined) q.set('SN', c.sn);
  if (c.table) q.set('table', c.table);
  for (const [k, v] of Object.entries(c.extra)) q.set(k, v);
  const res = await fetch(`${baseUrl}/iclock/${c.endpoint}?${q.toString()}`, {
    method: c.method,
    headers: c.contentType ? { 'content-type': c.contentType } : {},
    body: c.method === 'GET' ? undefined : c.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  return res.status;
}

export interface PushFuzzRun extends PushFuzzOptions {
  readonly baseUrl: string;
  readonly cases: number;
  /** Requests in flight at once. Default 4. */
  readonly concurrency?: number;
  /** fast-check seed: the same seed makes the same cases. */
  readonly seed: number;
  readonly timeoutMs?: number;
  /** Called about every 1,000 cases. */
  readonly onProgress?: (done: number) => void;
}

export interface PushFuzzFailure {
  readonly case: PushFuzzCase;
  /** The 5xx status, or why no answer came. */
  readonly outcome: number | string;
}

export interface PushFuzzReport {
  readonly cases: number;
  /** Answers by status. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly serverErrors: number;
  /** Requests that got no HTTP answer (reset, timeout). */
  readonly noAnswer: number;
  /** The first few cases answered 5xx or not at all, to replay by hand. */
  readonly failures: readonly PushFuzzFailure[];
  readonly seconds: number;
}

const CHUNK = 500;
const KEEP_FAILURES = 10;

/**
 * Sends `cases` generated cases, `concurrency` at a time, without shrinking (for volume; the
 * fuzz suite shrinks). Cases are drawn 500 at a time, each chunk from its own seed.
 */
export async function runPushFuzz(run: PushFuzzRun): Promise<PushFuzzReport> {
  const arb = pushFuzzCase(run);
  const statuses: Record<string, number> = {};
  const failures: PushFuzzFailure[] = [];
  let serverErrors = 0;
  let noAnswer = 0;
  let done = 0;
  const started = performance.now();
  for (let chunk = 0; chunk * CHUNK < run.cases; chunk++) {
    const n = Math.min(CHUNK, run.cases - chunk * CHUNK);
    const cases = fc.sample(arb, { numRuns: n, seed: run.seed + chunk });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c = cases[next++];
        let outcome: number | string;
        try {
          outcome = await sendPushFuzzCase(run.baseUrl, c, run.timeoutMs);
          statuses[outcome] = (statuses[outcome] ?? 0) + 1;
          if (outcome >= 500) serverErrors++;
        } catch (err) {
          outcome = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          noAnswer++;
        }
        if ((typeof outcome === 'string' || outcome >= 500) && failures.length < KEEP_FAILURES)
          failures.push({ case: c, outcome });
        done++;
        if (done % 1000 === 0) run.onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, run.concurrency ?? 4) }, worker));
  }
  return {
    cases: done,
    statuses,
    serverErrors,
    noAnswer,
    failures,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
