import { createPublicKey, type KeyObject } from 'node:crypto';
import { okpPublicJwk, okpThumbprint } from '@lanbridge/security-contract/node';
import { BrokerError, BrokerErrorCode } from '../common/broker-error';

export interface ParsedConnectorKey {
  readonly key: KeyObject;
  /** Canonical SPKI PEM (what the database stores). */
  readonly spkiPem: string;
  /** RFC 7638 JWK thumbprint, SHA-256, base64url. */
  readonly thumbprint: string;
}

/** Parses an Ed25519 public key (SPKI PEM); anything else is INVALID_PUBLIC_KEY. */
export function parseConnectorKey(pem: string): ParsedConnectorKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new BrokerError(BrokerErrorCode.INVALID_PUBLIC_KEY, 'public key is not a PEM public key', { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new BrokerError(
      BrokerErrorCode.INVALID_PUBLIC_KEY,
      `public key must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  return { key, spkiPem: key.export({ format: 'pem', type: 'spki' }).toString(), thumbprint: jwkThumbprint(key) };
}

/** RFC 7638 thumbprint of the connector's key (`@lanbridge/security-contract`). */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = okpPublicJwk(key);
  if (!jwk) throw new BrokerError(BrokerErrorCode.INVALID_PUBLIC_KEY, 'public key is not an OKP key');
  return okpThumbprint(jwk);
}
