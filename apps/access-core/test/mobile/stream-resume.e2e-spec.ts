/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- stream messages are checked by expect(), not by types */
import type { SimulatedTerminal } from '@lanbridge/terminal-simulator';
import { StreamHub } from '../../src/realtime/stream.hub';
import {
  ADMIN_PASSWORD,
  login,
  startSite,
  startTerminal,
  StreamClient,
  waitFor,
  type Api,
  type Site,
} from './mobile-harness';

type Json = Record<string, any>;

/** Messages of a stream that carry an id (published events), in arrival order. */
const events = (c: StreamClient): Json[] => c.messages.filter((m) => typeof m.id === 'string');
const ids = (c: StreamClient): bigint[] => events(c).map((m) => BigInt(m.id as string));

function expectIncreasing(list: bigint[]): void {
  for (let i = 1; i < list.length; i++) expect(list[i] > list[i - 1]).toBe(true);
}

describe('live stream: stored messages, resume and ack', () => {
  let site: Site;
  let admin: Api;
  let t: SimulatedTerminal;
  let hub: StreamHub;
  const people: Record<string, string> = {};
  let probe = 0;

  /** Publishes `n` numbered probe messages to administrators, one after another. */
  async function publishProbes(n: number): Promise<number[]> {
    const sent: number[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(probe);
      await hub.publish({ roles: ['admin'] }, { type: 'probe', data: { n: probe++ } });
    }
    return sent;
  }

  async function storedIdsFor(after: bigint, audience: string): Promise<bigint[]> {
    const r = await site.pg.query<{ id: string }>(
      `SELECT e.id::text AS id FROM "${site.schema}".stream_event e WHERE e.id > $1 AND e.audience @> $2::jsonb ORDER BY e.id`,
      [after.toString(), audience],
    );
    return r.rows.map((row) => BigInt(row.id));
  }

  async function notificationsOf(personId: string): Promise<number> {
    const r = await site.pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${site.schema}".stream_event WHERE type = 'notification' AND audience @> $1::jsonb`,
      [JSON.stringify({ personIds: [personId] })],
    );
    return r.rows[0].n;
  }

  beforeAll(async () => {
    site = await startSite('mobile_stream');
    hub = site.app.get(StreamHub);
    admin = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    t = await startTerminal(site, 'MOBSTR0000001', 1);
    for (const pin of ['7201', '7202']) {
      const r = await admin.post<Json>('/api/v1/people', {
        pin,
        firstName: `P${pin}`,
        lastName: 'Stream',
        cardNo: `${pin}0001`,
        appLoginEnabled: true,
        password: `${pin}-password`,
      });
      expect(r.status).toBe(201);
      people[pin] = r.body.id as string;
    }
    // The terminal learns the cards by polling; swipe until the event names the person.
    await waitFor(
      'the terminal knows the cards',
      async () => {
        await t.swipeCard('72010001', 1);
        await new Promise((r) => setTimeout(r, 500));
        return (await notificationsOf(people['7201'])) > 0;
      },
      20_000,
    );
  }, 60_000);

  afterAll(async () => {
    await site?.stop();
  });

  it('delivers events published while a client was away after resume, exactly once and in order', async () => {
    const first = await StreamClient.open(site.url, admin.token!, 'protocol');
    const ready = first.of('ready')[0];
    expect(ready.cursor).toMatch(/^\d+$/);
    const lastSeen = BigInt(ready.cursor as string);
    first.close();
    await first.closed;

    // Away: two forced-open alarms from the terminal and a backlog larger than a replay page.
    await t.forceDoor(1);
    await t.closeDoor(1);
    await t.forceDoor(1);
    await t.closeDoor(1);
    await waitFor(
      'two alarms stored',
      async () =>
        (
          await site.pg.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM "${site.schema}".stream_event WHERE type = 'alarm' AND id > $1`,
            [lastSeen.toString()],
          )
        ).rows[0].n >= 2,
      15_000,
    );
    const away = await publishProbes(450);

    const second = await StreamClient.open(site.url, admin.token!, 'protocol');
    second.ws.send(JSON.stringify({ type: 'resume', after: lastSeen.toString() }));
    // Live messages keep coming while the replay runs.
    const during = await publishProbes(150);
    await waitFor('resumed', () => Promise.resolve(second.of('resumed').length === 1), 15_000);
    const after = await publishProbes(5);
    await waitFor(
      'every probe',
      () => Promise.resolve(second.of('probe').length >= away.length + during.length + after.length),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    try {
      const got = ids(second);
      expectIncreasing(got);
      expect(got[0] > lastSeen).toBe(true);
      // Nothing missing: exactly the stored admin messages after the resume point.
      expect(got).toEqual(await storedIdsFor(lastSeen, '{"roles":["admin"]}'));
      expect(second.of('probe').map((m) => (m.data as Json).n)).toEqual([...away, ...during, ...after]);
      expect(second.of('alarm').length).toBeGreaterThanOrEqual(2);
      expect(second.of('resumed')[0]).toMatchObject({
        after: lastSeen.toString(),
        replayed: expect.any(Number),
        truncated: false,
      });
      expect(second.of('resumed')[0].replayed).toBeGreaterThanOrEqual(away.length + 2);
    } finally {
      second.close();
    }
  });

  it('acks: a resume without after continues after the acknowledged id (same session only)', async () => {
    const s1 = await StreamClient.open(site.url, admin.token!, 'protocol');
    s1.ws.send(JSON.stringify({ type: 'resume' }));
    await waitFor('resumed', () => Promise.resolve(s1.of('resumed').length === 1), 5000);
    const live = await publishProbes(5);
    await waitFor('five probes live', () => Promise.resolve(s1.of('probe').length === 5), 5000);
    const probes = s1.of('probe');
    expect(probes.map((m) => (m.data as Json).n)).toEqual(live);
    s1.ws.send(JSON.stringify({ type: 'ack', id: probes[2].id }));
    s1.ws.send(JSON.stringify({ type: 'ack', id: probes[0].id })); // never moves backwards
    s1.ws.send(JSON.stringify({ type: 'ping' }));
    await waitFor('pong', () => Promise.resolve(s1.of('pong').length === 1), 5000);
    s1.close();
    await s1.closed;
    await waitFor(
      'ack stored',
      async () =>
        (await site.pg.query(`SELECT 1 FROM "${site.schema}".stream_cursor WHERE last_id = $1`, [probes[2].id]))
          .rowCount === 1,
      5000,
    );

    const missed = await publishProbes(2);
    const s2 = await StreamClient.open(site.url, admin.token!, 'protocol');
    s2.ws.send(JSON.stringify({ type: 'resume' }));
    await waitFor('resumed', () => Promise.resolve(s2.of('resumed').length === 1), 5000);
    expect(s2.of('resumed')[0]).toMatchObject({ after: probes[2].id, replayed: 4, truncated: false });
    expect(s2.of('probe').map((m) => (m.data as Json).n)).toEqual([live[3], live[4], ...missed]);
    s2.close();

    // Another session (a new sign-in) has no acknowledged id: nothing to replay.
    const other = await login(site.url, { type: 'admin', username: 'admin', password: ADMIN_PASSWORD });
    const s3 = await StreamClient.open(site.url, other.token!, 'protocol');
    s3.ws.send(JSON.stringify({ type: 'resume' }));
    await waitFor('resumed', () => Promise.resolve(s3.of('resumed').length === 1), 5000);
    expect(s3.of('resumed')[0]).toMatchObject({ replayed: 0 });
    // An id this site never issued: nothing to replay, and the client is told to reload.
    s3.ws.send(JSON.stringify({ type: 'resume', after: '999999999999' }));
    await waitFor('resumed again', () => Promise.resolve(s3.of('resumed').length === 2), 5000);
    expect(s3.of('resumed')[1]).toMatchObject({ replayed: 0, truncated: true });
    s3.ws.send(JSON.stringify({ type: 'ack', id: 'not-an-id' }));
    expect((await s3.closed).code).toBe(4400);
  });

  it("never replays another person's messages to a personnel user", async () => {
    const me = await login(site.url, { type: 'personnel', pin: '7201', password: '7201-password' });
    const peer = await login(site.url, { type: 'personnel', pin: '7202', password: '7202-password' });
    const first = await StreamClient.open(site.url, me.token!, 'protocol');
    const from = first.of('ready')[0].cursor as string;
    first.close();
    await first.closed;

    const mineBefore = await notificationsOf(people['7201']);
    const peersBefore = await notificationsOf(people['7202']);
    await t.swipeCard('72020001', 1); // the peer's card
    await t.swipeCard('72010001', 1); // mine
    await t.forceDoor(1); // an alarm for administrators
    await t.closeDoor(1);
    await publishProbes(3);
    await waitFor(
      'both notifications stored',
      async () =>
        (await notificationsOf(people['7201'])) > mineBefore && (await notificationsOf(people['7202'])) > peersBefore,
      15_000,
    );

    const mine = await StreamClient.open(site.url, me.token!, 'message');
    const theirs = await StreamClient.open(site.url, peer.token!, 'protocol');
    try {
      for (const c of [mine, theirs]) c.ws.send(JSON.stringify({ type: 'resume', after: from }));
      await waitFor(
        'both resumed',
        () => Promise.resolve(mine.of('resumed').length + theirs.of('resumed').length === 2),
        10_000,
      );
      const mineIds = ids(mine);
      const theirIds = ids(theirs);
      expect(mineIds).toEqual(await storedIdsFor(BigInt(from), JSON.stringify({ personIds: [people['7201']] })));
      expect(theirIds).toEqual(await storedIdsFor(BigInt(from), JSON.stringify({ personIds: [people['7202']] })));
      expect(mineIds.length).toBeGreaterThan(0);
      expect(theirIds.length).toBeGreaterThan(0);
      expect(mineIds.filter((id) => theirIds.includes(id))).toEqual([]);
      for (const m of events(mine)) expect(m.type).toBe('notification');
      expect(mine.of('alarm')).toEqual([]);
      expect(mine.of('probe')).toEqual([]);
    } finally {
      mine.close();
      theirs.close();
    }
  });
});
