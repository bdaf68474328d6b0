import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { TunnelError, TunnelErrorCode, type TunnelSession, type TunnelStream } from '@lanbridge/tunnel-protocol';
import { BROKER_LOGGER } from '../config/broker.config';
import type { TunnelEntry } from '../tunnel/tunnel-registry';
import {
  helloThumbprint,
  peekIssuer,
  type SiteKeyMaterial,
  siteKeyMaterial,
  type SiteTokenRejection,
  verifySiteAccessToken,
  verifySiteHello,
} from './site-jws';
import { SiteTrustRepository } from './site-trust.repository';
import { type VerifiedSiteToken, VerifiedTokenCache } from './verified-token.cache';

export type { VerifiedSiteToken } from './verified-token.cache';

/** `{ onAdded(listener) }`: tunnels that come up on this node (the ObservedTunnelRegistry). */
export const SITE_TRUST_TUNNELS = Symbol('SITE_TRUST_TUNNELS');
/** Optional `Partial<SiteTrustOptions>` (tests shrink the timers). */
export const SITE_TRUST_OPTIONS = Symbol('SITE_TRUST_OPTIONS');

export interface TunnelEvents {
  onAdded(listener: (entry: TunnelEntry) => void): void;
}

export interface SiteTrustOptions {
  /** First pause after a failed hello; doubles up to retryMaxMs while the session lives. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Time the site has to answer one hello. */
  readonly helloTimeoutMs: number;
  /** Verified tokens kept (LRU). */
  readonly tokenCacheSize: number;
  /** How long a key read from the database is used before it is read again. */
  readonly keyTtlMs: number;
  /** How long "no key recorded" / "no such site" is remembered. */
  readonly missTtlMs: number;
  /**
   * Least time between two hellos the broker asks on a mere hint that the site's key changed
   * (a site answer or a token with a key it does not know), per organisation.
   */
  readonly suspectIntervalMs: number;
}

export const DEFAULT_SITE_TRUST_OPTIONS: SiteTrustOptions = {
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  helloTimeoutMs: 10_000,
  tokenCacheSize: 10_000,
  keyTtlMs: 60_000,
  missTtlMs: 2000,
  suspectIntervalMs: 10_000,
};

/** A token refused for these reasons may be signed by a key this node has not read yet. */
const KEY_MISMATCH: ReadonlySet<SiteTokenFailure> = new Set(['unknown-key', 'bad-signature', 'wrong-issuer']);
/** Least age of a key read from the database before a key mismatch reads it again. */
const RELOAD_AFTER_MS = 1000;

export const SITE_HELLO_PATH = '/api/v1/auth/hello';
/** A hello is well under 2 KiB; anything much larger is not one. */
const HELLO_MAX_BYTES = 16 * 1024;
/** Bound on remembered site ids (they come from tokens, so from anyone). */
const MAX_SITES = 10_000;

/** The site key the broker holds for an organisation. */
export interface SiteKey {
  readonly orgId: string;
  readonly siteId: string;
  /** `{ kty: 'OKP', crv: 'Ed25519', x }`. */
  readonly jwk: SiteKeyMaterial['jwk'];
  /** RFC 7638 thumbprint: the organisation QR's `skt`. */
  readonly thumbprint: string;
  readonly seenAt: Date;
}

export type SiteTokenFailure =
  | SiteTokenRejection
  /** No organisation has recorded the token's `iss` (verifyAccessToken only). */
  | 'unknown-site'
  /** The organisation's site key is not known yet (its site never answered a hello). */
  | 'key-unavailable'
  /** Several organisations hold this site and key: the token names no single one. */
  | 'ambiguous-site';

export type SiteTokenCheck =
  ({ readonly ok: true } & VerifiedSiteToken) | { readonly ok: false; readonly reason: SiteTokenFailure };

interface KeyEntry {
  readonly site: (SiteKeyMaterial & { readonly seenAt: Date }) | null;
  readonly expires: number;
  /** When it was read or recorded (Date.now()). */
  readonly at: number;
}

/** The hello loop of one tunnel session; `again` makes it ask once more after its current try. */
interface Learner {
  readonly entry: TunnelEntry;
  running: boolean;
  again: boolean;
  /** Wakes a backoff pause early. */
  wake: (() => void) | undefined;
}

type HelloOutcome = { ok: true; site: SiteKeyMaterial } | { ok: false; reason: string; status?: number };

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

function ignore(): void {}

function readBody(stream: TunnelStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        stream.reset(TunnelErrorCode.CANCELLED, 'answer too large');
        reject(new Error('answer too large'));
        return;
      }
      chunks.push(c);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('close', () => reject(new Error('stream closed before the end of the answer')));
  });
}

/**
 * Which on-prem site stands behind an organisation, and the tokens it signs
 * (docs/mobile-path.md §1, §3).
 *
 * When a tunnel of a `site-session` organisation comes up, the broker asks the site for a hello
 * through that tunnel with a nonce of its own, verifies it and records the site id and signing
 * key on the organisation (and here, in memory). A site that does not answer is asked again with
 * backoff while the session lives. Access tokens are then verified with the recorded key; good
 * ones are cached until they expire.
 */
@Injectable()
export class SiteTrustService implements OnModuleInit, OnApplicationShutdown {
  private readonly log: Logger;
  private readonly opts: SiteTrustOptions;
  private readonly keys = new Map<string, KeyEntry>();
  private readonly loadingKeys = new Map<string, Promise<KeyEntry>>();
  private readonly sites = new Map<string, { readonly orgIds: readonly string[]; readonly expires: number }>();
  private readonly tokens: VerifiedTokenCache;
  private readonly keyListeners: ((orgId: string, key: SiteKey) => void)[] = [];
  /** Pending backoff pauses, woken at shutdown. */
  private readonly pauses = new Set<() => void>();
  /** Hello loops by session id, and this node's live tunnels by organisation. */
  private readonly learners = new Map<string, Learner>();
  private readonly liveByOrg = new Map<string, Set<TunnelEntry>>();
  /** Per organisation, when a hint last made the broker ask the site (Date.now()). */
  private readonly suspectedAt = new Map<string, number>();
  /** Hints that came within the interval, asked once it ends (one timer per organisation). */
  private readonly deferredSuspects = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly repo: SiteTrustRepository,
    @Inject(SITE_TRUST_TUNNELS) private readonly tunnels: TunnelEvents,
    @Inject(BROKER_LOGGER) logger: Logger,
    @Optional() @Inject(SITE_TRUST_OPTIONS) options?: Partial<SiteTrustOptions>,
  ) {
    this.log = logger.child({ component: 'site-trust' });
    this.opts = { ...DEFAULT_SITE_TRUST_OPTIONS, ...options };
    this.tokens = new VerifiedTokenCache(this.opts.tokenCacheSize);
  }

  onModuleInit(): void {
    this.tunnels.onAdded((entry) => this.sessionUp(entry));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const wake of [...this.pauses]) wake();
    for (const timer of this.deferredSuspects.values()) clearTimeout(timer);
    this.deferredSuspects.clear();
  }

  /** Called with the new key whenever an organisation's recorded site key is new or changed. */
  onSiteKeyChanged(listener: (orgId: string, key: SiteKey) => void): void {
    this.keyListeners.push(listener);
  }

  /** The organisation's recorded site key, or undefined while none is known. */
  async siteKey(orgId: string): Promise<SiteKey | undefined> {
    const site = (await this.keyEntry(orgId)).site;
    return site
      ? { orgId, siteId: site.siteId, jwk: site.jwk, thumbprint: site.thumbprint, seenAt: site.seenAt }
      : undefined;
  }

  /**
   * Verifies a site access token for one organisation, with that organisation's recorded key
   * (EdDSA, typ at+jwt, aud lanbridge-mobile, iss = the recorded site id, not expired).
   */
  async verifyForOrg(orgId: string, token: string): Promise<SiteTokenCheck> {
    const now = nowS();
    const cached = this.tokens.get(token, now);
    if (cached !== undefined && cached.orgId === orgId) return { ok: true, ...publicPart(cached) };
    const entry = this.keys.get(orgId);
    let current = entry !== undefined && entry.expires > Date.now() ? entry : await this.keyEntry(orgId);
    let site = current.site;
    if (!site) return { ok: false, reason: 'key-unavailable' };
    let r = verifySiteAccessToken(token, site, now);
    if (!r.ok && KEY_MISMATCH.has(r.reason) && Date.now() - current.at >= RELOAD_AFTER_MS) {
      // Another broker node may have learnt a new key since this one read it: read it again.
      this.keys.delete(orgId);
      current = await this.keyEntry(orgId);
      site = current.site;
      if (!site) return { ok: false, reason: 'key-unavailable' };
      r = verifySiteAccessToken(token, site, now);
      // Still unknown: the site itself may have a new key; ask it (at most once per interval).
      if (!r.ok && r.reason === 'unknown-key') this.suspect(orgId, 'a token signed by a key the broker does not know');
    }
    if (!r.ok) return r;
    const verified: VerifiedSiteToken = {
      orgId,
      siteId: site.siteId,
      role: r.claims.role,
      sub: r.claims.sub,
      sid: r.claims.sid,
      exp: r.claims.exp,
    };
    this.tokens.set(token, { ...verified, thumbprint: site.thumbprint });
    return { ok: true, ...verified };
  }

  /**
   * Verifies a site access token of any organisation: the organisation is the one whose recorded
   * site id is the token's `iss`, and the token must verify with that organisation's key. The
   * tenant comes from the token, never from the request.
   */
  async verifyAccessToken(token: string): Promise<SiteTokenCheck> {
    const cached = this.tokens.get(token, nowS());
    if (cached !== undefined) return { ok: true, ...publicPart(cached) };
    const iss = peekIssuer(token);
    if (iss === undefined) return { ok: false, reason: 'malformed' };
    const orgIds = await this.orgIdsOfSite(iss);
    if (orgIds.length === 0) return { ok: false, reason: 'unknown-site' };
    let match: SiteTokenCheck | undefined;
    let failure: SiteTokenFailure = 'unknown-site';
    for (const orgId of orgIds) {
      const r = await this.verifyForOrg(orgId, token);
      if (!r.ok) failure = r.reason;
      else if (match === undefined) match = r;
      else return { ok: false, reason: 'ambiguous-site' };
    }
    return match ?? { ok: false, reason: failure };
  }

  // ---- learning the key ------------------------------------------------------------------

  /**
   * Asks the site behind this tunnel for its hello again, now: the connector's server address
   * changed (it said so, or the portal pushed a new one), so the tunnel may reach another site.
   * A loop still retrying is woken; one that has finished runs once more.
   */
  relearn(entry: TunnelEntry, reason: string): void {
    if (entry.session.state !== 'open') return;
    this.log.info(
      { orgId: entry.orgId, connectorId: entry.connectorId, sessionId: entry.sessionId, reason },
      'asking the site for its key again',
    );
    const learner = this.learners.get(entry.sessionId);
    if (learner?.running) {
      learner.again = true;
      learner.wake?.();
      return;
    }
    this.runLearner(learner ?? this.newLearner(entry));
  }

  /**
   * A site answered a client's hello through the tunnel (`body`, as it passed): when the key it
   * shows is not the one recorded, the tunnel reaches another site now, so the broker asks it
   * itself (with its own nonce; what passed is only a hint).
   */
  observeHello(orgId: string, body: Buffer): void {
    let hello: unknown;
    try {
      hello = (JSON.parse(body.toString('utf8')) as { hello?: unknown } | null)?.hello;
    } catch {
      return;
    }
    const shown = typeof hello === 'string' ? helloThumbprint(hello) : undefined;
    if (shown === undefined) return;
    const known = this.keys.get(orgId)?.site?.thumbprint;
    if (known === shown) return;
    void this.keyEntry(orgId).then(
      (e) => {
        if (e.site?.thumbprint !== shown)
          this.suspect(orgId, 'the site answered a hello with a key the broker does not know');
      },
      (err: unknown) => this.log.warn({ err, orgId }, 'could not read the site key'),
    );
  }

  /** Asks the site of the organisation (through its newest tunnel on this node), at most once per interval. */
  private suspect(orgId: string, reason: string): void {
    if (this.stopped) return;
    const last = this.suspectedAt.get(orgId);
    if (last !== undefined && Date.now() - last < this.opts.suspectIntervalMs) {
      // The interval bounds how often a site is asked, not which hints count: a hint that comes
      // within it (the site was replaced seconds after the last ask) is asked once it ends.
      if (!this.deferredSuspects.has(orgId) && this.deferredSuspects.size < MAX_SITES) {
        const timer = setTimeout(
          () => {
            this.deferredSuspects.delete(orgId);
            this.suspect(orgId, reason);
          },
          last + this.opts.suspectIntervalMs - Date.now(),
        );
        timer.unref();
        this.deferredSuspects.set(orgId, timer);
      }
      return;
    }
    const entries = this.liveByOrg.get(orgId);
    if (!entries || entries.size === 0) return;
    let newest: TunnelEntry | undefined;
    for (const e of entries) if (!newest || e.connectedAt > newest.connectedAt) newest = e;
    if (!newest) return;
    this.suspectedAt.set(orgId, Date.now());
    if (this.suspectedAt.size > MAX_SITES) {
      const oldest = this.suspectedAt.keys().next();
      if (!oldest.done) this.suspectedAt.delete(oldest.value);
    }
    this.relearn(newest, reason);
  }

  private sessionUp(entry: TunnelEntry): void {
    let live = this.liveByOrg.get(entry.orgId);
    if (!live) this.liveByOrg.set(entry.orgId, (live = new Set()));
    live.add(entry);
    entry.session.once('close', () => {
      this.learners.delete(entry.sessionId);
      const set = this.liveByOrg.get(entry.orgId);
      set?.delete(entry);
      if (set?.size === 0) this.liveByOrg.delete(entry.orgId);
    });
    this.runLearner(this.newLearner(entry));
  }

  private newLearner(entry: TunnelEntry): Learner {
    const learner: Learner = { entry, running: false, again: false, wake: undefined };
    if (entry.session.state === 'open') this.learners.set(entry.sessionId, learner);
    return learner;
  }

  private runLearner(learner: Learner): void {
    learner.running = true;
    this.learn(learner)
      .catch((err: unknown) => {
        const { entry } = learner;
        this.log.error({ err, orgId: entry.orgId, sessionId: entry.sessionId }, 'site hello loop crashed');
      })
      .finally(() => {
        learner.running = false;
      });
  }

  private async learn(learner: Learner): Promise<void> {
    const { entry } = learner;
    const { session } = entry;
    const ctx = { orgId: entry.orgId, connectorId: entry.connectorId, sessionId: entry.sessionId };
    let delay = this.opts.retryBaseMs;
    for (let attempt = 1; !this.stopped && session.state === 'open'; attempt++) {
      learner.again = false;
      let failure: { reason: string; status?: number; err?: unknown };
      try {
        const policy = await this.repo.ingressPolicy(entry.orgId);
        // A generic HTTP tunnel has no site to ask.
        if (policy !== 'site-session') return;
        const hello = await this.fetchHello(session);
        if (hello.ok) {
          if (!(await this.record(entry, hello.site))) return;
          if (!learner.again) return;
          // Asked again while this hello was under way: the answer may predate the change.
          delay = this.opts.retryBaseMs;
          continue;
        }
        failure = hello;
      } catch (err) {
        failure = { reason: 'error', err };
      }
      if (this.stopped || session.state !== 'open') return;
      if (learner.again) {
        delay = this.opts.retryBaseMs;
        continue;
      }
      this.log.warn({ ...ctx, ...failure, attempt, retryInMs: delay }, 'site hello failed; asking again');
      await this.pause(delay, learner);
      delay = learner.again ? this.opts.retryBaseMs : Math.min(delay * 2, this.opts.retryMaxMs);
    }
  }

  private pause(ms: number, learner: Learner): Promise<void> {
    const { session } = learner.entry;
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        session.off('close', wake);
        this.pauses.delete(wake);
        learner.wake = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      session.once('close', wake);
      this.pauses.add(wake);
      learner.wake = wake;
    });
  }

  /** One `POST /api/v1/auth/hello` with a fresh nonce through `session`, verified. */
  private async fetchHello(session: TunnelSession): Promise<HelloOutcome> {
    const nonce = randomBytes(32).toString('base64url');
    const body = Buffer.from(JSON.stringify({ nonce }));
    let stream: TunnelStream;
    try {
      stream = session.openStream({
        method: 'POST',
        path: SITE_HELLO_PATH,
        headers: [
          'Content-Type',
          'application/json',
          'Content-Length',
          String(body.length),
          'Accept',
          'application/json',
          'User-Agent',
          'lanbridge-broker',
        ],
      });
    } catch (err) {
      return { ok: false, reason: `tunnel refused the stream: ${err instanceof Error ? err.message : String(err)}` };
    }
    stream.on('error', ignore);
    const timer = setTimeout(() => {
      stream.reset(TunnelErrorCode.UPSTREAM_TIMEOUT, 'no hello in time');
    }, this.opts.helloTimeoutMs);
    try {
      stream.end(body);
      const head = await stream.responseHead();
      const answer = await readBody(stream, HELLO_MAX_BYTES);
      if (head.status !== 200) return { ok: false, reason: 'site answered an error', status: head.status };
      let hello: unknown;
      try {
        hello = (JSON.parse(answer.toString('utf8')) as { hello?: unknown } | null)?.hello;
      } catch {
        hello = undefined;
      }
      if (typeof hello !== 'string') return { ok: false, reason: 'answer has no hello' };
      const r = verifySiteHello(hello, { nonce, now: nowS() });
      return r.ok ? { ok: true, site: r.site } : { ok: false, reason: `hello refused: ${r.reason}` };
    } catch (err) {
      return { ok: false, reason: `tunnel: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records the site learnt through `entry`'s tunnel; false when it belongs to another organisation. */
  private async record(entry: TunnelEntry, site: SiteKeyMaterial): Promise<boolean> {
    const previous = await this.siteKey(entry.orgId);
    const seenAt = new Date();
    const ctx = {
      orgId: entry.orgId,
      connectorId: entry.connectorId,
      sessionId: entry.sessionId,
      siteId: site.siteId,
      thumbprint: site.thumbprint,
    };
    const claim = await this.repo.claimSiteKey(
      { orgId: entry.orgId, siteId: site.siteId, jwk: site.jwk, thumbprint: site.thumbprint, seenAt },
      entry.connectorId,
    );
    if (!claim.claimed) {
      // One site, one company: its tokens would otherwise name two organisations.
      this.forget(entry.orgId, previous);
      this.log.warn(
        { ...ctx, holderOrgId: claim.holderOrgId },
        'site refused: it belongs to another organisation with an active connector; tunnel closed',
      );
      entry.session.close(new TunnelError(TunnelErrorCode.SITE_CLAIMED, 'this site belongs to another organisation'));
      return false;
    }
    for (const orgId of claim.releasedFrom) {
      this.forget(orgId, await this.siteKeyCached(orgId));
      this.log.info({ ...ctx, fromOrgId: orgId }, 'site moved here from an organisation without an active connector');
    }
    this.keys.set(entry.orgId, { site: { ...site, seenAt }, expires: Date.now() + this.opts.keyTtlMs, at: Date.now() });
    this.sites.delete(site.siteId);
    if (previous && previous.siteId !== site.siteId) this.sites.delete(previous.siteId);
    if (previous && (previous.thumbprint !== site.thumbprint || previous.siteId !== site.siteId)) {
      this.tokens.dropOrg(entry.orgId, previous.siteId === site.siteId ? site.thumbprint : undefined);
      this.log.warn(
        { ...ctx, previousSiteId: previous.siteId, previousThumbprint: previous.thumbprint },
        'site key changed; tokens signed with the previous key are refused from now on',
      );
    } else if (!previous) {
      this.log.info(ctx, 'site key recorded');
    } else {
      this.log.debug(ctx, 'site key confirmed');
      return true;
    }
    const key: SiteKey = {
      orgId: entry.orgId,
      siteId: site.siteId,
      jwk: site.jwk,
      thumbprint: site.thumbprint,
      seenAt,
    };
    for (const l of this.keyListeners) {
      try {
        l(entry.orgId, key);
      } catch (err) {
        this.log.error({ err, orgId: entry.orgId }, 'site key listener failed');
      }
    }
    return true;
  }

  /** Drops what this node holds of an organisation's site: its key, its tokens, the site's lookup. */
  private forget(orgId: string, site: SiteKey | undefined): void {
    this.keys.delete(orgId);
    this.tokens.dropOrg(orgId);
    if (site) this.sites.delete(site.siteId);
  }

  /** The key this node holds for an organisation, without asking the database. */
  private siteKeyCached(orgId: string): Promise<SiteKey | undefined> {
    const site = this.keys.get(orgId)?.site;
    return Promise.resolve(
      site
        ? { orgId, siteId: site.siteId, jwk: site.jwk, thumbprint: site.thumbprint, seenAt: site.seenAt }
        : undefined,
    );
  }

  // ---- cached lookups --------------------------------------------------------------------

  private keyEntry(orgId: string): Promise<KeyEntry> {
    const hit = this.keys.get(orgId);
    if (hit !== undefined && hit.expires > Date.now()) return Promise.resolve(hit);
    const pending = this.loadingKeys.get(orgId);
    if (pending) return pending;
    const p = this.repo
      .siteKey(orgId)
      .then((stored): KeyEntry => {
        const material = stored ? siteKeyMaterial(stored.siteId, stored.jwk) : undefined;
        const entry: KeyEntry = material
          ? {
              site: { ...material, seenAt: stored?.seenAt ?? new Date(0) },
              expires: Date.now() + this.opts.keyTtlMs,
              at: Date.now(),
            }
          : { site: null, expires: Date.now() + this.opts.missTtlMs, at: Date.now() };
        // A hello recorded while the query ran is newer than what the query read.
        const current = this.keys.get(orgId);
        if (current === undefined || current.expires <= Date.now()) this.keys.set(orgId, entry);
        return this.keys.get(orgId) ?? entry;
      })
      .finally(() => this.loadingKeys.delete(orgId));
    this.loadingKeys.set(orgId, p);
    return p;
  }

  private async orgIdsOfSite(siteId: string): Promise<readonly string[]> {
    const hit = this.sites.get(siteId);
    if (hit !== undefined && hit.expires > Date.now()) return hit.orgIds;
    const orgIds = siteId.length <= 200 ? await this.repo.orgIdsOfSite(siteId) : [];
    if (this.sites.size >= MAX_SITES) {
      const oldest = this.sites.keys().next();
      if (!oldest.done) this.sites.delete(oldest.value);
    }
    const ttl = orgIds.length > 0 ? this.opts.keyTtlMs : this.opts.missTtlMs;
    this.sites.set(siteId, { orgIds, expires: Date.now() + ttl });
    return orgIds;
  }
}

function publicPart(e: VerifiedSiteToken): VerifiedSiteToken {
  return { orgId: e.orgId, siteId: e.siteId, role: e.role, sub: e.sub, sid: e.sid, exp: e.exp };
}
