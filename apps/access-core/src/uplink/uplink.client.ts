/** How long one uplink request may take before it counts as failed. */
export const UPLINK_REQUEST_TIMEOUT_MS = 10_000;
/** Larger answers are not read (an `accepted` list of 100 ids is a few kB). */
const MAX_ANSWER_BYTES = 256 * 1024;

/** Why an uplink request failed: a network error, a timeout or a non-2xx status. */
export class UplinkFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UplinkFailure';
  }
}

export interface UplinkAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * HTTP to the edge connector's uplink (docs/mobile-path.md §6), with fetch (undici). `base` is
 * CLOUD_UPLINK_URL, e.g. http://127.0.0.1:8081/uplink; paths are appended (`/v1/devices`).
 */
export class UplinkClient {
  private readonly base: string;

  constructor(base: string) {
    this.base = base.replace(/\/+$/, '');
  }

  /** Resolves with a 2xx answer; throws UplinkFailure otherwise. `signal` aborts at shutdown. */
  async request(
    method: 'POST' | 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<UplinkAnswer> {
    const what = `${method} ${path}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(UPLINK_REQUEST_TIMEOUT_MS)]),
      });
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : describeNetworkError(err);
      throw new UplinkFailure(`${what}: ${reason}`, undefined, { cause: err });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new UplinkFailure(`${what}: the answer broke off`, res.status, { cause: err });
    }
    if (res.status < 200 || res.status > 299) {
      throw new UplinkFailure(`${what}: HTTP ${res.status}${errorCode(text)}`, res.status);
    }
    if (text.length > MAX_ANSWER_BYTES) throw new UplinkFailure(`${what}: answer too large`, res.status);
    let parsed: unknown = undefined;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        throw new UplinkFailure(`${what}: the answer is not JSON`, res.status);
      }
    }
    return { status: res.status, body: parsed };
  }
}

function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return `network error (${cause.code})`;
  if (cause && typeof cause.message === 'string') return `network error (${cause.message})`;
  return `network error (${err instanceof Error ? err.message : String(err)})`;
}

/** ` (CODE)` when the error body is the usual `{code, message}`. */
function errorCode(text: string): string {
  try {
    const v = JSON.parse(text) as unknown;
    const code = typeof v === 'object' && v !== null ? (v as { code?: unknown }).code : undefined;
    return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? ` (${code})` : '';
  } catch {
    return '';
  }
}
