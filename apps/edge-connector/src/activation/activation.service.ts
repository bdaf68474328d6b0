import type { Logger } from '@lanbridge/logging';
import { publicKeyPem } from '../keys/connector-key';
import { ActivationError, ActivationErrorCode } from './activation-error';
import { parseLocalAppUrl } from './activation-state';
import { type Area, loadAreas } from './areas';
import { fetchSiteHello } from './site-hello';
import { CloudClient, type DeviceAuthorization } from './cloud-client';
import type { ConnectorRuntime } from './connector-runtime';

/**
 * - `setup`: step 1, nothing sent to the cloud yet.
 * - `pending`: a device code is out; the page shows the user code (steps 2-3) and we poll (step 4).
 * - `failed`: denied, expired or refused; the page offers to start again.
 * - `activated`: the runtime holds an activation; the page shows status and the QR.
 */
export type ActivationPhase = 'setup' | 'pending' | 'failed' | 'activated';

export interface PendingView {
  readonly area: Area;
  readonly localAppUrl: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly registerUrl: string;
  readonly expiresAt: Date;
}

export interface ActivationView {
  readonly phase: ActivationPhase;
  readonly pending?: PendingView;
  readonly failure?: { readonly code: ActivationErrorCode; readonly message: string };
}

export interface ActivationServiceOptions {
  readonly runtime: ConnectorRuntime;
  /** Where the area list comes from; undefined = built-in list. */
  readonly cloudUrl: string | undefined;
  readonly hostname: string;
  readonly logger: Logger;
}

const AREA_CACHE_MS = 60_000;

/** The installer's four steps, driven from the local page. */
export class ActivationService {
  private pending: PendingView | undefined;
  private failure: ActivationView['failure'];
  private abort: AbortController | undefined;
  private areaCache: { at: number; value: { areas: readonly Area[]; fallback: boolean } } | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ActivationServiceOptions) {
    this.log = opts.logger.child({ component: 'activation' });
  }

  view(): ActivationView {
    if (this.opts.runtime.activated) return { phase: 'activated' };
    if (this.pending) return { phase: 'pending', pending: this.pending };
    if (this.failure) return { phase: 'failed', failure: this.failure };
    return { phase: 'setup' };
  }

  async areas(): Promise<{ areas: readonly Area[]; fallback: boolean }> {
    const now = Date.now();
    if (this.areaCache && now - this.areaCache.at < AREA_CACHE_MS && !this.areaCache.value.fallback) {
      return this.areaCache.value;
    }
    const value = await loadAreas(this.opts.cloudUrl);
    this.areaCache = { at: now, value };
    return value;
  }

  /** Step 1 → 2: asks the area's broker for a device code, then polls in the background. */
  async begin(input: { areaId: string; localAppUrl: string }): Promise<PendingView> {
    if (this.opts.runtime.activated || this.pending) {
      throw new ActivationError(ActivationErrorCode.BUSY, 'an activation is already in progress or done');
    }
    const { area, localAppUrl } = await this.checkInput(input);
    const cloud = new CloudClient({ brokerUrl: area.brokerUrl });
    this.failure = undefined;
    const auth = await cloud.startDeviceAuthorization({
      publicKeyPem: publicKeyPem(this.opts.runtime.publicKey),
      hostname: this.opts.hostname,
      area: area.id,
      siteHello: await fetchSiteHello(localAppUrl),
    });
    const pending: PendingView = {
      area,
      localAppUrl,
      userCode: auth.userCode,
      verificationUri: auth.verificationUri,
      registerUrl: cloud.registerUrl,
      expiresAt: new Date(auth.expiresAt),
    };
    this.pending = pending;
    this.log.info({ area: area.id, userCode: auth.userCode }, 'device authorization started');
    this.poll(cloud, auth, pending);
    return pending;
  }

  /** Scripted or no-browser install: a single-use code from the portal, no polling. */
  async redeem(input: { areaId: string; localAppUrl: string; code: string }): Promise<void> {
    if (this.opts.runtime.activated || this.pending) {
      throw new ActivationError(ActivationErrorCode.BUSY, 'an activation is already in progress or done');
    }
    const { area, localAppUrl } = await this.checkInput(input);
    if (!input.code.trim()) throw new ActivationError(ActivationErrorCode.CODE_INVALID, 'activation code missing');
    const result = await new CloudClient({ brokerUrl: area.brokerUrl }).redeemActivationCode({
      code: input.code,
      publicKeyPem: publicKeyPem(this.opts.runtime.publicKey),
      hostname: this.opts.hostname,
      siteHello: await fetchSiteHello(localAppUrl),
    });
    this.failure = undefined;
    this.opts.runtime.activate(result, localAppUrl);
  }

  /** Back to step 1 (cancels polling, clears a failure). */
  cancel(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.pending = undefined;
    this.failure = undefined;
  }

  close(): void {
    this.abort?.abort();
  }

  private async checkInput(input: {
    areaId: string;
    localAppUrl: string;
  }): Promise<{ area: Area; localAppUrl: string }> {
    const localAppUrl = parseLocalAppUrl(input.localAppUrl);
    if (!localAppUrl)
      throw new ActivationError(ActivationErrorCode.INVALID_INPUT, 'server address must be an http:// URL');
    const area = (await this.areas()).areas.find((a) => a.id === input.areaId);
    if (!area) throw new ActivationError(ActivationErrorCode.INVALID_INPUT, `unknown area "${input.areaId}"`);
    return { area, localAppUrl };
  }

  private poll(cloud: CloudClient, auth: DeviceAuthorization, pending: PendingView): void {
    const abort = new AbortController();
    this.abort = abort;
    cloud
      .pollForActivation(auth, {
        signal: abort.signal,
        onSlowDown: (intervalS) => this.log.info({ intervalS }, 'broker asked to slow down'),
      })
      .then(
        (result) => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          this.opts.runtime.activate(result, pending.localAppUrl);
        },
        (err: unknown) => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          const e =
            err instanceof ActivationError
              ? err
              : new ActivationError(ActivationErrorCode.UNREACHABLE, String(err), { cause: err });
          if (e.code === ActivationErrorCode.CANCELLED) return;
          this.failure = { code: e.code, message: e.message };
          this.log.warn({ code: e.code, reason: e.message }, 'activation failed');
        },
      );
  }
}
