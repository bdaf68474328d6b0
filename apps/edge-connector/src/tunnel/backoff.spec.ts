import { Backoff } from './backoff';

function make(opts: { random?: () => number; now?: () => number } = {}): Backoff {
  return new Backoff({ baseMs: 100, maxMs: 1000, healthyResetMs: 5000, ...opts });
}

describe('Backoff', () => {
  it('draws full jitter between 0 and the doubling ceiling', () => {
    const lows = make({ random: () => 0 });
    const highs = make({ random: () => 0.999999 });
    const expectedCeilings = [100, 200, 400, 800, 1000, 1000];
    for (const ceiling of expectedCeilings) {
      expect(lows.ceiling()).toBe(ceiling);
      expect(lows.nextDelay()).toBe(0);
      expect(highs.nextDelay()).toBe(ceiling - 1);
    }
  });

  it('stays within [0, min(max, base·2^attempt)) for random draws', () => {
    const b = make();
    for (let attempt = 0; attempt < 50; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** attempt);
      const d = b.nextDelay();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(ceiling);
    }
    expect(b.ceiling()).toBe(1000);
  });

  it('resets the attempt counter after a session stayed up for healthyResetMs', () => {
    let now = 0;
    const b = make({ random: () => 0.5, now: () => now });
    b.nextDelay();
    b.nextDelay();
    b.nextDelay();
    expect(b.attempt).toBe(3);
    b.connected();
    now += 4999;
    b.disconnected();
    expect(b.attempt).toBe(3);
    expect(b.nextDelay()).toBe(400);
    b.connected();
    now += 5000;
    b.disconnected();
    expect(b.attempt).toBe(0);
    expect(b.nextDelay()).toBe(50);
  });

  it('backs off at the cap after an auth refusal', () => {
    const b = make({ random: () => 0 });
    expect(b.authFailureDelay()).toBe(500);
    expect(make({ random: () => 0.999999 }).authFailureDelay()).toBe(999);
    expect(b.ceiling()).toBe(1000);
  });
});
