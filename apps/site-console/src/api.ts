/**
 * The console's HTTP layer: the site's own REST API (/api/v1) on the same origin, with the
 * operator's access token. A 401 is answered by one refresh (single-use refresh token); when that
 * fails too the session is over and the app returns to the sign-in page.
 */
import type { TokenPair } from '@lanbridge/mobile-api';

const STORE_KEY = 'lanbridge.console.session';

export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly username: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = (s: Session | null, reason?: 'expired') => void;
const listeners = new Set<Listener>();
let current: Session | null = readStored();
let refreshing: Promise<boolean> | null = null;

function readStored(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function setSession(s: Session | null, reason?: 'expired'): void {
  current = s;
  if (s) sessionStorage.setItem(STORE_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(STORE_KEY);
  for (const l of listeners) l(s, reason);
}

export const session = {
  get: (): Session | null => current,
  subscribe(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

async function parseError(res: Response): Promise<ApiError> {
  let code = 'HTTP_' + String(res.status);
  let message = res.statusText;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    code = body.code ?? code;
    message = body.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

async function refresh(): Promise<boolean> {
  const s = current;
  if (!s) return false;
  const res = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken: s.refreshToken }),
  });
  if (!res.ok) return false;
  const pair = (await res.json()) as TokenPair;
  setSession({ ...s, accessToken: pair.accessToken, refreshToken: pair.refreshToken });
  return true;
}

export interface RequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly query?: Record<string, string | number | boolean | undefined | null>;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function send(path: string, opts: RequestOptions, retried = false): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (current) headers.authorization = `Bearer ${current.accessToken}`;
  const res = await fetch(withQuery(path, opts.query), {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (res.status === 401 && current && !retried) {
    refreshing ??= refresh().finally(() => (refreshing = null));
    if (await refreshing) return send(path, opts, true);
    setSession(null, 'expired');
  }
  return res;
}

/** JSON API call; throws ApiError with the server's code and message. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (!res.ok) throw await parseError(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A protected binary (photo, picture) as an object URL for <img>. */
export async function apiBlobUrl(path: string): Promise<string> {
  const res = await send(path, {});
  if (!res.ok) throw await parseError(res);
  return URL.createObjectURL(await res.blob());
}

export async function signIn(username: string, password: string): Promise<void> {
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'admin', username, password }),
  });
  if (!res.ok) throw await parseError(res);
  const pair = (await res.json()) as TokenPair;
  setSession({ accessToken: pair.accessToken, refreshToken: pair.refreshToken, username });
}

export async function signOut(): Promise<void> {
  try {
    if (current) await send('/api/v1/auth/logout', { method: 'POST' });
  } finally {
    setSession(null);
  }
}

/** After a password change the server ends other sessions and returns a fresh pair for this one. */
export function replaceTokens(pair: TokenPair): void {
  if (current) setSession({ ...current, accessToken: pair.accessToken, refreshToken: pair.refreshToken });
}

/** Reads a File or Blob as base64 without the data: prefix (what the API takes for photos). */
export function toBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve((typeof r.result === 'string' ? r.result : '').replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(blob);
  });
}
