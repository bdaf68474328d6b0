/**
 * Scanning an organisation QR (docs/architecture.md, "The organisation QR"; docs/mobile-path.md §1).
 *
 * The QR text is `<issuer>/o#<JWS>`. Before any credential is sent the app checks, in order:
 *  1. the issuer is on the caller's pinned list (`trustedIssuers`), never a host taken from the QR;
 *  2. the header is `alg: EdDSA`, `typ: org-qr+jwt`, with a `kid` (no `crit`);
 *  3. the signature verifies with a key of the pinned issuer's JWKS
 *     (`<issuer>/.well-known/jwks.json`, or the JWKS built into the app);
 *  4. `iss`, `aud` (`lanbridge-app`), `exp`/`iat` (±60 s), `v` (1), `jti`, `sub`, `api` (same
 *     origin as the issuer) and `skt` (the site key thumbprint; required unless `allowUnpinned`);
 *  5. the broker's resolve endpoint (`POST <issuer>/api/v1/org-qr/resolve`) re-checks the token
 *     and its revocation and answers the organisation, whose id, API and `skt` must match.
 * The app then shows the organisation name for the user to confirm.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, importJWK, type JWK, jwtVerify } from 'jose';
import { ORG_QR_AUDIENCE, ORG_QR_TYP, ORG_QR_VERSION, type OrgQrClaims } from '@lanbridge/security-contract';
import { LanbridgeError, SdkErrorCode } from './errors';
import { requestJson } from './http';
import { createRuntime, isSecureOrigin, originOf, type Runtime, type RuntimeOptions } from './runtime';

export { ORG_QR_AUDIENCE, ORG_QR_TYP, type OrgQrClaims };
export const ORG_QR_SUPPORTED_VERSIONS: readonly number[] = [ORG_QR_VERSION];
/** Refuses garbage before any parsing (a real token is about 600 characters). */
export const ORG_QR_MAX_LENGTH = 4096;
export const JWKS_PATH = '/.well-known/jwks.json';
export const ORG_QR_RESOLVE_PATH = '/api/v1/org-qr/resolve';

/** A broker the app trusts. `jwks` pins the keys themselves (no fetch); otherwise they are fetched from the issuer. */
export interface TrustedIssuer {
  /** Origin, e.g. `https://sg.lanbridge.example`. */
  readonly issuer: string;
  readonly jwks?: { readonly keys: readonly JWK[] };
}

/** A scanned QR text split into the origin it names and the JWS. */
export interface ParsedOrgQr {
  /** The origin in front of `/o#` (untrusted until checked); undefined for a bare JWS. */
  readonly issuer: string | undefined;
  readonly token: string;
}

/** An organisation the app may sign in to, verified end to end. */
export interface Organisation {
  /** Broker origin (= QR issuer): also where push subscriptions go. */
  readonly issuer: string;
  readonly orgId: string;
  /** Display name, for the user to confirm. */
  readonly name: string;
  /** API base URL `<issuer>/t/<org>`. */
  readonly api: string;
  /** RFC 7638 thumbprint of the site's Ed25519 signing key; null only with allowUnpinned. */
  readonly skt: string | null;
  /** A live tunnel on the broker node that answered (a hint). */
  readonly online?: boolean;
  /** When the QR stops being accepted (ISO time). */
  readonly qrExpiresAt?: string;
}

export interface VerifyOrgQrOptions {
  readonly trustedIssuers: readonly TrustedIssuer[];
  /** Accept a QR without `skt` (the site key is then not pinned by the QR). Default false. */
  readonly allowUnpinned?: boolean;
  /** Ask the broker to resolve the token (default true). Without it only the offline checks run. */
  readonly resolve?: boolean;
  /** Allowed clock difference, seconds (default 60). */
  readonly clockToleranceS?: number;
  /** Shared JWKS cache (a client keeps one); default a new one per call. */
  readonly jwksCache?: JwksCache;
}

const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

function invalid(message: string, cause?: unknown): LanbridgeError {
  return new LanbridgeError(SdkErrorCode.QR_INVALID, message, cause === undefined ? {} : { cause });
}

/** Splits `<issuer>/o#<JWS>` (or a bare JWS). Throws QR_INVALID for anything else. */
export function parseOrgQr(text: string): ParsedOrgQr {
  const t = text.trim();
  if (t.length === 0 || t.length > ORG_QR_MAX_LENGTH) throw invalid('this is not an organisation QR code');
  if (JWS.test(t)) return { issuer: undefined, token: t };
  const i = t.indexOf('/o#');
  const prefix = i > 0 ? t.slice(0, i) : '';
  const issuer = /^https?:\/\/[^/?#@\s]+$/i.test(prefix) ? originOf(prefix) : undefined;
  const token = i > 0 ? t.slice(i + 3) : '';
  if (!issuer || !JWS.test(token)) {
    throw invalid('this is not an organisation QR code');
  }
  return { issuer, token };
}

interface CachedJwks {
  readonly keys: readonly JWK[];
  readonly fetchedAt: number;
}

/** JWKS per pinned issuer, fetched from the issuer itself, kept for `ttlMs`. */
export class JwksCache {
  private readonly entries = new Map<string, CachedJwks>();
  private readonly inflight = new Map<string, Promise<CachedJwks>>();

  constructor(
    private readonly rt: Runtime,
    /** How long a fetched JWKS is used (default 5 min, the broker's Cache-Control). */
    private readonly ttlMs = 300_000,
    /** An unknown kid refetches at most this often (default 30 s). */
    private readonly refetchAfterMs = 30_000,
  ) {}

  /** The Ed25519 public JWK with this kid from the pinned issuer, or undefined. */
  async key(trusted: TrustedIssuer, kid: string): Promise<JWK | undefined> {
    if (trusted.jwks) return pick(trusted.jwks.keys, kid);
    const issuer = originOf(trusted.issuer) ?? trusted.issuer;
    let entry = this.entries.get(issuer);
    if (!entry || this.rt.now() - entry.fetchedAt > this.ttlMs) entry = await this.fetch(issuer);
    let found = pick(entry.keys, kid);
    if (!found && this.rt.now() - entry.fetchedAt > this.refetchAfterMs) {
      entry = await this.fetch(issuer);
      found = pick(entry.keys, kid);
    }
    return found;
  }

  private fetch(issuer: string): Promise<CachedJwks> {
    let p = this.inflight.get(issuer);
    if (!p) {
      p = requestJson<unknown>(this.rt, { method: 'GET', url: `${issuer}${JWKS_PATH}` })
        .then((body) => {
          const keys = (body as { keys?: unknown } | undefined)?.keys;
          if (!Array.isArray(keys)) {
            throw new LanbridgeError(SdkErrorCode.BAD_RESPONSE, `${issuer}${JWKS_PATH} is not a JWKS`);
          }
          const entry = { keys: keys as JWK[], fetchedAt: this.rt.now() };
          this.entries.set(issuer, entry);
          return entry;
        })
        .finally(() => this.inflight.delete(issuer));
      this.inflight.set(issuer, p);
    }
    return p;
  }
}

function pick(keys: readonly JWK[], kid: string): JWK | undefined {
  const k = keys.find((j) => j.kid === kid);
  if (!k || k.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string' || 'd' in k) return undefined;
  if (k.alg !== undefined && k.alg !== 'EdDSA') return undefined;
  return { kty: 'OKP', crv: 'Ed25519', x: k.x };
}

function findTrusted(trusted: readonly TrustedIssuer[], iss: string): TrustedIssuer | undefined {
  const origin = originOf(iss);
  if (!origin || origin !== iss.replace(/\/+$/, '').toLowerCase()) return undefined;
  return trusted.find((t) => originOf(t.issuer) === origin);
}

/**
 * Checks 1–4 above, without any network call other than the pinned issuer's JWKS. Returns the
 * claims. Exported for apps that want to show the org before resolving.
 */
export function verifyOrgQrToken(
  textOrToken: string,
  opts: VerifyOrgQrOptions & RuntimeOptions,
): Promise<{ trusted: TrustedIssuer; claims: OrgQrClaims; token: string }> {
  return checkOrgQrToken(createRuntime(opts), textOrToken, opts);
}

async function checkOrgQrToken(
  rt: Runtime,
  textOrToken: string,
  opts: VerifyOrgQrOptions,
): Promise<{ trusted: TrustedIssuer; claims: OrgQrClaims; token: string }> {
  const parsed = parseOrgQr(textOrToken);
  const tolerance = opts.clockToleranceS ?? 60;
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(parsed.token);
    unverified = decodeJwt(parsed.token);
  } catch (err) {
    throw invalid('the QR token is not a readable JWS', err);
  }
  if (header.alg !== 'EdDSA')
    throw invalid(`the QR token is signed with ${String(header.alg)}; only EdDSA is accepted`);
  if (header.typ !== ORG_QR_TYP) throw invalid(`the QR token type is ${String(header.typ)}, not ${ORG_QR_TYP}`);
  if (header.crit !== undefined) throw invalid('the QR token has critical header parameters');
  if (typeof header.kid !== 'string' || header.kid === '') throw invalid('the QR token names no key (kid)');

  const iss = typeof unverified.iss === 'string' ? unverified.iss : '';
  const trusted = findTrusted(opts.trustedIssuers, iss);
  if (!trusted) {
    throw new LanbridgeError(
      SdkErrorCode.QR_UNTRUSTED_ISSUER,
      `the QR code was issued by ${iss || 'an unnamed issuer'}, which is not a trusted Lanbridge service`,
    );
  }
  const issuer = originOf(trusted.issuer) ?? trusted.issuer;
  if (!isSecureOrigin(issuer)) {
    throw new LanbridgeError(SdkErrorCode.QR_UNTRUSTED_ISSUER, `${issuer} is not https; refusing it`);
  }
  if (parsed.issuer !== undefined && parsed.issuer !== issuer) {
    throw invalid(`the QR link points at ${parsed.issuer} but the token was issued by ${issuer}`);
  }

  const jwk = await (opts.jwksCache ?? new JwksCache(rt)).key(trusted, header.kid);
  if (!jwk) throw invalid(`the key ${header.kid} is not one of ${issuer}'s signing keys`);

  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, 'EdDSA');
    ({ payload } = await jwtVerify(parsed.token, key, {
      algorithms: ['EdDSA'],
      typ: ORG_QR_TYP,
      issuer: iss,
      audience: ORG_QR_AUDIENCE,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      clockTolerance: tolerance,
      currentDate: new Date(rt.now()),
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw invalid('the QR code has expired', err);
    if (err instanceof joseErrors.JWSSignatureVerificationFailed)
      throw invalid('the QR signature does not verify', err);
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      throw invalid(`the QR token is not valid: ${err.claim} ${err.reason}`, err);
    }
    throw invalid('the QR token does not verify', err);
  }

  const str = (k: string): string => {
    const v = payload[k];
    if (typeof v !== 'string' || v === '') throw invalid(`the QR token lacks ${k}`);
    return v;
  };
  const int = (k: string): number => {
    const v = payload[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(`the QR token's ${k} is not an integer`);
    return v;
  };
  const claims: OrgQrClaims = {
    iss: str('iss'),
    sub: str('sub'),
    aud: ORG_QR_AUDIENCE,
    name: str('name'),
    api: str('api'),
    v: int('v'),
    iat: int('iat'),
    exp: int('exp'),
    jti: str('jti'),
    ...(payload.skt === undefined ? {} : { skt: str('skt') }),
  };
  if (!ORG_QR_SUPPORTED_VERSIONS.includes(claims.v)) {
    throw invalid(`QR format version ${claims.v} is not supported by this app version`);
  }
  if (claims.iat > rt.now() / 1000 + tolerance) throw invalid('the QR token was issued in the future');
  if (originOf(claims.api) !== issuer || !claims.api.toLowerCase().startsWith(`${issuer}/`)) {
    throw invalid(`the QR's API address ${claims.api} is not on ${issuer}`);
  }
  if (claims.skt !== undefined && !THUMBPRINT.test(claims.skt))
    throw invalid('the QR site key thumbprint is malformed');
  if (claims.skt === undefined && !opts.allowUnpinned) {
    throw new LanbridgeError(
      SdkErrorCode.QR_NOT_PINNED,
      'this QR code does not pin the site key; ask the administrator for a current QR code',
    );
  }
  return { trusted, claims, token: parsed.token };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mismatch(message: string): LanbridgeError {
  return new LanbridgeError(SdkErrorCode.QR_RESOLVE_MISMATCH, message);
}

/**
 * Every check of the QR, then the broker's resolve; returns the organisation to sign in to.
 * `opts` may carry fetch and now (RuntimeOptions).
 */
export function verifyOrgQr(textOrToken: string, opts: VerifyOrgQrOptions & RuntimeOptions): Promise<Organisation> {
  return verifyOrgQrWith(createRuntime(opts), textOrToken, opts);
}

export async function verifyOrgQrWith(
  rt: Runtime,
  textOrToken: string,
  opts: VerifyOrgQrOptions,
): Promise<Organisation> {
  const { claims, token } = await checkOrgQrToken(rt, textOrToken, opts);
  const issuer = originOf(claims.iss) ?? claims.iss;
  if (opts.resolve === false) {
    return {
      issuer,
      orgId: claims.sub,
      name: claims.name,
      api: claims.api,
      skt: claims.skt ?? null,
      qrExpiresAt: new Date(claims.exp * 1000).toISOString(),
    };
  }
  const body = await requestJson<unknown>(rt, {
    method: 'POST',
    url: `${issuer}${ORG_QR_RESOLVE_PATH}`,
    body: { token },
  });
  if (!isRecord(body) || typeof body.orgId !== 'string') {
    throw new LanbridgeError(
      SdkErrorCode.BAD_RESPONSE,
      'the broker answered the resolve request without an organisation',
    );
  }
  if (body.orgId !== claims.sub) throw mismatch('the broker resolved the QR to another organisation');
  const api = body.apiBaseUrl ?? body.api;
  if (api !== undefined && api !== claims.api) throw mismatch('the broker names another API address than the QR');
  const resolvedSkt = body.skt ?? body.siteKeyThumbprint ?? null;
  if (resolvedSkt !== null && (typeof resolvedSkt !== 'string' || !THUMBPRINT.test(resolvedSkt))) {
    throw new LanbridgeError(SdkErrorCode.BAD_RESPONSE, 'the broker answered a malformed site key thumbprint');
  }
  if (claims.skt !== undefined && resolvedSkt !== claims.skt) {
    throw mismatch('the site key the broker knows differs from the one in the QR code');
  }
  return {
    issuer,
    orgId: claims.sub,
    name: typeof body.name === 'string' && body.name !== '' ? body.name : claims.name,
    api: claims.api,
    skt: claims.skt ?? resolvedSkt,
    online: typeof body.online === 'boolean' ? body.online : undefined,
    qrExpiresAt: new Date(claims.exp * 1000).toISOString(),
  };
}
