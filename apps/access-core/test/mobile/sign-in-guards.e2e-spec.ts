/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by expect(), not by types */
/**
 * Sign-in under attack: a burst of parallel wrong passwords for one account is cut at the
 * account's limit before the passwords are checked.
 */
import { ADMIN_PASSWORD, Api, startSite, type Site } from './mobile-harness';

type Json = Record<string, any>;

const LIMIT = 5;

describe('sign-in lockout under parallel attempts', () => {
  let site: Site;
  let anon: Api;

  beforeAll(async () => {
    site = await startSite('mobile_guards', {
      AUTH_LOGIN_MAX_PER_ACCOUNT: String(LIMIT),
      AUTH_LOGIN_MAX_PER_IP: '1000',
    });
    anon = new Api(site.url);
  });

  afterAll(async () => {
    await site?.stop();
  });

  const checked = (account: string): number =>
    site.logLines.filter((l) => l.msg === 'sign-in failed' && l.account === account).length;

  it('checks at most the limit of 50 parallel wrong passwords; the rest get 429 RATE_LIMITED + Retry-After', async () => {
    const bad = { type: 'admin', username: 'admin', password: 'not the password' };
    const replies = await Promise.all(Array.from({ length: 50 }, () => anon.post<Json>('/api/v1/auth/login', bad)));
    const refused = replies.filter((r) => r.status === 401);
    const throttled = replies.filter((r) => r.status === 429);
    expect(refused.length + throttled.length).toBe(50);
    expect(refused.length).toBeLessThanOrEqual(LIMIT);
    expect(checked('admin:admin')).toBeLessThanOrEqual(LIMIT);
    for (const r of throttled) {
      expect(r.body.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The right password does not get through the lockout either.
    const right = await anon.post<Json>('/api/v1/auth/login', { ...bad, password: ADMIN_PASSWORD });
    expect(right.status).toBe(429);
  });

  it('counts personnel accounts the same way', async () => {
    const bad = { type: 'personnel', pin: '424242', password: 'wrong-password' };
    const replies = await Promise.all(Array.from({ length: 50 }, () => anon.post<Json>('/api/v1/auth/login', bad)));
    expect(replies.filter((r) => r.status === 401).length).toBeLessThanOrEqual(LIMIT);
    expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(50 - LIMIT);
    expect(checked('personnel:424242')).toBeLessThanOrEqual(LIMIT);
  });
});
