import { ActivationError, ActivationErrorCode } from './activation-error';

/** OAuth client id of connectors at the broker's authorization server. */
export const CONNECTOR_CLIENT_ID = 'lanbridge-connector';
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.2 answer. */
export interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  /** Absolute time (ms) the device code stops working. */
  readonly expiresAt: number;
  /** Seconds between polls. */
  readonly intervalS: number;
}

/** What the broker answers once the key is registered (device flow or activation code). */
export interface ActivatedConnector {
  readonly connectorId: string;
  readonly orgId: string;
  readonly orgSlug: string;
  readonly orgName: string;
  readonly area: string;
  readonly brokerUrl: string;
}

export interface CloudClientOptions {
  /** Broker base URL of the chosen area. */
  readonly brokerUrl: string;
  readonly timeoutMs?: number;
}

function base(url: string): string {
  return url.replace(/\/+$/, '');
}

async function post(
  url: string,
  body: URLSearchParams | object,
  timeoutMs: number,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const form = body instanceof URLSearchParams;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
        accept: 'application/json',
      },
      body: form ? body.toString() : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ActivationError(ActivationErrorCode.UNREACHABLE, `${url}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch (err) {
    throw new ActivationError(ActivationErrorCode.UNREACHABLE, `${url} answered HTTP ${res.status} without JSON`, {
      cause: err,
    });
  }
  if (typeof json !== 'object' || json === null) {
    throw new ActivationError(ActivationErrorCode.UNREACHABLE, `${url} answered an unexpected body`);
  }
  return { status: res.status, json: json as Record<string, unknown> };
}

function s(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || !v) throw new ActivationError(ActivationErrorCode.UNREACHABLE, `answer lacks ${k}`);
  return v;
}

/** RFC 6749 §5.2 error_description, else the error code, else the status. */
function errorDetail(json: Record<string, unknown>, status: number): string {
  if (typeof json.error_description === 'string') return json.error_description;
  if (typeof json.error === 'string') return json.error;
  if (typeof json.message === 'string') return json.message;
  return `HTTP ${status}`;
}

function activated(o: Record<string, unknown>, fallbackBroker: string): ActivatedConnector {
  return {
    connectorId: s(o, 'connector_id'),
    orgId: s(o, 'organization_id'),
    orgSlug: s(o, 'organization_slug'),
    orgName: s(o, 'organization_name'),
    area: s(o, 'area'),
    brokerUrl: typeof o.broker_url === 'string' && o.broker_url ? base(o.broker_url) : fallbackBroker,
  };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ActivationError(ActivationErrorCode.CANCELLED, 'cancelled'));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new ActivationError(ActivationErrorCode.CANCELLED, 'cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The connector's side of activation: RFC 8628 device flow and single-use activation codes. */
export class CloudClient {
  private readonly brokerUrl: string;
  private readonly timeoutMs: number;

  constructor(opts: CloudClientOptions) {
    this.brokerUrl = base(opts.brokerUrl);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Sign-up page of the area's broker; returns to the approval page afterwards. */
  get registerUrl(): string {
    return `${this.brokerUrl}/sign-up?return_to=${encodeURIComponent('/activate')}`;
  }

  /**
   * RFC 8628 §3.1: the public key, the host name and, when the local application has one, its
   * site hello (which site this connector reaches: a site belongs to one company).
   */
  async startDeviceAuthorization(input: {
    publicKeyPem: string;
    hostname: string;
    area: string;
    siteHello?: string;
  }): Promise<DeviceAuthorization> {
    const form = new URLSearchParams({
      client_id: CONNECTOR_CLIENT_ID,
      scope: 'connector',
      public_key: input.publicKeyPem,
      hostname: input.hostname,
      area: input.area,
    });
    if (input.siteHello) form.set('site_hello', input.siteHello);
    const { status, json } = await post(`${this.brokerUrl}/oauth/device_authorization`, form, this.timeoutMs);
    if (status !== 200) {
      const detail = errorDetail(json, status);
      throw new ActivationError(ActivationErrorCode.REFUSED, `device authorization refused: ${detail}`);
    }
    const expiresIn = Number(json.expires_in);
    const interval = json.interval === undefined ? 5 : Number(json.interval);
    return {
      deviceCode: s(json, 'device_code'),
      userCode: s(json, 'user_code'),
      verificationUri: s(json, 'verification_uri'),
      expiresAt: Date.now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 600) * 1000,
      intervalS: Number.isFinite(interval) && interval > 0 ? interval : 5,
    };
  }

  /**
   * Polls the token endpoint (RFC 8628 §3.4/3.5): waits `interval` before each poll, adds 5 s
   * on `slow_down`, keeps going on `authorization_pending` and on network errors (with the
   * interval doubled, §3.5), stops on `access_denied` / `expired_token` or at expiry.
   */
  async pollForActivation(
    auth: DeviceAuthorization,
    opts: { signal?: AbortSignal; onSlowDown?: (intervalS: number) => void } = {},
  ): Promise<ActivatedConnector> {
    let intervalS = auth.intervalS;
    for (;;) {
      await sleep(intervalS * 1000, opts.signal);
      if (Date.now() >= auth.expiresAt) {
        throw new ActivationError(ActivationErrorCode.EXPIRED, 'the code expired before it was approved');
      }
      let answer: { status: number; json: Record<string, unknown> };
      try {
        answer = await post(
          `${this.brokerUrl}/oauth/token`,
          new URLSearchParams({
            grant_type: DEVICE_CODE_GRANT,
            device_code: auth.deviceCode,
            client_id: CONNECTOR_CLIENT_ID,
          }),
          this.timeoutMs,
        );
      } catch (err) {
        if (err instanceof ActivationError && err.code === ActivationErrorCode.UNREACHABLE) {
          intervalS = Math.min(intervalS * 2, 60);
          continue;
        }
        throw err;
      }
      const { status, json } = answer;
      if (status === 200) return activated(json, this.brokerUrl);
      switch (json.error) {
        case 'authorization_pending':
          continue;
        case 'slow_down':
          intervalS += 5;
          opts.onSlowDown?.(intervalS);
          continue;
        case 'access_denied':
          throw new ActivationError(ActivationErrorCode.DENIED, 'the activation was denied');
        case 'expired_token':
          throw new ActivationError(ActivationErrorCode.EXPIRED, 'the code expired before it was approved');
        default: {
          const detail = errorDetail(json, status);
          throw new ActivationError(ActivationErrorCode.REFUSED, `token endpoint refused: ${detail}`);
        }
      }
    }
  }

  /** Scripted installs: a single-use activation code created in the portal. */
  async redeemActivationCode(input: {
    code: string;
    publicKeyPem: string;
    hostname: string;
    siteHello?: string;
  }): Promise<ActivatedConnector> {
    const { status, json } = await post(
      `${this.brokerUrl}/api/v1/connector-activations`,
      {
        code: input.code.trim(),
        publicKey: input.publicKeyPem,
        hostname: input.hostname,
        ...(input.siteHello ? { siteHello: input.siteHello } : {}),
      },
      this.timeoutMs,
    );
    if (status === 201 || status === 200) return activated(json, this.brokerUrl);
    const code = typeof json.code === 'string' ? json.code : '';
    const message = typeof json.message === 'string' ? json.message : `HTTP ${status}`;
    if (code === 'ACTIVATION_CODE_INVALID') throw new ActivationError(ActivationErrorCode.CODE_INVALID, message);
    throw new ActivationError(ActivationErrorCode.REFUSED, `${code || status}: ${message}`);
  }
}
