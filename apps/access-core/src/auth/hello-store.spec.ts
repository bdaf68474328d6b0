import { HelloStore } from './hello-store';

describe('HelloStore', () => {
  it('accepts a hid once, for its own nonce, until it expires', () => {
    const s = new HelloStore(120_000);
    s.remember('h1', 'n1', 0);
    expect(s.consume('h1', 'n1', 1000)).toBe(true);
    expect(s.consume('h1', 'n1', 1000)).toBe(false);
    s.remember('h2', 'n2', 0);
    expect(s.consume('h2', 'other', 1000)).toBe(false);
    expect(s.consume('h2', 'n2', 1000)).toBe(false);
    s.remember('h3', 'n3', 0);
    expect(s.consume('h3', 'n3', 120_000)).toBe(false);
    expect(s.consume('unknown', 'n', 0)).toBe(false);
  });

  it('is bounded: the oldest hello is forgotten first, expired ones are swept', () => {
    const s = new HelloStore(1000, 3);
    for (const h of ['a', 'b', 'c', 'd']) s.remember(h, 'n', 0);
    expect(s.size).toBe(3);
    expect(s.consume('a', 'n', 1)).toBe(false);
    expect(s.consume('d', 'n', 1)).toBe(true);
    s.remember('e', 'n', 5000);
    expect(s.size).toBe(1);
  });
});
