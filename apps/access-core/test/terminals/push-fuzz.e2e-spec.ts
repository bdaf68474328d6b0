/**
 * Protocol fuzz: random and malformed PUSH requests never crash access-core, always get an HTTP
 * answer, and leave a well-behaved terminal working. The cases come from the generator that
 * `npm run bench:faults` also runs, 100,000 at a time; here a few hundred, with shrinking.
 */
import fc from 'fast-check';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { pushFuzzCase, sendPushFuzzCase } from '@lanbridge/testing/push-fuzz';
import { eventually, startHarness, type Harness } from './harness';

describe('PUSH protocol fuzz', () => {
  let h: Harness;
  let t: SimulatedTerminal;

  beforeAll(async () => {
    h = await startHarness({ PUSH_MAX_BODY_BYTES: '4096' });
    t = new SimulatedTerminal({
      serverUrl: h.app.url,
      sn: `FUZZ${process.pid}`,
      requestDelayMs: 100,
      errorDelayMs: 200,
    });
    await t.start();
    await t.waitOnline();
  });

  afterAll(async () => {
    await t?.stop();
    await h?.close();
  });

  it('answers every random or malformed request and keeps serving the real terminal', async () => {
    await fc.assert(
      fc.asyncProperty(pushFuzzCase({ sn: t.sn, oversizeBytes: 5000 }), async (c) => {
        const status = await sendPushFuzzCase(h.app.url, c);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 250 },
    );

    expect((await fetch(`${h.app.url}/readyz`)).status).toBe(200);
    expect(h.lines.filter((l) => l.msg === 'terminal request failed')).toEqual([]);
    const [ev] = await t.swipeCard('424242', 1);
    expect(ev.code).toBe(27);
    await eventually('the swipe stored', async () => {
      const rows = await h.query('SELECT id FROM access_event WHERE device_sn = $1 AND code = 27', [t.sn]);
      return rows.length > 0;
    });
    expect(t.online).toBe(true);
  });
});
