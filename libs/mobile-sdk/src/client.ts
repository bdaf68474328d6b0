/**
 * LanbridgeClient: scan → hello → login → typed API, live events and push registration.
 *
 *   const client = new LanbridgeClient({ trustedIssuers: [{ issuer: 'https://sg.lanbridge.example' }] });
 *   const org = await client.scan(qrText);          // show org.name for the user to confirm
 *   await client.login({ type: 'admin', username, password });
 *   const dash = await client.dashboard.get();
 *
 * State an app keeps across restarts: `client.organisation` and `client.session` (pass them back
 * as `org` / `session`; `onSessionChange` fires whenever the tokens change).
 */
import { LanbridgeError, SdkErrorCode } from './errors';
import {
  type Binary,
  DEFAULT_RETRY_POLICY,
  DEFAULT_TIMEOUT_MS,
  type HttpMethod,
  newIdempotencyKey,
  type QueryValue,
  requestBinary,
  requestJson,
  retryUntilDeadline,
  type RetryPolicy,
} from './http';
import { JwksCache, type Organisation, type TrustedIssuer, verifyOrgQrWith } from './org-qr';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime';
import {
  encryptLogin,
  type LoginCredentials,
  newNonce,
  type Role,
  type SiteSigningJwk,
  type VerifiedHello,
  verifyAccessToken,
  verifySiteHello,
} from './site-hello';
import { LiveStream, STREAM_PATH, type WatchOptions } from './stream';
import type {
  AccessRecordQuery,
  AccessRecordView,
  AlarmDetailView,
  AlarmQuery,
  AlarmSummary,
  AlarmView,
  CommandOutcome,
  CreateInvitation,
  CreatePerson,
  CredentialQr,
  Dashboard,
  DeviceQuery,
  DeviceView,
  DoorQuery,
  DoorView,
  HostView,
  InvitationCreated,
  InvitationView,
  LockdownGroupView,
  MeView,
  NotificationQuery,
  NotificationView,
  Page,
  PageQuery,
  PersonQuery,
  PersonView,
  PhotoKind,
  PrivacyPolicy,
  PushSubscriptionInput,
  PushSubscriptionView,
  RegisterVisit,
  Reinvite,
  TokenPair,
  UpdatePerson,
  VisitQuery,
  VisitStatistics,
  VisitSummary,
  VisitView,
} from './types';

/** Everything needed to use a signed-in session again later (keep it as secret as a password). */
export interface SessionSnapshot {
  readonly accessToken: string;
  /** Epoch ms. */
  readonly accessExpiresAt: number;
  readonly refreshToken: string;
  readonly refreshExpiresAt: string;
  readonly role: Role;
  readonly siteId: string;
  /** User id (operator or person) and display name, from the access token. */
  readonly subject: string;
  readonly name: string;
  /** The pinned site signing key every later token must verify with. */
  readonly siteKey: SiteSigningJwk;
}

export interface LanbridgeClientOptions extends RuntimeOptions {
  /** Brokers the app trusts (built into the app). Required for scan(). */
  readonly trustedIssuers?: readonly TrustedIssuer[];
  /** Accept QR codes without a site key pin. Default false: such QRs fail with QR_NOT_PINNED. */
  readonly allowUnpinned?: boolean;
  /** A previously scanned organisation. */
  readonly org?: Organisation;
  /** A previously saved session (of `org`). */
  readonly session?: SessionSnapshot;
  /** Called with the new session after login/refresh/password change, and undefined when it ends. */
  readonly onSessionChange?: (session: SessionSnapshot | undefined) => void;
  /** Time limit per request (default 15 s). */
  readonly requestTimeoutMs?: number;
  /** Remote commands (unlock, cancel alarm, lockdown): retry until this deadline (default 30 s). */
  readonly commandDeadlineMs?: number;
  /** First pause between command retries (default 500 ms) and the longest (default 5 s). */
  readonly commandRetryInitialDelayMs?: number;
  readonly commandRetryMaxDelayMs?: number;
  /** Refresh the access token this long before it expires (default 60 s). */
  readonly refreshLeewayS?: number;
  /** Allowed clock difference in token checks (default 60 s). */
  readonly clockToleranceS?: number;
}

export interface CommandOptions {
  /** Override the deadline for this call. */
  readonly deadlineMs?: number;
  /** Use this key instead of a new one (the app retries an action it persisted). */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

interface ApiCall {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const id = (v: string): string => {
  if (typeof v !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(v)) {
    throw new LanbridgeError(SdkErrorCode.INVALID_ARGUMENT, `not an id: ${String(v)}`);
  }
  return encodeURIComponent(v);
};

type Query = Readonly<Record<string, QueryValue>>;
const q = (o: object | undefined): Query | undefined => o as Query | undefined;

export class LanbridgeClient {
  readonly rt: Runtime;
  private readonly trustedIssuers: readonly TrustedIssuer[];
  private readonly jwks: JwksCache;
  private org: Organisation | undefined;
  private sessionValue: SessionSnapshot | undefined;
  private refreshing: Promise<SessionSnapshot> | undefined;

  constructor(private readonly options: LanbridgeClientOptions = {}) {
    this.rt = createRuntime(options);
    this.trustedIssuers = options.trustedIssuers ?? [];
    this.jwks = new JwksCache(this.rt);
    this.org = options.org;
    this.sessionValue = options.session;
  }

  get organisation(): Organisation | undefined {
    return this.org;
  }

  get session(): SessionSnapshot | undefined {
    return this.sessionValue;
  }

  get role(): Role | undefined {
    return this.sessionValue?.role;
  }

  private get tolerance(): number {
    return this.options.clockToleranceS ?? 60;
  }

  // ---- organisation

  /** Verifies a scanned QR text (every check, then the broker's resolve) and makes it the current organisation. */
  async scan(qrText: string): Promise<Organisation> {
    if (this.trustedIssuers.length === 0) {
      throw new LanbridgeError(SdkErrorCode.QR_UNTRUSTED_ISSUER, 'no trusted Lanbridge service is configured');
    }
    const org = await verifyOrgQrWith(this.rt, qrText, {
      trustedIssuers: this.trustedIssuers,
      allowUnpinned: this.options.allowUnpinned,
      clockToleranceS: this.tolerance,
      jwksCache: this.jwks,
    });
    this.useOrganisation(org);
    return org;
  }

  /** Switches to an organisation verified earlier; a session of another organisation ends. */
  useOrganisation(org: Organisation): void {
    const changed = this.org !== undefined && (this.org.orgId !== org.orgId || this.org.api !== org.api);
    this.org = org;
    if (changed) this.setSession(undefined);
  }

  private requireOrg(): Organisation {
    if (!this.org) throw new LanbridgeError(SdkErrorCode.NO_ORGANISATION, 'scan an organisation QR code first');
    return this.org;
  }

  private pin(org: Organisation): string | null {
    if (org.skt === null && !this.options.allowUnpinned) {
      throw new LanbridgeError(SdkErrorCode.QR_NOT_PINNED, 'the organisation does not pin its site key');
    }
    return org.skt;
  }

  // ---- sign-in

  /** Asks the site to prove its key (POST auth/hello) and checks the answer against the QR pin. */
  async hello(): Promise<VerifiedHello> {
    const org = this.requireOrg();
    const skt = this.pin(org);
    const nonce = newNonce(this.rt);
    const body = await requestJson<{ hello?: unknown } | undefined>(this.rt, {
      method: 'POST',
      url: `${org.api}/api/v1/auth/hello`,
      body: { nonce },
      timeoutMs: this.options.requestTimeoutMs,
    });
    return verifySiteHello(body?.hello, { nonce, skt, now: this.rt.now(), clockToleranceS: this.tolerance });
  }

  /**
   * Signs in: a fresh verified hello, the credentials encrypted to the site's X25519 key (the
   * password never leaves the JWE), then the returned access token checked with the pinned key.
   */
  async login(credentials: LoginCredentials): Promise<SessionSnapshot> {
    const org = this.requireOrg();
    const hello = await this.hello();
    const jwe = await encryptLogin(hello, credentials);
    const pair = await requestJson<TokenPair>(this.rt, {
      method: 'POST',
      url: `${org.api}/api/v1/auth/login`,
      body: { jwe },
      timeoutMs: this.options.requestTimeoutMs,
    });
    const session = await this.sessionFrom(pair, hello.signingKey, hello.siteId);
    this.setSession(session);
    return session;
  }

  private async sessionFrom(
    pair: TokenPair | undefined,
    siteKey: SiteSigningJwk,
    siteId: string,
  ): Promise<SessionSnapshot> {
    if (!pair || typeof pair.refreshToken !== 'string') {
      throw new LanbridgeError(SdkErrorCode.BAD_RESPONSE, 'the site answered no token pair');
    }
    const claims = await verifyAccessToken(pair.accessToken, siteKey, {
      issuer: siteId,
      now: this.rt.now(),
      clockToleranceS: this.tolerance,
    });
    if (pair.siteId !== undefined && pair.siteId !== siteId) {
      throw new LanbridgeError(SdkErrorCode.E2E_SITE_NOT_VERIFIED, 'the token pair names another site than the hello');
    }
    return {
      accessToken: pair.accessToken,
      accessExpiresAt: claims.exp * 1000,
      refreshToken: pair.refreshToken,
      refreshExpiresAt: pair.refreshExpiresAt,
      role: claims.role,
      siteId,
      subject: claims.sub,
      name: claims.name,
      siteKey,
    };
  }

  private setSession(s: SessionSnapshot | undefined): void {
    this.sessionValue = s;
    try {
      this.options.onSessionChange?.(s);
    } catch {
      // the app's persistence failing must not break the call that changed the session
    }
  }

  private requireSession(): SessionSnapshot {
    if (!this.sessionValue) throw new LanbridgeError(SdkErrorCode.NOT_SIGNED_IN, 'sign in first');
    return this.sessionValue;
  }

  /** A valid access token, refreshed (once, for all concurrent callers) when it expires within the leeway. */
  async accessToken(minValidityS = this.options.refreshLeewayS ?? 60): Promise<string> {
    const s = this.requireSession();
    if (s.accessExpiresAt - this.rt.now() > minValidityS * 1000) return s.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Exchanges the refresh token for a new pair now. Concurrent calls share one request. */
  refresh(): Promise<SessionSnapshot> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<SessionSnapshot> {
    const s = this.requireSession();
    const org = this.requireOrg();
    let pair: TokenPair;
    try {
      pair = await requestJson<TokenPair>(this.rt, {
        method: 'POST',
        url: `${org.api}/api/v1/auth/refresh`,
        body: { refreshToken: s.refreshToken },
        timeoutMs: this.options.requestTimeoutMs,
      });
    } catch (err) {
      // Refused for good (used, expired or revoked refresh token): the session is over.
      if (
        err instanceof LanbridgeError &&
        err.status !== undefined &&
        err.status >= 400 &&
        err.status < 500 &&
        err.status !== 429
      ) {
        if (this.sessionValue === s) this.setSession(undefined);
        throw new LanbridgeError(SdkErrorCode.NOT_SIGNED_IN, `the session ended (${err.code}); sign in again`, {
          status: err.status,
          requestId: err.requestId,
          cause: err,
        });
      }
      throw err;
    }
    const next = await this.sessionFrom(pair, s.siteKey, s.siteId);
    if (this.sessionValue === s) this.setSession(next);
    return next;
  }

  /** Ends the session on the site (its refresh tokens stop working) and forgets it here. */
  async logout(): Promise<void> {
    const s = this.sessionValue;
    if (!s) return;
    try {
      await this.call<undefined>({ method: 'POST', path: '/api/v1/auth/logout' });
    } catch (err) {
      // Already ended on the site: nothing left to do. Anything else: still forget it here.
      if (!(err instanceof LanbridgeError) || (err.status !== 401 && err.code !== SdkErrorCode.NOT_SIGNED_IN)) {
        this.setSession(undefined);
        throw err;
      }
    }
    this.setSession(undefined);
  }

  // ---- requests

  private async send<T>(c: ApiCall, binary: boolean): Promise<T> {
    const org = this.requireOrg();
    const exec = (token: string): Promise<T> => {
      const req = {
        method: c.method,
        url: `${org.api}${c.path}`,
        query: c.query,
        body: c.body,
        headers: c.headers,
        token,
        timeoutMs: c.timeoutMs ?? this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: c.signal,
      };
      return (binary ? requestBinary(this.rt, req) : requestJson<T>(this.rt, req)) as Promise<T>;
    };
    const token = await this.accessToken();
    try {
      return await exec(token);
    } catch (err) {
      // Expired or revoked under our feet (clock skew, server restart): refresh once and retry.
      if (err instanceof LanbridgeError && err.status === 401 && this.sessionValue?.accessToken === token) {
        const fresh = await this.refresh();
        return exec(fresh.accessToken);
      }
      throw err;
    }
  }

  /** An authenticated JSON call to the site API (`path` starts with /api/v1/). */
  call<T>(c: ApiCall): Promise<T> {
    return this.send<T>(c, false);
  }

  private bytes(path: string): Promise<Binary> {
    return this.send<Binary>({ method: 'GET', path }, true);
  }

  /**
   * A remote command: one Idempotency-Key for the whole action, retried on network errors and
   * 502/503/504 with backoff until the deadline, so a retry after a dropped tunnel never acts twice.
   */
  command<T>(path: string, body: unknown, opts: CommandOptions = {}): Promise<T> {
    const key = opts.idempotencyKey ?? newIdempotencyKey(this.rt);
    const policy: RetryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      deadlineMs: opts.deadlineMs ?? this.options.commandDeadlineMs ?? DEFAULT_RETRY_POLICY.deadlineMs,
      initialDelayMs: this.options.commandRetryInitialDelayMs ?? DEFAULT_RETRY_POLICY.initialDelayMs,
      maxDelayMs: this.options.commandRetryMaxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      attemptTimeoutMs: this.options.requestTimeoutMs ?? DEFAULT_RETRY_POLICY.attemptTimeoutMs,
    };
    return retryUntilDeadline(
      this.rt,
      policy,
      (timeoutMs) =>
        this.call<T>({
          method: 'POST',
          path,
          body,
          headers: { 'idempotency-key': key },
          timeoutMs,
          signal: opts.signal,
        }),
      opts.signal,
    );
  }

  // ---- admin

  readonly dashboard = {
    get: (areaId?: string): Promise<Dashboard> =>
      this.call({ method: 'GET', path: '/api/v1/dashboard', query: { areaId } }),
  };

  readonly devices = {
    list: (query?: DeviceQuery): Promise<Page<DeviceView>> =>
      this.call({ method: 'GET', path: '/api/v1/devices', query: q(query) }),
  };

  readonly alarms = {
    summary: (): Promise<AlarmSummary> => this.call({ method: 'GET', path: '/api/v1/alarms/summary' }),
    list: (query?: AlarmQuery): Promise<Page<AlarmView>> =>
      this.call({ method: 'GET', path: '/api/v1/alarms', query: q(query) }),
    get: (alarmId: string): Promise<AlarmDetailView> =>
      this.call({ method: 'GET', path: `/api/v1/alarms/${id(alarmId)}` }),
    picture: (alarmId: string): Promise<Binary> => this.bytes(`/api/v1/alarms/${id(alarmId)}/picture`),
    confirm: (alarmId: string, remark?: string): Promise<AlarmDetailView> =>
      this.call({
        method: 'POST',
        path: `/api/v1/alarms/${id(alarmId)}/confirm`,
        body: remark === undefined ? {} : { remark },
      }),
  };

  readonly accessRecords = {
    list: (query?: AccessRecordQuery): Promise<Page<AccessRecordView>> =>
      this.call({ method: 'GET', path: '/api/v1/access-records', query: q(query) }),
    get: (recordId: string): Promise<AccessRecordView> =>
      this.call({ method: 'GET', path: `/api/v1/access-records/${id(recordId)}` }),
    picture: (recordId: string): Promise<Binary> => this.bytes(`/api/v1/access-records/${id(recordId)}/picture`),
  };

  readonly doors = {
    list: (query?: DoorQuery): Promise<Page<DoorView>> =>
      this.call({ method: 'GET', path: '/api/v1/doors', query: q(query) }),
    /** Opens the door for `seconds` (1–254; default the door's drive time). */
    unlock: (doorId: string, seconds?: number, opts?: CommandOptions): Promise<CommandOutcome> =>
      this.command(`/api/v1/doors/${id(doorId)}/unlock`, seconds === undefined ? {} : { seconds }, opts),
    cancelAlarm: (doorId: string, opts?: CommandOptions): Promise<CommandOutcome> =>
      this.command(`/api/v1/doors/${id(doorId)}/cancel-alarm`, {}, opts),
  };

  readonly lockdown = {
    groups: (): Promise<LockdownGroupView[]> => this.call({ method: 'GET', path: '/api/v1/lockdown/groups' }),
    activate: (groupId: string, opts?: CommandOptions): Promise<LockdownGroupView> =>
      this.command(`/api/v1/lockdown/groups/${id(groupId)}/activate`, {}, opts),
    cancel: (groupId: string, opts?: CommandOptions): Promise<LockdownGroupView> =>
      this.command(`/api/v1/lockdown/groups/${id(groupId)}/cancel`, {}, opts),
  };

  readonly visits = {
    summary: (): Promise<VisitSummary> => this.call({ method: 'GET', path: '/api/v1/visits/summary' }),
    statistics: (): Promise<VisitStatistics> => this.call({ method: 'GET', path: '/api/v1/visits/statistics' }),
    list: (query?: VisitQuery): Promise<Page<VisitView>> =>
      this.call({ method: 'GET', path: '/api/v1/visits', query: q(query) }),
    get: (visitId: string): Promise<VisitView> => this.call({ method: 'GET', path: `/api/v1/visits/${id(visitId)}` }),
    register: (visit: RegisterVisit): Promise<VisitView> =>
      this.call({ method: 'POST', path: '/api/v1/visits', body: visit, timeoutMs: 60_000 }),
    photo: (visitId: string, kind: PhotoKind): Promise<Binary> =>
      this.bytes(`/api/v1/visits/${id(visitId)}/photos/${kind}`),
    checkIn: (visitId: string): Promise<VisitView> =>
      this.call({ method: 'POST', path: `/api/v1/visits/${id(visitId)}/check-in` }),
    checkOut: (visitId: string): Promise<VisitView> =>
      this.call({ method: 'POST', path: `/api/v1/visits/${id(visitId)}/check-out` }),
  };

  readonly hosts = {
    /** Personnel id prefix or part of the name (at most 20 answers). */
    search: (text: string): Promise<HostView[]> =>
      this.call({ method: 'GET', path: '/api/v1/hosts', query: { q: text } }),
  };

  readonly people = {
    list: (query?: PersonQuery): Promise<Page<PersonView>> =>
      this.call({ method: 'GET', path: '/api/v1/people', query: q(query) }),
    get: (personId: string): Promise<PersonView> =>
      this.call({ method: 'GET', path: `/api/v1/people/${id(personId)}` }),
    create: (person: CreatePerson): Promise<PersonView> =>
      this.call({ method: 'POST', path: '/api/v1/people', body: person }),
    update: (personId: string, change: UpdatePerson): Promise<PersonView> =>
      this.call({ method: 'PATCH', path: `/api/v1/people/${id(personId)}`, body: change }),
    setAppLogin: (personId: string, enabled: boolean): Promise<PersonView> =>
      this.call({ method: 'PUT', path: `/api/v1/people/${id(personId)}/app-login`, body: { enabled } }),
    addGuardian: (personId: string, guardianPin: string): Promise<PersonView> =>
      this.call({ method: 'POST', path: `/api/v1/people/${id(personId)}/guardians`, body: { guardianPin } }),
    /** Everything the site holds about the person (decrypted). */
    export: (personId: string): Promise<Record<string, unknown>> =>
      this.call({ method: 'GET', path: `/api/v1/people/${id(personId)}/export` }),
    erase: (personId: string): Promise<void> => this.call({ method: 'DELETE', path: `/api/v1/people/${id(personId)}` }),
  };

  // ---- personnel

  readonly credentials = {
    /** My dynamic QR (a new code every refreshSeconds). */
    qr: (): Promise<CredentialQr> => this.call({ method: 'GET', path: '/api/v1/me/credential-qr' }),
  };

  readonly invitations = {
    list: (query?: PageQuery): Promise<Page<InvitationView>> =>
      this.call({ method: 'GET', path: '/api/v1/invitations', query: q(query) }),
    create: (invitation: CreateInvitation): Promise<InvitationCreated> =>
      this.call({ method: 'POST', path: '/api/v1/invitations', body: invitation, timeoutMs: 60_000 }),
    get: (invitationId: string): Promise<InvitationView> =>
      this.call({ method: 'GET', path: `/api/v1/invitations/${id(invitationId)}` }),
    reinvite: (invitationId: string, times: Reinvite = {}): Promise<InvitationCreated> =>
      this.call({
        method: 'POST',
        path: `/api/v1/invitations/${id(invitationId)}/reinvite`,
        body: times,
        timeoutMs: 60_000,
      }),
  };

  // ---- both roles

  readonly me = {
    get: (): Promise<MeView> => this.call({ method: 'GET', path: '/api/v1/me' }),
    setNotifications: (enabled: boolean): Promise<MeView> =>
      this.call({ method: 'PUT', path: '/api/v1/me/notifications', body: { enabled } }),
    /** Other sessions end; this one continues with the new tokens. */
    changePassword: async (currentPassword: string, newPassword: string): Promise<SessionSnapshot> => {
      const s = this.requireSession();
      const pair = await this.call<TokenPair>({
        method: 'PUT',
        path: '/api/v1/me/password',
        body: { currentPassword, newPassword },
      });
      const next = await this.sessionFrom(pair, s.siteKey, s.siteId);
      this.setSession(next);
      return next;
    },
  };

  readonly notifications = {
    list: (query?: NotificationQuery): Promise<Page<NotificationView> & { unread: number }> =>
      this.call({ method: 'GET', path: '/api/v1/notifications', query: q(query) }),
    read: (notificationId: string): Promise<NotificationView> =>
      this.call({ method: 'POST', path: `/api/v1/notifications/${id(notificationId)}/read` }),
    readAll: (): Promise<{ updated: number }> => this.call({ method: 'POST', path: '/api/v1/notifications/read-all' }),
  };

  /** Public: the privacy policy shown before sign-in. */
  privacyPolicy(): Promise<PrivacyPolicy> {
    const org = this.requireOrg();
    return requestJson(this.rt, { method: 'GET', url: `${org.api}/api/v1/privacy-policy` });
  }

  // ---- live events

  /** Opens the live stream; see LiveStream. Needs a WebSocket implementation (options.WebSocket in Node). */
  watch(options: WatchOptions): LiveStream {
    const org = this.requireOrg();
    this.requireSession();
    const WebSocketImpl = this.rt.WebSocket;
    if (!WebSocketImpl) {
      throw new LanbridgeError(SdkErrorCode.INVALID_ARGUMENT, 'no WebSocket implementation: pass options.WebSocket');
    }
    return new LiveStream(
      {
        rt: this.rt,
        url: `${org.api.replace(/^http/i, 'ws')}${STREAM_PATH}`,
        WebSocket: WebSocketImpl,
        token: (minValidityS) => this.accessToken(minValidityS),
        forceRefresh: async () => (await this.refresh()).accessToken,
      },
      options,
    );
  }

  // ---- background push (broker)

  private async broker<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    const org = this.requireOrg();
    const token = await this.accessToken();
    return requestJson<T>(this.rt, {
      method,
      url: `${org.issuer}${path}`,
      body,
      token,
      timeoutMs: this.options.requestTimeoutMs,
    });
  }

  /** The broker's VAPID public key (for PushManager.subscribe). */
  pushConfig(): Promise<{ vapidPublicKey: string }> {
    const org = this.requireOrg();
    return requestJson(this.rt, { method: 'GET', url: `${org.issuer}/api/v1/push/config` });
  }

  /** Registers this device for background notifications of the signed-in user. */
  async registerPush(subscription: PushSubscriptionInput): Promise<PushSubscriptionView> {
    const { endpoint, keys } = subscription;
    if (typeof endpoint !== 'string' || typeof keys?.p256dh !== 'string' || typeof keys.auth !== 'string') {
      throw new LanbridgeError(
        SdkErrorCode.INVALID_ARGUMENT,
        'a push subscription needs endpoint, keys.p256dh and keys.auth',
      );
    }
    return this.broker('POST', '/api/v1/push/subscriptions', {
      endpoint,
      keys: { p256dh: keys.p256dh, auth: keys.auth },
    });
  }

  listPush(): Promise<PushSubscriptionView[]> {
    return this.broker('GET', '/api/v1/push/subscriptions');
  }

  unregisterPush(subscriptionId: string): Promise<void> {
    return this.broker('DELETE', `/api/v1/push/subscriptions/${id(subscriptionId)}`);
  }
}
