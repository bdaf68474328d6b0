import type { AccessCoreConfig } from '../config/access-core.config';
import { Clock } from '../system/clock';
import { LoginRateLimiter, WindowCounter } from './login-rate-limiter';

describe('WindowCounter', () => {
  it('blocks at the limit until the window ends, per key', () => {
    const c = new WindowCounter(2, 1000);
    c.hit('a', 0);
    expect(c.blockedFor('a', 10)).toBe(0);
    c.hit('a', 10);
    expect(c.blockedFor('a', 500)).toBe(500);
    expect(c.blockedFor('b', 500)).toBe(0);
    expect(c.blockedFor('a', 1000)).toBe(0);
    c.hit('a', 1000);
    c.reset('a');
    expect(c.blockedFor('a', 1001)).toBe(0);
  });
});

describe('LoginRateLimiter', () => {
  it('counts an attempt against the account before the password is checked', () => {
    const config = { AUTH_LOGIN_WINDOW_SECONDS: 60, AUTH_LOGIN_MAX_PER_IP: 100, AUTH_LOGIN_MAX_PER_ACCOUNT: 3 };
    const limiter = new LoginRateLimiter(config as AccessCoreConfig, new Clock());
    // Three attempts in flight at once (none answered yet): the fourth is refused.
    expect([1, 2, 3, 4].map(() => limiter.attempt('10.0.0.1', 'admin:admin'))).toEqual([0, 0, 0, 60]);
    expect(limiter.attempt('10.0.0.2', 'admin:other')).toBe(0);
    limiter.succeeded('admin:admin');
    expect(limiter.attempt('10.0.0.1', 'admin:admin')).toBe(0);
  });
});
