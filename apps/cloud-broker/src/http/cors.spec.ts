import { ConfigError } from '@lanbridge/config';
import { loadBrokerConfig } from '../config/broker.config';
import { parseCorsOrigins, withoutSiteCorsHeaders } from './cors';

describe('CORS_ORIGINS', () => {
  it('is off when absent or empty', () => {
    expect(loadBrokerConfig({}).cors).toBeUndefined();
    expect(loadBrokerConfig({ CORS_ORIGINS: ' , ' }).cors).toBeUndefined();
  });

  it('allows exactly the listed origins (a trailing slash is tolerated), or any with *', () => {
    const cors = loadBrokerConfig({ CORS_ORIGINS: 'https://app.example.com/, http://127.0.0.1:5173' }).cors;
    expect(cors?.allows('https://app.example.com')).toBe(true);
    expect(cors?.allows('http://127.0.0.1:5173')).toBe(true);
    expect(cors?.allows('https://app.example.com:8443')).toBe(false);
    expect(cors?.allows('http://app.example.com')).toBe(false);
    expect(cors?.allows('https://evil.example.com')).toBe(false);
    const any = parseCorsOrigins('*');
    expect('policy' in any && any.policy?.allows('https://anything.example')).toBe(true);
  });

  it('refuses to start with entries that are not origins, naming each', () => {
    let err: unknown;
    try {
      loadBrokerConfig({
        CORS_ORIGINS: 'https://ok.example.com, ftp://files.example.com, https://a.example.com/app, nope',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = String((err as Error).message);
    expect(text).toContain('CORS_ORIGINS');
    expect(text).toContain('"ftp://files.example.com"');
    expect(text).toContain('"https://a.example.com/app"');
    expect(text).toContain('"nope"');
    expect(text).not.toContain('"https://ok.example.com"');
  });

  it("drops the site's own Access-Control headers when the broker answers CORS", () => {
    expect(
      withoutSiteCorsHeaders([
        'Content-Type',
        'application/json',
        'Access-Control-Allow-Origin',
        '*',
        'access-control-allow-credentials',
        'true',
        'X-Request-Id',
        'r1',
      ]),
    ).toEqual(['Content-Type', 'application/json', 'X-Request-Id', 'r1']);
  });
});
