import { endpointProblem } from './push-endpoint';

describe('push endpoint policy', () => {
  it('takes public https push services', () => {
    for (const e of [
      'https://fcm.googleapis.com/fcm/send/abc:def',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
      'https://web.push.apple.com/QGuQyavXutnMaTA',
    ]) {
      expect(endpointProblem(e, false)).toBeUndefined();
    }
  });

  it('refuses plain http, credentials and addresses inside private networks', () => {
    expect(endpointProblem('http://push.example.com/x', true)).toMatch(/https/);
    expect(endpointProblem('https://user:pw@push.example.com/x', false)).toMatch(/credentials/);
    for (const host of [
      '127.0.0.1',
      '10.1.2.3',
      '192.168.1.5',
      '172.20.0.1',
      '169.254.169.254',
      '[::1]',
      '[fd00::1]',
      'localhost',
      'db.internal',
    ]) {
      expect(endpointProblem(`https://${host}/push`, false)).toMatch(/public push service/);
    }
    expect(endpointProblem(`https://push.example.com/${'x'.repeat(2048)}`, false)).toMatch(/longer than/);
    expect(endpointProblem('not a url', false)).toMatch(/not a URL/);
  });

  it('allows http on loopback only outside production (a local push service in tests)', () => {
    expect(endpointProblem('http://127.0.0.1:9999/push/1', true)).toBeUndefined();
    expect(endpointProblem('http://localhost:9999/push/1', true)).toBeUndefined();
    expect(endpointProblem('http://127.0.0.1:9999/push/1', false)).toMatch(/https/);
    expect(endpointProblem('http://10.0.0.1/push/1', true)).toMatch(/https/);
  });
});
