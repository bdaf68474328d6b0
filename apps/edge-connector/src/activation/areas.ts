import { ActivationError, ActivationErrorCode } from './activation-error';

/** A cloud region: the broker a connector in that area dials. */
export interface Area {
  readonly id: string;
  readonly name: string;
  /** Broker base URL (http/https). */
  readonly brokerUrl: string;
}

/** Used when no CLOUD_URL is configured or the cloud cannot be reached. */
export const BUILT_IN_AREAS: readonly Area[] = [
  { id: 'sg', name: 'Singapore', brokerUrl: 'https://sg.lanbridge.cloud' },
  { id: 'us', name: 'America', brokerUrl: 'https://us.lanbridge.cloud' },
];

function isArea(v: unknown): v is Area {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.name !== 'string' || typeof o.brokerUrl !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(o.brokerUrl).protocol);
  } catch {
    return false;
  }
}

/** GET <cloudUrl>/api/v1/areas; throws UNREACHABLE on any failure so the caller can fall back. */
export async function fetchAreas(cloudUrl: string, timeoutMs = 5000): Promise<Area[]> {
  let body: unknown;
  try {
    const res = await fetch(`${cloudUrl.replace(/\/+$/, '')}/api/v1/areas`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (err) {
    throw new ActivationError(ActivationErrorCode.UNREACHABLE, `area list unavailable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const list = Array.isArray(body) ? body.filter(isArea) : [];
  if (list.length === 0) throw new ActivationError(ActivationErrorCode.UNREACHABLE, 'the cloud listed no areas');
  return list.map((a) => ({ id: a.id, name: a.name, brokerUrl: a.brokerUrl.replace(/\/+$/, '') }));
}

/** The cloud's list when reachable, else the built-in one (and says which). */
export async function loadAreas(cloudUrl: string | undefined): Promise<{ areas: readonly Area[]; fallback: boolean }> {
  if (!cloudUrl) return { areas: BUILT_IN_AREAS, fallback: false };
  try {
    return { areas: await fetchAreas(cloudUrl), fallback: false };
  } catch {
    return { areas: BUILT_IN_AREAS, fallback: true };
  }
}
