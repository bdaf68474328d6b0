/**
 * Mobile access tokens: compact JWS (RFC 7515), `alg` EdDSA (Ed25519, RFC 8037), signed by the
 * site key. Kept free of Nest and storage so the broker can verify the same tokens with the
 * site's public key (JWKS at GET /api/v1/auth/jwks) and nothing but node:crypto.
 *
 * Header: `{ "alg": "EdDSA", "typ": "at+jwt", "kid": <RFC 7638 thumbprint of the public JWK> }`.
 * Claims: `iss` site id, `aud` "lanbridge-mobile", `sub` operator or person id, `role`
 * admin|personnel, `name` user name or personnel id, `sid` refresh-token family, `iat`, `exp`
 * (at most 15 minutes after `iat`), `jti`.
 */
import { createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_TYP,
  okpPublicJwk,
  okpThumbprint,
} from '@lanbridge/security-contract/node';
import { ROLES, type Role } from './principal';

export { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYP };
/** Longer strings are refused before any parsing. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;
/** Tolerated clock difference when checking `iat`, seconds. */
const CLOCK_SKEW_SECONDS = 60;

export interface AccessTokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly role: Role;
  readonly name: string;
  readonly sid: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** An Ed25519 public key as a JWK, as published in the JWKS. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

/** Why a token was refused; only logged, the client always gets UNAUTHENTICATED. */
export type TokenRejection =
  | 'malformed'
  | 'bad-header'
  | 'unknown-key'
  | 'bad-signature'
  | 'bad-claims'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'not-yet-valid'
  | 'expired';

export type VerifyResult =
  { readonly ok: true; readonly claims: AccessTokenClaims } | { readonly ok: false; readonly reason: TokenRejection };

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');
const B64URL = /^[A-Za-z0-9_-]+$/;

/** RFC 7638 thumbprint of the site's Ed25519 signing key (`@lanbridge/security-contract`). */
export function ed25519Thumbprint(publicKey: KeyObject): string {
  const jwk = okpPublicJwk(publicKey);
  if (jwk?.crv !== 'Ed25519') throw new Error('the site signing key is not an Ed25519 key');
  return okpThumbprint(jwk);
}

export function publicJwk(key: SigningKey): PublicJwk {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x), kid: key.kid, alg: 'EdDSA', use: 'sig' };
}

export function publicKeyFromJwk(jwk: Pick<PublicJwk, 'x'>): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

export function signAccessToken(
  key: SigningKey,
  claims: Omit<AccessTokenClaims, 'aud' | 'jti'> & { jti?: string },
): string {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', typ: ACCESS_TOKEN_TYP, kid: key.kid }));
  const body: AccessTokenClaims = { ...claims, aud: ACCESS_TOKEN_AUDIENCE, jti: claims.jti ?? randomUUID() };
  const payload = b64url(JSON.stringify(body));
  const signature = sign(null, Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

function parseJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asClaims(v: unknown): AccessTokenClaims | undefined {
  if (!isRecord(v)) return undefined;
  const { iss, aud, sub, role, name, sid, iat, exp, jti } = v;
  const strings = [iss, aud, sub, name, sid, jti];
  if (!strings.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 200)) return undefined;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return undefined;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return undefined;
  return v as unknown as AccessTokenClaims;
}

/**
 * Verifies signature, header and claims. `keyFor` returns the public key of a `kid` (only the
 * site's own keys); `now` is epoch seconds.
 */
export function verifyAccessToken(
  token: string,
  keyFor: (kid: string) => KeyObject | undefined,
  expected: { readonly issuer: string; readonly now: number },
): VerifyResult {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  const header = parseJson(h);
  if (
    !isRecord(header) ||
    header.alg !== 'EdDSA' ||
    header.typ !== ACCESS_TOKEN_TYP ||
    typeof header.kid !== 'string'
  ) {
    return { ok: false, reason: 'bad-header' };
  }
  const key = keyFor(header.kid);
  if (!key) return { ok: false, reason: 'unknown-key' };
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) {
    return { ok: false, reason: 'bad-signature' };
  }
  const claims = asClaims(parseJson(p));
  if (!claims) return { ok: false, reason: 'bad-claims' };
  if (claims.iss !== expected.issuer) return { ok: false, reason: 'wrong-issuer' };
  if (claims.aud !== ACCESS_TOKEN_AUDIENCE) return { ok: false, reason: 'wrong-audience' };
  if (claims.iat > expected.now + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'not-yet-valid' };
  if (claims.exp <= expected.now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
