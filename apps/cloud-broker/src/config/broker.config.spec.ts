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

describe('broker config: regions (AREAS)', () => {
  it('defaults to one region at the public URL', () => {
    const c = loadBrokerConfig({ BROKER_PUBLIC_URL: 'https://broker.example.com/' });
    expect(c.accounts.areas).toEqual([{ id: 'default', name: 'Default', brokerUrl: 'https://broker.example.com' }]);
    expect(c.accounts.brokerArea).toBe('default');
  });

  it('reads "Name=URL,..." with ids made from the names, and the JSON form', () => {
    const c = loadBrokerConfig({
      AREAS: 'Singapore=https://sg.example.com/, Europe (Frankfurt)=https://eu.example.com',
      BROKER_AREA: 'europe-frankfurt',
    });
    expect(c.accounts.areas).toEqual([
      { id: 'singapore', name: 'Singapore', brokerUrl: 'https://sg.example.com' },
      { id: 'europe-frankfurt', name: 'Europe (Frankfurt)', brokerUrl: 'https://eu.example.com' },
    ]);
    expect(c.accounts.brokerArea).toBe('europe-frankfurt');
    const json = loadBrokerConfig({ AREAS: '[{"id":"us","name":"America","brokerUrl":"https://us.example.com"}]' });
    expect(json.accounts.areas).toEqual([{ id: 'us', name: 'America', brokerUrl: 'https://us.example.com' }]);
  });

  it('refuses bad lists at start-up, naming the setting', () => {
    expect(() => loadBrokerConfig({ AREAS: 'Singapore' })).toThrow(/AREAS "Singapore" is not Name=URL/);
    expect(() => loadBrokerConfig({ AREAS: 'Singapore=ftp://sg.example.com' })).toThrow(
      /AREAS area singapore: brokerUrl must be an http\(s\) URL/,
    );
    expect(() => loadBrokerConfig({ AREAS: 'A=https://a.example.com,a=https://b.example.com' })).toThrow(
      /AREAS area id "a" is listed twice/,
    );
    expect(() => loadBrokerConfig({ AREAS: 'Asia=https://a.example.com', BROKER_AREA: 'eu' })).toThrow(
      /BROKER_AREA "eu" is not in AREAS/,
    );
  });
});
