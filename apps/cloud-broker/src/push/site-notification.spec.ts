import { MAX_PUSH_PAYLOAD_BYTES } from './push-provider';
import { pushMessage, type SiteNotification } from './site-notification';

const base: SiteNotification = {
  id: '42',
  recipients: ['admin:1'],
  notification: {
    type: 'alarm',
    title: 'Door forced',
    body: 'Gate 1',
    data: { doorId: 1 },
    createdAt: '2025-01-01T00:00:00Z',
  },
};

describe('push message', () => {
  it('is the notification with its id and organisation', () => {
    expect(JSON.parse(pushMessage('org-1', base))).toEqual({
      v: 1,
      id: '42',
      orgId: 'org-1',
      notification: base.notification,
    });
  });

  it('fits the Web Push size limit: data goes first, then the body is shortened', () => {
    const big = {
      ...base,
      notification: { ...base.notification, body: 'é'.repeat(2000), data: { x: 'y'.repeat(2000) } },
    };
    const text = pushMessage('org-1', big);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_PUSH_PAYLOAD_BYTES);
    const m = JSON.parse(text) as { notification: { data: unknown; body: string; title: string } };
    expect(m.notification.data).toBeNull();
    expect(m.notification.body.endsWith('…')).toBe(true);
    expect(m.notification.title).toBe('Door forced');
  });
});
