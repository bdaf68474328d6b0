/**
 * The two compact JWS (RFC 7515, EdDSA / Ed25519, RFC 8037) an on-prem site (access-core) signs
 * with its signing key, as the broker checks them (docs/mobile-path.md §2–3). Nothing but
 * node:crypto: the broker never imports access-core, it re-implements the checks here.
 *
 * Site hello (answer to `POST /api/v1/auth/hello {nonce}`):
 *   header  `{ alg: "EdDSA", typ: "site-hello+jwt", jwk: { kty: "OKP", crv: "Ed25519", x } }`
 *   payload `{ iss: <site id>, nonce, hid, enc: <X25519 JWK>, iat, exp, v: 1 }`
 * The key comes from the header; what makes it trustworthy is the pin (the QR's `skt`) on the
 * client, and on the broker the fact that it arrived through the organisation's own tunnel.
 *
 * Site access token (what the app sends as `Authorization: Bearer`):
 *   header  `{ alg: "EdDSA", typ: "at+jwt", kid: <thumbprint> }`
 *   payload `{ iss: <site id>, aud: "lanbridge-mobile", sub, role: admin|personnel, name, sid, iat, exp, jti }`
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_TYP,
  okpThumbprint,
  SITE_HELLO_TYP,
  SITE_HELLO_VERSION,
} from '@lanbridge/security-contract/node';

export { SITE_HELLO_TYP, SITE_HELLO_VERSION };
export const SITE_ACCESS_TOKEN_TYP = ACCESS_TOKEN_TYP;
export const SITE_ACCESS_TOKEN_AUDIENCE = ACCESS_TOKEN_AUDIENCE;
export const SITE_ROLES = ['admin', 'personnel'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];
/** Longer strings are refused before any parsing (access-core issues ~600 characters). */
export const SITE_JWS_MAX_LENGTH = 4096;
/** Tolerated clock difference for `iat`, seconds. */
export const CLOCK_SKEW_S = 60;

/** The site's public signing key as stored: exactly the RFC 7638 members of an Ed25519 JWK. */
export interface SiteSigningJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

/** A site key the broker holds: where tokens of this site are checked. */
export interface SiteKeyMaterial {
  readonly siteId: string;
  readonly jwk: SiteSigningJwk;
  /** RFC 7638 thumbprint of `jwk` (also the access tokens' `kid`). */
  readonly thumbprint: string;
  readonly key: KeyObject;
}

export type HelloRejection =
  | 'malformed'
  | 'bad-header'
  | 'bad-key'
  | 'bad-signature'
  | 'bad-claims'
  | 'nonce-mismatch'
  | 'not-yet-valid'
  | 'expired';

export type SiteTokenRejection =
  | 'malformed'
  | 'bad-header'
  | 'unknown-key'
  | 'bad-signature'
  | 'bad-claims'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'not-yet-valid'
  | 'expired';

export interface SiteTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly role: SiteRole;
  readonly sid: string;
  readonly iat: number;
  readonly exp: number;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
/** base64url of 32 bytes, no padding: an Ed25519 public key `x`. */
const ED25519_X = /^[A-Za-z0-9_-]{43}$/;

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parsePart(segment: string): Json | undefined {
  try {
    const v = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isText(v: unknown, max = 200): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

interface CompactJws {
  readonly header: Json;
  readonly payload: string;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

function splitJws(token: string): CompactJws | undefined {
  if (token.length > SITE_JWS_MAX_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const header = parsePart(h);
  if (!header) return undefined;
  return {
    header,
    payload: p,
    signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
    signature: Buffer.from(s, 'base64url'),
  };
}

function signatureValid(jws: CompactJws, key: KeyObject): boolean {
  try {
    return verify(null, jws.signingInput, key, jws.signature);
  } catch {
    return false;
  }
}

/** RFC 7638 thumbprint of the site's signing key (`@lanbridge/security-contract`). */
export function siteKeyThumbprint(jwk: SiteSigningJwk): string {
  return okpThumbprint(jwk);
}

/** Checks the shape of a stored or received signing JWK; extra members (kid, alg, use) are dropped. */
export function parseSiteJwk(v: unknown): SiteSigningJwk | undefined {
  if (!isRecord(v) || v.kty !== 'OKP' || v.crv !== 'Ed25519' || typeof v.x !== 'string') return undefined;
  // A private member in a public key slot means the site leaked its key: refuse it.
  if (v.d !== undefined || !ED25519_X.test(v.x)) return undefined;
  return { kty: 'OKP', crv: 'Ed25519', x: v.x };
}

function publicKeyOf(jwk: SiteSigningJwk): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** The key material for `jwk`; undefined when `x` is not a valid Ed25519 point encoding. */
export function siteKeyMaterial(siteId: string, jwk: SiteSigningJwk): SiteKeyMaterial | undefined {
  const key = publicKeyOf(jwk);
  return key ? { siteId, jwk, thumbprint: siteKeyThumbprint(jwk), key } : undefined;
}

/**
 * The thumbprint of the key a site hello's header shows, without verifying anything: only a hint
 * that the site behind a tunnel changed (the broker then asks for a hello of its own).
 */
export function helloThumbprint(token: string): string | undefined {
  const jws = splitJws(token);
  if (!jws || jws.header.typ !== SITE_HELLO_TYP) return undefined;
  const jwk = parseSiteJwk(jws.header.jwk);
  return jwk ? siteKeyThumbprint(jwk) : undefined;
}

export type HelloResult =
  | { readonly ok: true; readonly site: SiteKeyMaterial; readonly exp: number }
  | { readonly ok: false; readonly reason: HelloRejection };

/**
 * Verifies a site hello as the SDK does, minus the pin: header (alg, typ, jwk, no crit),
 * signature with the header's key, version, our nonce, the X25519 `enc` key's shape, times.
 * `now` is epoch seconds.
 */
export function verifySiteHello(
  token: string,
  /**
   * `nonce` undefined: a hello the connector fetched for its activation, which only names the
   * site it reaches (whose hello it is, not that it is fresh for the broker).
   */
  expected: { readonly nonce: string | undefined; readonly now: number },
): HelloResult {
  const jws = splitJws(token);
  if (!jws) return { ok: false, reason: 'malformed' };
  const { header } = jws;
  if (header.alg !== 'EdDSA' || header.typ !== SITE_HELLO_TYP || header.crit !== undefined) {
    return { ok: false, reason: 'bad-header' };
  }
  const jwk = parseSiteJwk(header.jwk);
  const key = jwk ? publicKeyOf(jwk) : undefined;
  if (!jwk || !key) return { ok: false, reason: 'bad-key' };
  if (!signatureValid(jws, key)) return { ok: false, reason: 'bad-signature' };
  const c = parsePart(jws.payload);
  const enc = c?.enc;
  if (
    !c ||
    !isText(c.iss) ||
    c.v !== SITE_HELLO_VERSION ||
    !isText(c.hid) ||
    typeof c.nonce !== 'string' ||
    !isRecord(enc) ||
    enc.kty !== 'OKP' ||
    enc.crv !== 'X25519' ||
    typeof enc.x !== 'string' ||
    !Number.isSafeInteger(c.iat) ||
    !Number.isSafeInteger(c.exp)
  ) {
    return { ok: false, reason: 'bad-claims' };
  }
  if (expected.nonce !== undefined && c.nonce !== expected.nonce) return { ok: false, reason: 'nonce-mismatch' };
  const iat = c.iat as number;
  const exp = c.exp as number;
  if (iat > expected.now + CLOCK_SKEW_S) return { ok: false, reason: 'not-yet-valid' };
  if (exp <= expected.now) return { ok: false, reason: 'expired' };
  return { ok: true, site: { siteId: c.iss, jwk, thumbprint: siteKeyThumbprint(jwk), key }, exp };
}

/** The `iss` of a token, read without verifying anything (to find whose key to verify with). */
export function peekIssuer(token: string): string | undefined {
  const jws = splitJws(token);
  if (!jws) return undefined;
  const c = parsePart(jws.payload);
  return c && isText(c.iss) ? c.iss : undefined;
}

export type SiteTokenResult =
  { readonly ok: true; readonly claims: SiteTokenClaims } | { readonly ok: false; readonly reason: SiteTokenRejection };

/**
 * Verifies a site access token with the site's recorded key: EdDSA, typ at+jwt, `kid` (when
 * present) naming that key, signature, `iss` = the recorded site id, `aud` lanbridge-mobile,
 * role, not issued in the future, not expired. `now` is epoch seconds.
 */
export function verifySiteAccessToken(token: string, site: SiteKeyMaterial, now: number): SiteTokenResult {
  const jws = splitJws(token);
  if (!jws) return { ok: false, reason: 'malformed' };
  const { header } = jws;
  if (header.alg !== 'EdDSA' || header.typ !== SITE_ACCESS_TOKEN_TYP || header.crit !== undefined) {
    return { ok: false, reason: 'bad-header' };
  }
  if (header.kid !== undefined && header.kid !== site.thumbprint) return { ok: false, reason: 'unknown-key' };
  if (!signatureValid(jws, site.key)) return { ok: false, reason: 'bad-signature' };
  const c = parsePart(jws.payload);
  if (
    !c ||
    !isText(c.iss) ||
    !isText(c.sub) ||
    !isText(c.sid) ||
    typeof c.role !== 'string' ||
    !(SITE_ROLES as readonly string[]).includes(c.role) ||
    !Number.isSafeInteger(c.iat) ||
    !Number.isSafeInteger(c.exp)
  ) {
    return { ok: false, reason: 'bad-claims' };
  }
  if (c.iss !== site.siteId) return { ok: false, reason: 'wrong-issuer' };
  if (c.aud !== SITE_ACCESS_TOKEN_AUDIENCE) return { ok: false, reason: 'wrong-audience' };
  const claims: SiteTokenClaims = {
    iss: c.iss,
    sub: c.sub,
    role: c.role as SiteRole,
    sid: c.sid,
    iat: c.iat as number,
    exp: c.exp as number,
  };
  if (claims.iat > now + CLOCK_SKEW_S) return { ok: false, reason: 'not-yet-valid' };
  if (claims.exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
