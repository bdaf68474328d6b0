import { ConfigError } from '@lanbridge/config';
import { loadBrokerConfig } from '../config/broker.config';
import { generateVapidKeys, vapidKeyProblem } from './vapid-keys';

describe('VAPID keys', () => {
  it('makes pairs whose private key yields the public key', () => {
    for (let i = 0; i < 20; i++) {
      const k = generateVapidKeys();
      expect(Buffer.from(k.privateKey, 'base64url')).toHaveLength(32);
      expect(vapidKeyProblem(k)).toBeUndefined();
    }
  });

  it('are read from the broker config, validated together, with a subject', () => {
    const keys = generateVapidKeys();
    const c = loadBrokerConfig({
      PUSH_VAPID_PUBLIC_KEY: keys.publicKey,
      PUSH_VAPID_PRIVATE_KEY: keys.privateKey,
      PUSH_VAPID_SUBJECT: 'mailto:ops@example.com',
    });
    expect(c.push).toMatchObject({ vapidKeys: keys, vapidSubject: 'mailto:ops@example.com', retryBaseMs: 1000 });
    expect(loadBrokerConfig({ BROKER_PUBLIC_URL: 'https://broker.example.com' }).push).toMatchObject({
      vapidKeys: undefined,
      vapidSubject: 'https://broker.example.com',
      queuePrefix: 'lanbridge',
    });
  });

  it('refuses a half or mismatched pair and a bad subject, naming every problem', () => {
    const a = generateVapidKeys();
    const b = generateVapidKeys();
    let caught: unknown;
    try {
      loadBrokerConfig({
        PUSH_VAPID_PUBLIC_KEY: a.publicKey,
        PUSH_VAPID_PRIVATE_KEY: b.privateKey,
        PUSH_VAPID_SUBJECT: 'http://example.com',
        PUSH_QUEUE_PREFIX: 'a b',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toContain('PUSH_VAPID_PUBLIC_KEY does not belong to PUSH_VAPID_PRIVATE_KEY');
    expect(problems).toContain('PUSH_VAPID_SUBJECT must be a mailto: or https: URL');
    expect(problems).toContain('PUSH_QUEUE_PREFIX');
    expect(() => loadBrokerConfig({ PUSH_VAPID_PUBLIC_KEY: a.publicKey })).toThrow(/PUSH_VAPID_PRIVATE_KEY must be/);
  });
});
