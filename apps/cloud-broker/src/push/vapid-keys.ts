import { createECDH } from 'node:crypto';

/** A VAPID key pair (RFC 8292) as web-push takes it: base64url, uncompressed P-256 point + 32-byte scalar. */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decode(value: string): Buffer | undefined {
  return B64URL.test(value) ? Buffer.from(value, 'base64url') : undefined;
}

/** Why the pair is unusable, or undefined when the private key really yields the public key. */
export function vapidKeyProblem(keys: VapidKeys): string | undefined {
  const pub = decode(keys.publicKey);
  if (!pub || pub.length !== 65 || pub[0] !== 0x04) {
    return 'PUSH_VAPID_PUBLIC_KEY must be base64url of an uncompressed P-256 point (65 bytes)';
  }
  const priv = decode(keys.privateKey);
  if (!priv || priv.length !== 32) return 'PUSH_VAPID_PRIVATE_KEY must be base64url of 32 bytes';
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    if (!ecdh.getPublicKey().equals(pub)) return 'PUSH_VAPID_PUBLIC_KEY does not belong to PUSH_VAPID_PRIVATE_KEY';
  } catch {
    return 'PUSH_VAPID_PRIVATE_KEY is not a valid P-256 private key';
  }
  return undefined;
}

/** Why `subject` is not a VAPID subject (mailto: or https: URL), or undefined. */
export function vapidSubjectProblem(subject: string): string | undefined {
  if (!URL.canParse(subject)) return 'PUSH_VAPID_SUBJECT must be a mailto: or https: URL';
  const { protocol } = new URL(subject);
  return protocol === 'mailto:' || protocol === 'https:'
    ? undefined
    : 'PUSH_VAPID_SUBJECT must be a mailto: or https: URL';
}

/** A fresh key pair (first boot without configured keys). */
export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const scalar = ecdh.getPrivateKey();
  // OpenSSL drops leading zero bytes of the scalar; VAPID wants exactly 32.
  const privateKey = Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]);
  return { publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: privateKey.toString('base64url') };
}
