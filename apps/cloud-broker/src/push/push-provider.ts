/** Where and how to reach one device: a Web Push subscription (RFC 8030, keys of RFC 8291). */
export interface PushTarget {
  readonly id: string;
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

/** What is sent: the plaintext (encrypted by the provider) and delivery hints. */
export interface PushPayload {
  /** UTF-8 JSON, at most MAX_PUSH_PAYLOAD_BYTES. */
  readonly body: string;
  readonly urgency: 'normal' | 'high';
}

/**
 * Outcome of one attempt: delivered; the subscription is gone for good (404/410, delete it);
 * or worth another try later (5xx, 429, network) with the reason for the logs.
 */
export type PushResult =
  | { readonly ok: true }
  | { readonly gone: true; readonly status: number }
  | { readonly retry: true; readonly reason: string };

/**
 * A way to deliver to devices. WebPushProvider (VAPID + aes128gcm) is the one built; FCM and
 * APNs adapters implement the same interface.
 */
export interface PushProvider {
  send(target: PushTarget, payload: PushPayload): Promise<PushResult>;
}

export const PUSH_PROVIDER = Symbol('PUSH_PROVIDER');

/**
 * Plaintext bound: a push message is at most 4096 bytes on the wire (RFC 8030 §7.2), and
 * aes128gcm adds an 86-byte header, a padding delimiter and a 16-byte tag.
 */
export const MAX_PUSH_PAYLOAD_BYTES = 3800;
