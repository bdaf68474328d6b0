import { WindowCounter } from './login-rate-limiter';

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
