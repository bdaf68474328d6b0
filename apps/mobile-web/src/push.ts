import type { LanbridgeClient } from '@lanbridge/mobile-sdk';
import { unsubscribePush } from './app-state';

function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

export type PushOutcome = 'subscribed' | 'unsupported' | 'denied';

/**
 * Background notifications: the browser's push subscription made with the broker's VAPID key,
 * registered with the broker for the signed-in user (docs/mobile-path.md §7). The service
 * worker (public/push-sw.js) shows each alarm and opens it on a tap.
 */
export async function enablePush(client: LanbridgeClient): Promise<PushOutcome> {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return 'unsupported';
  if ((await Notification.requestPermission()) !== 'granted') return 'denied';
  const reg = await navigator.serviceWorker.ready;
  const { vapidPublicKey } = await client.pushConfig();
  let sub = await reg.pushManager.getSubscription();
  if (!sub) {
    sub = await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: b64urlToBytes(vapidPublicKey),
    });
  }
  const json = sub.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
  await client.registerPush({ endpoint: json.endpoint, keys: json.keys });
  return 'subscribed';
}

export const disablePush = unsubscribePush;
