import { loadBrokerConfig } from './broker.config';

describe('broker config: push endpoints', () => {
  it('posts to the browsers’ push services by default, https and public addresses only', () => {
    const c = loadBrokerConfig({});
    expect(c.push.endpoints).toEqual({
      hosts: [
        'fcm.googleapis.com',
        'updates.push.services.mozilla.com',
        '*.notify.windows.com',
        'web.push.apple.com',
        '*.push.apple.com',
      ],
      allowInsecure: false,
    });
  });

  it('takes an operator list and the insecure test setting, which production refuses', () => {
    const test = loadBrokerConfig({ PUSH_ENDPOINT_HOSTS: '127.0.0.1:9000', PUSH_ENDPOINT_ALLOW_INSECURE: 'true' });
    expect(test.push.endpoints).toEqual({ hosts: ['127.0.0.1:9000'], allowInsecure: true });
    expect(() =>
      loadBrokerConfig({
        NODE_ENV: 'production',
        PUSH_ENDPOINT_HOSTS: '127.0.0.1:9000',
        PUSH_ENDPOINT_ALLOW_INSECURE: 'true',
      }),
    ).toThrow(/PUSH_ENDPOINT_ALLOW_INSECURE is for tests and is refused with NODE_ENV=production/);
    expect(() => loadBrokerConfig({ PUSH_ENDPOINT_HOSTS: 'https://fcm.googleapis.com/' })).toThrow(
      /PUSH_ENDPOINT_HOSTS/,
    );
  });
});
