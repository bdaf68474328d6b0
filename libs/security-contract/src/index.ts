/**
 * `@lanbridge/security-contract`: the contract (contract.ts) and the thumbprint for clients,
 * platform-neutral (Node, browsers, React Native). Servers use `@lanbridge/security-contract/node`.
 */
import { calculateJwkThumbprint } from 'jose';
import type { OkpPublicJwk } from './contract';

export * from './contract';

/** RFC 7638 thumbprint (base64url SHA-256) of an OKP public key, where only WebCrypto is at hand. */
export function okpThumbprintAsync(jwk: OkpPublicJwk): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'sha256');
}
