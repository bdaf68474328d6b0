/**
 * JSON over fetch with a time limit per request, server errors turned into LanbridgeError with
 * the server's code, and the idempotent retry loop of remote commands (mobile-path §5).
 */
import { LanbridgeError, SdkErrorCode } from './errors';
import { backoffDelay, randomUuid, type ResponseLike, type Runtime, sleep } from './runtime';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined | null;

export interface HttpRequest {
  readonly method: HttpMethod;
  readonly url: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON when defined. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bearer token. */
  readonly token?: string;
  /** Time limit for this request (default 15 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A picture or photo as the server sent it. */
export interface Binary {
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

export function withQuery(url: string, query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!query) return url;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length === 0 ? url : `${url}${url.includes('?') ? '&' : '?'}${parts.join('&')}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function send(rt: Runtime, req: HttpRequest): Promise<{ status: number; res: ResponseLike }> {
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  const onAbort = (): void => ctl.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  try {
    if (req.signal?.aborted) throw new LanbridgeError(SdkErrorCode.ABORTED, 'cancelled');
    const res = await rt.fetch(withQuery(req.url, req.query), {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: ctl.signal,
    });
    return { status: res.status, res };
  } catch (err) {
    if (err instanceof LanbridgeError) throw err;
    if (timedOut) {
      throw new LanbridgeError(SdkErrorCode.TIMEOUT, `no answer within ${timeoutMs} ms`, { cause: err });
    }
    if (req.signal?.aborted) throw new LanbridgeError(SdkErrorCode.ABORTED, 'cancelled', { cause: err });
    throw new LanbridgeError(SdkErrorCode.NETWORK, `cannot reach ${originForMessage(req.url)}`, { cause: err });
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

function originForMessage(url: string): string {
  const m = /^[a-z]+:\/\/[^/?#]+/i.exec(url);
  return m ? m[0] : 'the server';
}

/** Turns a non-2xx answer into a LanbridgeError carrying the server's code. */
async function refusal(status: number, res: ResponseLike): Promise<LanbridgeError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // the body is lost; the status still says enough
  }
  let body: unknown;
  try {
    body = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    body = undefined;
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  const b = isRecord(body) ? body : {};
  const code = typeof b.code === 'string' && b.code !== '' ? b.code : `HTTP_${status}`;
  const message = typeof b.message === 'string' && b.message !== '' ? b.message : `the server answered HTTP ${status}`;
  return new LanbridgeError(code, message, {
    status,
    requestId: typeof b.requestId === 'string' ? b.requestId : undefined,
    details: b.details,
    retryAfterS: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  });
}

/** Sends a request and parses a JSON answer (undefined for 204). */
export async function requestJson<T>(rt: Runtime, req: HttpRequest): Promise<T> {
  const { status, res } = await send(rt, req);
  if (status < 200 || status > 299) throw await refusal(status, res);
  if (status === 204) return undefined as T;
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new LanbridgeError(SdkErrorCode.NETWORK, 'the connection broke while reading the answer', { cause: err });
  }
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new LanbridgeError(SdkErrorCode.BAD_RESPONSE, `the server answered HTTP ${status} with no JSON`, {
      status,
      cause: err,
    });
  }
}

/** Sends a request and returns the body as bytes (pictures, photos). */
export async function requestBinary(rt: Runtime, req: HttpRequest): Promise<Binary> {
  const { status, res } = await send(rt, { ...req, headers: { accept: 'image/*', ...req.headers } });
  if (status < 200 || status > 299) throw await refusal(status, res);
  try {
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { contentType: res.headers.get('content-type') ?? 'application/octet-stream', bytes };
  } catch (err) {
    throw new LanbridgeError(SdkErrorCode.NETWORK, 'the connection broke while reading the answer', { cause: err });
  }
}

/** How a remote command is retried. */
export interface RetryPolicy {
  /** Give up this long after the first attempt (default 30 s). */
  readonly deadlineMs: number;
  /** First pause between attempts (default 500 ms), doubling, with jitter. */
  readonly initialDelayMs: number;
  /** Longest pause between attempts (default 5 s). */
  readonly maxDelayMs: number;
  /** Time limit of one attempt (default 15 s; never beyond the deadline). */
  readonly attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  deadlineMs: 30_000,
  initialDelayMs: 500,
  maxDelayMs: 5_000,
  attemptTimeoutMs: DEFAULT_TIMEOUT_MS,
};

/**
 * Worth another attempt with the same Idempotency-Key: no answer at all, or the broker/connector
 * could not reach the site (502 / 503 / 504, e.g. TUNNEL_OFFLINE while the tunnel is down).
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof LanbridgeError)) return false;
  if (err.code === SdkErrorCode.NETWORK || err.code === SdkErrorCode.TIMEOUT) return true;
  return err.status === 502 || err.status === 503 || err.status === 504;
}

/** The least time an attempt is given; none starts later than this before the deadline. */
const MIN_ATTEMPT_MS = 250;

/**
 * Runs `attempt` until it succeeds, fails for good, or the deadline passes; the attempt gets
 * the time it may take. The last error is thrown when the deadline passes.
 */
export async function retryUntilDeadline<T>(
  rt: Runtime,
  policy: RetryPolicy,
  attempt: (timeoutMs: number, n: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = rt.now() + policy.deadlineMs;
  const shortest = Math.min(MIN_ATTEMPT_MS, policy.attemptTimeoutMs);
  for (let n = 1; ; n++) {
    const remaining = deadline - rt.now();
    try {
      return await attempt(Math.max(shortest, Math.min(policy.attemptTimeoutMs, remaining)), n);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const retryAfterMs = err instanceof LanbridgeError && err.retryAfterS ? err.retryAfterS * 1000 : 0;
      const delay = Math.max(retryAfterMs, backoffDelay(n, policy.initialDelayMs, policy.maxDelayMs, rt));
      // No attempt starts that could not get a fair time to answer before the deadline.
      if (rt.now() + delay + shortest > deadline) throw err;
      await sleep(delay, signal);
    }
  }
}

/** One key per user action; every retry of that action reuses it. */
export function newIdempotencyKey(rt: Runtime): string {
  return randomUuid(rt);
}
