import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { okpPublicJwk, okpThumbprint } from '@lanbridge/security-contract/node';

export const ConnectorKeyErrorCode = {
  /** No key file at the configured path. */
  MISSING: 'CONNECTOR_KEY_MISSING',
  /** The key file can be read (or written) by group or others. */
  INSECURE: 'CONNECTOR_KEY_INSECURE',
  /** The file is not an Ed25519 PKCS#8 PEM private key. */
  INVALID: 'CONNECTOR_KEY_INVALID',
  /** keygen would overwrite an existing key without --force. */
  EXISTS: 'CONNECTOR_KEY_EXISTS',
} as const;
export type ConnectorKeyErrorCode = (typeof ConnectorKeyErrorCode)[keyof typeof ConnectorKeyErrorCode];

export class ConnectorKeyError extends Error {
  constructor(
    readonly code: ConnectorKeyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectorKeyError';
  }
}

/** What may be shown to anyone: the public half, never the private key. */
export interface ConnectorPublicKeyInfo {
  readonly publicKeyPem: string;
  /** RFC 7638 JWK SHA-256 thumbprint, base64url. */
  readonly thumbprint: string;
  readonly keyFile: string;
}

const CHECK_MODE = process.platform !== 'win32';

/** Creates a new Ed25519 key in `keyFile` (0600, directory 0700). Refuses to overwrite unless `force`. */
export function generateConnectorKey(keyFile: string, opts: { force?: boolean } = {}): ConnectorPublicKeyInfo {
  const file = path.resolve(keyFile);
  if (!opts.force && fs.existsSync(file)) {
    throw new ConnectorKeyError(
      ConnectorKeyErrorCode.EXISTS,
      `Key file ${file} already exists; use keygen --force to replace it (the connector must then be re-registered)`,
    );
  }
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  // Write beside the target and rename, so a crash never leaves a half-written key and the
  // file is never visible with looser permissions (umask cannot widen 0600).
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, pem);
    if (CHECK_MODE) fs.fchmodSync(fd, 0o600);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return publicKeyInfo(privateKey, file);
}

/** Loads the private key, refusing a file that group or others can access. */
export function loadConnectorKey(keyFile: string): KeyObject {
  const file = path.resolve(keyFile);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new ConnectorKeyError(
      ConnectorKeyErrorCode.MISSING,
      `Key file ${file} not found; create it with \`main.js keygen\` and register its public key`,
      { cause: err },
    );
  }
  if (CHECK_MODE && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConnectorKeyError(
      ConnectorKeyErrorCode.INSECURE,
      `Key file ${file} is accessible by group or others (mode ${mode}); fix it with \`chmod 600 ${file}\``,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: fs.readFileSync(file), format: 'pem' });
  } catch (err) {
    throw new ConnectorKeyError(ConnectorKeyErrorCode.INVALID, `Key file ${file} is not a PEM private key`, {
      cause: err,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConnectorKeyError(
      ConnectorKeyErrorCode.INVALID,
      `Key file ${file} holds a ${String(key.asymmetricKeyType)} key; an Ed25519 key is required`,
    );
  }
  return key;
}

/** SPKI PEM of the public half. */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

/** RFC 7638 thumbprint of the connector's key (`@lanbridge/security-contract`). */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = okpPublicJwk(key);
  if (!jwk) {
    throw new ConnectorKeyError(ConnectorKeyErrorCode.INVALID, 'Thumbprints are computed for OKP (Ed25519) keys only');
  }
  return okpThumbprint(jwk);
}

export function publicKeyInfo(key: KeyObject, keyFile: string): ConnectorPublicKeyInfo {
  return { publicKeyPem: publicKeyPem(key), thumbprint: jwkThumbprint(key), keyFile: path.resolve(keyFile) };
}
