import {
  addressProblem,
  DEFAULT_PUSH_ENDPOINT_HOSTS,
  endpointProblem,
  type Lookup,
  parsePushEndpointHosts,
  type PushEndpointPolicy,
  resolveEndpoint,
} from './push-endpoint';

const safe: PushEndpointPolicy = { hosts: DEFAULT_PUSH_ENDPOINT_HOSTS, allowInsecure: false };
const any: PushEndpointPolicy = { hosts: ['*'], allowInsecure: false };
const answers =
  (...addresses: string[]): Lookup =>
  () =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('push endpoint policy', () => {
  it('takes the browsers’ push services by default', () => {
    for (const e of [
      'https://fcm.googleapis.com/fcm/send/abc:def',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
      'https://wns2-par02p.notify.windows.com/w/?token=BQYAAA',
      'https://web.push.apple.com/QGuQyavXutnMaTA',
    ]) {
      expect(endpointProblem(e, safe)).toBeUndefined();
    }
  });

  it('refuses hosts off the allowlist, plain http, credentials', () => {
    expect(endpointProblem('https://push.example.com/x', safe)).toMatch(/not a push service this broker posts to/);
    expect(endpointProblem('https://notify.windows.com.evil.test/x', safe)).toMatch(/not a push service/);
    expect(endpointProblem('https://evil.test/fcm.googleapis.com', safe)).toMatch(/not a push service/);
    expect(endpointProblem('http://fcm.googleapis.com/x', safe)).toMatch(/https/);
    expect(endpointProblem('http://127.0.0.1:9999/push/1', safe)).toMatch(/https/);
    expect(endpointProblem('https://user:pw@fcm.googleapis.com/x', safe)).toMatch(/credentials/);
    expect(endpointProblem(`https://fcm.googleapis.com/${'x'.repeat(2048)}`, safe)).toMatch(/longer than/);
    expect(endpointProblem('not a url', safe)).toMatch(/not a URL/);
  });

  it('refuses address literals that are not public, however they are written, even with * listed', () => {
    for (const host of [
      '127.0.0.1',
      '2130706433',
      '0x7f.1',
      '10.1.2.3',
      '192.168.1.5',
      '172.20.0.1',
      '100.64.0.1',
      '100.100.100.200',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '[::1]',
      '[::]',
      '[fd00:ec2::254]',
      '[fe80::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:a9fe:a9fe]',
      '[64:ff9b::a00:1]',
      '[2002:7f00:1::]',
      '[ff02::1]',
    ]) {
      expect([host, endpointProblem(`https://${host}/push`, any)]).toEqual([
        host,
        expect.stringMatching(/public push service/),
      ]);
    }
    expect(endpointProblem('https://8.8.8.8/push', any)).toBeUndefined();
    expect(endpointProblem('https://[2606:4700::1111]/push', any)).toBeUndefined();
  });

  it('matches names, *.suffix (below the suffix only) and ports as listed', () => {
    const p: PushEndpointPolicy = { hosts: ['push.example.com:8443', '*.svc.example.com'], allowInsecure: false };
    expect(endpointProblem('https://push.example.com:8443/a', p)).toBeUndefined();
    expect(endpointProblem('https://push.example.com/a', p)).toMatch(/not a push service/);
    expect(endpointProblem('https://eu.svc.example.com/a', p)).toBeUndefined();
    expect(endpointProblem('https://svc.example.com/a', p)).toMatch(/not a push service/);
    expect(endpointProblem('https://xsvc.example.com/a', p)).toMatch(/not a push service/);
  });

  it('allows http and loopback only for listed hosts with the insecure test setting', () => {
    const test: PushEndpointPolicy = { hosts: ['127.0.0.1:9999'], allowInsecure: true };
    expect(endpointProblem('http://127.0.0.1:9999/push/1', test)).toBeUndefined();
    expect(endpointProblem('http://127.0.0.1:9998/push/1', test)).toMatch(/not a push service/);
    expect(endpointProblem('http://10.0.0.1/push/1', test)).toMatch(/not a push service/);
  });

  it('parses PUSH_ENDPOINT_HOSTS', () => {
    expect(parsePushEndpointHosts(' FCM.googleapis.com, *.notify.windows.com ,127.0.0.1:8080,[::1]:9')).toEqual({
      hosts: ['fcm.googleapis.com', '*.notify.windows.com', '127.0.0.1:8080', '[::1]:9'],
    });
    expect(parsePushEndpointHosts('*')).toEqual({ hosts: ['*'] });
    expect(parsePushEndpointHosts('')).toHaveProperty('error');
    expect(parsePushEndpointHosts('https://fcm.googleapis.com')).toHaveProperty('error');
    expect(parsePushEndpointHosts('*.x.com:443')).toHaveProperty('error');
  });

  it('names what is wrong with an address', () => {
    expect(addressProblem('142.250.74.10')).toBeUndefined();
    expect(addressProblem('10.0.0.1')).toBe('10.0.0.1 is a private address');
    expect(addressProblem('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1 is a private address');
  });
});

describe('resolving a push endpoint', () => {
  it('refuses a listed name that resolves to a non-public address, any one of several', async () => {
    const r = await resolveEndpoint(
      'https://fcm.googleapis.com/fcm/send/x',
      safe,
      answers('142.250.74.10', '10.0.0.7'),
    );
    expect(r).toEqual({
      ok: false,
      problem: 'fcm.googleapis.com resolves to a non-public address: 10.0.0.7 is a private address',
      transient: true,
    });
    expect(await resolveEndpoint('https://fcm.googleapis.com/x', safe, answers('::1'))).toMatchObject({ ok: false });
  });

  it('names the address it checked, for the connection to use', async () => {
    const r = await resolveEndpoint('https://fcm.googleapis.com/x', safe, answers('142.250.74.10', '142.250.74.11'));
    expect(r).toMatchObject({ ok: true, address: '142.250.74.10', family: 4 });
  });

  it('does not resolve names the policy refuses anyway', async () => {
    let asked = 0;
    const counting: Lookup = (h) => {
      asked++;
      return answers('8.8.8.8')(h);
    };
    expect(await resolveEndpoint('https://evil.test/x', safe, counting)).toMatchObject({ ok: false, transient: false });
    expect(asked).toBe(0);
  });

  it('tells a missing name from a resolver that is down', async () => {
    const fail =
      (code: string): Lookup =>
      () =>
        Promise.reject(Object.assign(new Error(code), { code }));
    expect(await resolveEndpoint('https://fcm.googleapis.com/x', safe, fail('ENOTFOUND'))).toMatchObject({
      ok: false,
      transient: false,
    });
    expect(await resolveEndpoint('https://fcm.googleapis.com/x', safe, fail('EAI_AGAIN'))).toMatchObject({
      ok: false,
      transient: true,
    });
  });
});
