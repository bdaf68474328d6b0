/**
 * Protocol fuzz: random and malformed PUSH requests never crash access-core, always get an HTTP
 * answer, and leave a well-behaved terminal working.
 */
import fc from 'fast-check';
import { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { eventually, startHarness, type Harness } from './harness';

const ENDPOINTS = [
  'cdata',
  'registry',
  'push',
  'getrequest',
  'ping',
  'devicecmd',
  'querydata',
  'rtdata',
  'cdata.aspx',
  'x',
];
const TABLES = ['rtlog', 'rtstate', 'tabledata', 'options', 'ATTLOG', 'OPERLOG', 'bogus', ''];

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
    const line = fc.array(
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc
          .tuple(
            fc.constantFrom(
              'time',
              'event',
              'index',
              'pin',
              'cardno',
              'eventaddr',
              'sensor',
              'relay',
              'alarm',
              'ID',
              'Return',
              'CMD',
              'LockCount',
            ),
            fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.constant('2024-02-30 25:61:61')),
          )
          .map(([k, v]) => `${k}=${v}`),
      ),
      { maxLength: 8 },
    );
    const body = fc.oneof(
      fc.constant(''),
      fc
        .array(
          line.chain((items) => fc.constantFrom('\t', ',', '&').map((sep) => items.join(sep))),
          { maxLength: 6 },
        )
        .chain((lines) => fc.constantFrom('\n', '\r\n').map((nl) => lines.join(nl))),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.constant('x'.repeat(5000)),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      endpoint: fc.oneof(fc.constantFrom(...ENDPOINTS), fc.string({ maxLength: 10 }).map(encodeURIComponent)),
      sn: fc.oneof(fc.constant(t.sn), fc.constant(undefined), fc.string({ maxLength: 70 }), fc.constant('UNKNOWN1')),
      table: fc.constantFrom(...TABLES),
      extra: fc.dictionary(
        fc.constantFrom(
          'options',
          'pushver',
          'DeviceType',
          'AuthType',
          'tablename',
          'count',
          'type',
          'cmdid',
          'packcnt',
          'packidx',
          'Stamp',
        ),
        fc.oneof(
          fc.string({ maxLength: 10 }),
          fc.constantFrom('all', '3.1.2', '2.4.1', 'acc', 'device', 'time', 'user'),
        ),
      ),
      body,
      contentType: fc.constantFrom(
        'text/plain',
        'application/octet-stream',
        'application/json',
        'application/x-www-form-urlencoded',
        undefined,
      ),
    });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const q = new URLSearchParams();
        if (r.sn !== undefined) q.set('SN', r.sn);
        if (r.table) q.set('table', r.table);
        for (const [k, v] of Object.entries(r.extra)) q.set(k, v);
        const withBody = r.method !== 'GET';
        const res = await fetch(`${h.app.url}/iclock/${r.endpoint}?${q.toString()}`, {
          method: r.method,
          headers: r.contentType ? { 'content-type': r.contentType } : {},
          body: withBody ? r.body : undefined,
        });
        await res.arrayBuffer();
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
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
