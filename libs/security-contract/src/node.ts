/**
 * The server side of the contract (`@lanbridge/security-contract/node`): the RFC 7638 thumbprint
 * computed synchronously with node:crypto, from a JWK or a key object. The one implementation the
 * broker, access-core and the edge connector use (without loading jose); `security-contract.spec.ts`
 * checks it against jose's.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { type OkpPublicJwk, okpThumbprintInput } from './contract';

export * from './contract';

/** The OKP public members of `key` (a private key gives its public half); undefined for any other key type. */
export function okpPublicJwk(key: KeyObject): OkpPublicJwk | undefined {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || typeof jwk.crv !== 'string' || typeof jwk.x !== 'string') return undefined;
  return { kty: 'OKP', crv: jwk.crv, x: jwk.x };
}

/** RFC 7638 thumbprint (base64url SHA-256) of an OKP public key. */
export function okpThumbprint(jwk: OkpPublicJwk): string {
  return createHash('sha256').update(okpThumbprintInput(jwk)).digest('base64url');
}
