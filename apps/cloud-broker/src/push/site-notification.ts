import { MAX_PUSH_PAYLOAD_BYTES } from './push-provider';

/** A notification as the site sends it up (docs/mobile-path.md §6). */
export interface SiteNotification {
  /** The site's id of the notification; unique per organisation. */
  readonly id: string;
  /** `admin:<operatorId>` or `personnel:<personId>`: the subjects of push subscriptions. */
  readonly recipients: readonly string[];
  readonly notification: {
    readonly type: 'alarm' | 'notification';
    readonly title: string;
    readonly body: string;
    readonly data: Readonly<Record<string, unknown>> | null;
    readonly createdAt: string;
  };
}

/** Version of the plaintext the app receives. */
export const PUSH_MESSAGE_VERSION = 1;

/**
 * The plaintext a device receives: `{v, id, orgId, notification}`. Over the Web Push size limit,
 * `data` is left out first, then the body is shortened (the app fetches the full notification
 * from the site by its id).
 */
export function pushMessage(orgId: string, n: SiteNotification): string {
  const make = (notification: SiteNotification['notification']): string =>
    JSON.stringify({ v: PUSH_MESSAGE_VERSION, id: n.id, orgId, notification });
  let text = make(n.notification);
  if (Buffer.byteLength(text) <= MAX_PUSH_PAYLOAD_BYTES) return text;
  const withoutData = { ...n.notification, data: null };
  text = make(withoutData);
  let body = n.notification.body;
  while (Buffer.byteLength(text) > MAX_PUSH_PAYLOAD_BYTES && body.length > 0) {
    const excess = Buffer.byteLength(text) - MAX_PUSH_PAYLOAD_BYTES;
    body = body.slice(0, Math.max(0, body.length - Math.max(excess, 16) - 1));
    text = make({ ...withoutData, body: `${body}…` });
  }
  return text;
}
