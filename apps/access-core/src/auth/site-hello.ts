/**
 * Site hello (docs/mobile-path.md §2): a compact JWS by which the site proves it holds the
 * signing key the organisation QR pins (`skt`), answering the client's nonce, and hands out its
 * X25519 key for the encrypted login. Kept free of Nest and storage, like access-token.ts.
 *
 * Header:  `{ "alg": "EdDSA", "typ": "site-hello+jwt", "jwk": { "kty": "OKP", "crv": "Ed25519", "x" } }`.
 * Payload: `{ "iss": <site id>, "nonce": <the client's nonce>, "hid": <hello id>,
 *             "enc": <public X25519 JWK with kid, alg ECDH-ES, use enc>, "iat", "exp": iat + 120, "v": 1 }`.
 *
 * The client checks that the RFC 7638 thumbprint of `jwk` equals the pinned `skt`, verifies the
 * signature with `jwk`, compares `nonce`, then encrypts its login (JWE, ECDH-ES + A256GCM) to `enc`.
 */
import { sign, type KeyObject } from 'node:crypto';
import {
  okpPublicJwk,
  okpThumbprint as thumbprintOf,
  SITE_HELLO_TYP,
  SITE_HELLO_VERSION,
} from '@lanbridge/security-contract/node';
import type { SigningKey } from './access-token';

export const HELLO_TYP = SITE_HELLO_TYP;
export const HELLO_VERSION = SITE_HELLO_VERSION;
/** Lifetime of a hello and of its `hid`, seconds. */
export const HELLO_TTL_SECONDS = 120;
/** The client's nonce: base64url of 16–64 random bytes. */
export const HELLO_NONCE_MIN_BYTES = 16;
export const HELLO_NONCE_MAX_BYTES = 64;
/** The only JWE algorithms accepted for the encrypted login. */
export const LOGIN_JWE_ALG = 'ECDH-ES';
export const LOGIN_JWE_ENC = 'A256GCM';

export interface EncryptionKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** An X25519 public key as a JWK, as published in the JWKS and in the hello's `enc`. */
export interface EncryptionJwk {
  readonly kty: 'OKP';
  readonly crv: 'X25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: typeof LOGIN_JWE_ALG;
  readonly use: 'enc';
}

export interface HelloClaims {
  readonly iss: string;
  readonly nonce: string;
  readonly hid: string;
  readonly enc: EncryptionJwk;
  readonly iat: number;
  readonly exp: number;
  readonly v: typeof HELLO_VERSION;
}

/** RFC 7638 thumbprint of the site's Ed25519 or X25519 key (`@lanbridge/security-contract`). */
export function okpThumbprint(publicKey: KeyObject, crv: 'Ed25519' | 'X25519'): string {
  const jwk = okpPublicJwk(publicKey);
  if (jwk?.crv !== crv) throw new Error(`the key is not an ${crv} key`);
  return thumbprintOf(jwk);
}

export function encryptionJwk(key: EncryptionKey): EncryptionJwk {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'X25519', x: String(jwk.x), kid: key.kid, alg: LOGIN_JWE_ALG, use: 'enc' };
}

/** True for base64url text that decodes to HELLO_NONCE_MIN_BYTES..HELLO_NONCE_MAX_BYTES bytes. */
export function isHelloNonce(nonce: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(nonce) || nonce.length % 4 === 1) return false;
  const bytes = Buffer.from(nonce, 'base64url');
  return (
    bytes.length >= HELLO_NONCE_MIN_BYTES &&
    bytes.length <= HELLO_NONCE_MAX_BYTES &&
    bytes.toString('base64url') === nonce
  );
}

export function signHello(key: SigningKey, claims: HelloClaims): string {
  const x = String(key.publicKey.export({ format: 'jwk' }).x);
  const header = { alg: 'EdDSA', typ: HELLO_TYP, jwk: { kty: 'OKP', crv: 'Ed25519', x } };
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const s = sign(null, Buffer.from(`${h}.${p}`), key.privateKey).toString('base64url');
  return `${h}.${p}.${s}`;
}
