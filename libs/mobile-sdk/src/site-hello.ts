/**
 * End-to-end verifiable sign-in (mobile-path §2): the site proves its key with a signed hello,
 * the password travels only inside a JWE to the site's X25519 key, and the returned access
 * token must verify with the same pinned key.
 *
 * Hello: compact JWS, header `{alg: "EdDSA", typ: "site-hello+jwt", jwk: {kty, crv, x}}`,
 * payload `{iss, nonce, hid, enc: <X25519 JWK with kid>, iat, exp, v: 1}`.
 * Every refusal is LanbridgeError E2E_SITE_NOT_VERIFIED with a message naming the failed check.
 */
import {
  base64url,
  CompactEncrypt,
  compactVerify,
  decodeProtectedHeader,
  errors as joseErrors,
  importJWK,
  jwtVerify,
} from 'jose';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_TYP,
  okpThumbprintAsync,
  SITE_HELLO_TYP,
  SITE_HELLO_VERSION,
} from '@lanbridge/security-contract';
import { LanbridgeError, SdkErrorCode } from './errors';
import type { Runtime } from './runtime';

export { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYP, SITE_HELLO_TYP, SITE_HELLO_VERSION };
/** Random bytes in a hello nonce (the server accepts 16–64). */
export const NONCE_BYTES = 32;

/** The site's public Ed25519 signing key. */
export interface SiteSigningJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

/** The site's public X25519 key the login is encrypted to. */
export interface SiteEncryptionJwk {
  readonly kty: 'OKP';
  readonly crv: 'X25519';
  readonly x: string;
  readonly kid: string;
}

export interface VerifiedHello {
  /** Site id: the `iss` of its tokens. */
  readonly siteId: string;
  /** Hello id, echoed (encrypted) in the login. */
  readonly hid: string;
  readonly nonce: string;
  readonly enc: SiteEncryptionJwk;
  readonly signingKey: SiteSigningJwk;
  /** RFC 7638 thumbprint of signingKey. */
  readonly thumbprint: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export type LoginCredentials =
  | { readonly type: 'admin'; readonly username: string; readonly password: string }
  | { readonly type: 'personnel'; readonly pin: string; readonly password: string };

export type Role = 'admin' | 'personnel';

export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly role: Role;
  readonly name: string;
  readonly sid: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

const B64_KEY = /^[A-Za-z0-9_-]{43}$/;

function notVerified(message: string, cause?: unknown): LanbridgeError {
  return new LanbridgeError(SdkErrorCode.E2E_SITE_NOT_VERIFIED, message, cause === undefined ? {} : { cause });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function newNonce(rt: Runtime): string {
  return base64url.encode(rt.randomBytes(NONCE_BYTES));
}

/** RFC 7638 thumbprint of the site's signing key (`@lanbridge/security-contract`). */
export function siteKeyThumbprint(jwk: SiteSigningJwk): Promise<string> {
  return okpThumbprintAsync(jwk);
}

export interface HelloExpectations {
  readonly nonce: string;
  /** The QR's `skt`; null only when the caller accepted an unpinned QR (then the hello key is trusted on first use). */
  readonly skt: string | null;
  /** Epoch ms. */
  readonly now: number;
  readonly clockToleranceS: number;
}

/** Checks a hello JWS against the pin and the nonce sent; returns what the login needs. */
export async function verifySiteHello(hello: unknown, expect: HelloExpectations): Promise<VerifiedHello> {
  if (typeof hello !== 'string' || hello.length > 8192) throw notVerified('the site answered no hello');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(hello);
  } catch (err) {
    throw notVerified('the hello is not a readable JWS', err);
  }
  if (header.alg !== 'EdDSA') throw notVerified(`the hello is signed with ${String(header.alg)}, not EdDSA`);
  if (header.typ !== SITE_HELLO_TYP)
    throw notVerified(`the hello type is ${String(header.typ)}, not ${SITE_HELLO_TYP}`);
  if (header.crit !== undefined) throw notVerified('the hello has critical header parameters');
  const h = header.jwk;
  if (!isRecord(h) || h.kty !== 'OKP' || h.crv !== 'Ed25519' || typeof h.x !== 'string' || !B64_KEY.test(h.x)) {
    throw notVerified('the hello carries no Ed25519 site key');
  }
  if ('d' in h) throw notVerified('the hello carries a private key');
  const signingKey: SiteSigningJwk = { kty: 'OKP', crv: 'Ed25519', x: h.x };
  const thumbprint = await siteKeyThumbprint(signingKey);
  if (expect.skt !== null && thumbprint !== expect.skt) {
    throw notVerified('the site key does not match the key pinned by the QR code (thumbprint mismatch)');
  }

  let payload: unknown;
  try {
    const key = await importJWK({ ...signingKey }, 'EdDSA');
    const verified = await compactVerify(hello, key, { algorithms: ['EdDSA'] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as unknown;
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw notVerified('the hello signature does not verify with its site key', err);
    }
    throw notVerified('the hello does not verify', err);
  }
  if (!isRecord(payload)) throw notVerified('the hello payload is not a JSON object');
  const { iss, nonce, hid, enc, iat, exp, v } = payload;
  if (typeof iss !== 'string' || iss === '') throw notVerified('the hello names no site (iss)');
  if (nonce !== expect.nonce) throw notVerified('the hello answers another nonce than the one sent');
  if (typeof hid !== 'string' || hid === '' || hid.length > 200) throw notVerified('the hello has no hello id');
  if (v !== SITE_HELLO_VERSION) throw notVerified(`hello version ${String(v)} is not supported`);
  if (typeof iat !== 'number' || typeof exp !== 'number') throw notVerified('the hello has no iat/exp');
  const nowS = expect.now / 1000;
  if (exp <= nowS - expect.clockToleranceS) throw notVerified('the hello has expired');
  if (iat > nowS + expect.clockToleranceS) throw notVerified('the hello was issued in the future');
  if (
    !isRecord(enc) ||
    enc.kty !== 'OKP' ||
    enc.crv !== 'X25519' ||
    typeof enc.x !== 'string' ||
    !B64_KEY.test(enc.x) ||
    typeof enc.kid !== 'string' ||
    enc.kid === '' ||
    'd' in enc
  ) {
    throw notVerified('the hello carries no X25519 encryption key');
  }
  return {
    siteId: iss,
    hid,
    nonce,
    enc: { kty: 'OKP', crv: 'X25519', x: enc.x, kid: enc.kid },
    signingKey,
    thumbprint,
    expiresAt: exp * 1000,
  };
}

/** The login JSON plus the hello's `hid` and `nonce`, as a compact JWE (ECDH-ES, A256GCM) to the site's X25519 key. */
export async function encryptLogin(hello: VerifiedHello, credentials: LoginCredentials): Promise<string> {
  const plain =
    credentials.type === 'admin'
      ? { type: 'admin', username: credentials.username, password: credentials.password }
      : { type: 'personnel', pin: credentials.pin, password: credentials.password };
  const key = await importJWK({ ...hello.enc }, 'ECDH-ES');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...plain, hid: hello.hid, nonce: hello.nonce })))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: hello.enc.kid })
    .encrypt(key);
}

/** Checks an access token with the pinned site key: EdDSA, at+jwt, audience, issuer, times. */
export async function verifyAccessToken(
  token: unknown,
  key: SiteSigningJwk,
  expect: { readonly issuer: string; readonly now: number; readonly clockToleranceS: number },
): Promise<AccessTokenClaims> {
  if (typeof token !== 'string') throw notVerified('the site answered no access token');
  let payload: Record<string, unknown>;
  try {
    const k = await importJWK({ ...key }, 'EdDSA');
    ({ payload } = await jwtVerify(token, k, {
      algorithms: ['EdDSA'],
      typ: ACCESS_TOKEN_TYP,
      audience: ACCESS_TOKEN_AUDIENCE,
      requiredClaims: ['iss', 'sub', 'iat', 'exp'],
      currentDate: new Date(expect.now),
      clockTolerance: expect.clockToleranceS,
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw notVerified('the access token is not signed by the pinned site key', err);
    }
    throw notVerified('the access token does not verify', err);
  }
  if (payload.iss !== expect.issuer) throw notVerified('the access token was issued by another site than the hello');
  const { sub, role, name, sid, iat, exp, jti } = payload;
  if (typeof sub !== 'string' || (role !== 'admin' && role !== 'personnel')) {
    throw notVerified('the access token names no user or role');
  }
  return {
    iss: expect.issuer,
    sub,
    role,
    name: typeof name === 'string' ? name : sub,
    sid: typeof sid === 'string' ? sid : '',
    iat: iat as number,
    exp: exp as number,
    jti: typeof jti === 'string' ? jti : '',
  };
}
