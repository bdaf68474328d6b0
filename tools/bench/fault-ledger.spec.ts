import { FaultLedger, type RaisedEvent, type StoredRow } from './fault-ledger';

const T0 = 1_000_000;

function swipe(sn: string, card: string, phase: string, at: number, index: number): RaisedEvent {
  return {
    sn,
    card,
    code: 27,
    phase,
    at,
    line: `time=2026-01-01 00:00:00\tpin=0\tcardno=${card}\tevent=27\tindex=${index}`,
  };
}

const row = (id: string, e: RaisedEvent): StoredRow => ({ id, deviceSn: e.sn, cardNo: e.card ?? null, raw: e.line });

describe('FaultLedger: what counts as lost, duplicate and executed', () => {
  it('an event counts as safe only when it is stored and delivered; the rest say where they stopped', () => {
    const l = new FaultLedger();
    const ok = swipe('A', '7000001', 'baseline', T0, 1);
    const droppedAfterOk = swipe('A', '7000002', 'index-restart', T0, 2);
    const refused = swipe('B', '7000003', 'poison', T0, 1);
    const notLive = swipe('B', '7000004', 'poison', T0, 2);
    for (const e of [ok, droppedAfterOk, refused, notLive]) l.raise(e);
    l.uploaded('A', [ok.line, droppedAfterOk.line]);
    l.uploaded('B', [notLive.line]);
    l.delivered('r1', T0 + 10);

    const r = l.report([row('r1', ok), row('r4', notLive)], new Map(), [], {
      recoveryLimitMs: 60_000,
      withUnlocks: true,
    });
    expect(r.events).toMatchObject({ raised: 4, stored: 2, delivered: 1, duplicates: 0, lost: 3 });
    expect(r.events.lost_detail).toEqual({
      acknowledged_not_stored: 1,
      held_by_terminal: 1,
      stored_not_delivered: 1,
    });
    expect(r.events.lost_samples.stored_not_delivered).toEqual([
      {
        sn: 'B',
        card: '7000004',
        phase: 'poison',
        raised_at: new Date(T0).toISOString(),
        row_id: 'r4',
        stream_ids_around: [null, null],
      },
    ]);
    expect(r.events.lost_samples.acknowledged_not_stored.map((x) => x.card)).toEqual(['7000002']);
    expect(r.phases.map((p) => [p.phase, p.raised, p.lost])).toEqual([
      ['baseline', 1, 0],
      ['index-restart', 1, 1],
      ['poison', 2, 2],
    ]);
    expect(r.terminals).toEqual([
      { sn: 'A', raised: 2, stored: 1, delivered: 1, lost: 1 },
      { sn: 'B', raised: 2, stored: 1, delivered: 0, lost: 2 },
    ]);
  });

  it('an upload acknowledged for one terminal says nothing about the same line of another', () => {
    const l = new FaultLedger();
    const a = { sn: 'A', card: undefined, code: 8, phase: 'p', at: T0, line: 'event=8\tindex=9' };
    const b = { ...a, sn: 'B' };
    l.raise(a);
    l.raise(b); // same second, same index, same door: the same line, on two terminals
    l.uploaded('A', [a.line]);
    const r = l.report([{ id: 'x', deviceSn: 'A', cardNo: null, raw: a.line }], new Map(), [], {
      recoveryLimitMs: 60_000,
      withUnlocks: true,
    });
    expect(r.other_events).toEqual({ raised: 2, stored: 1, lost: 1 });
  });

  it('counts a swipe stored twice and delivered twice once as delivered and once as a duplicate', () => {
    const l = new FaultLedger();
    const e = swipe('A', '7000001', 'broker', T0, 1);
    l.raise(e);
    l.delivered('r1', T0 + 1);
    l.delivered('r2', T0 + 2);
    l.delivered('rX', T0 + 3); // a row that is none of the benchmark's swipes
    const r = l.report(
      [row('r1', e), row('r2', e), { id: 'rX', deviceSn: 'A', cardNo: '123', raw: 'garbled' }],
      new Map(),
      [],
      { recoveryLimitMs: 60_000, withUnlocks: true },
    );
    expect(r.events).toMatchObject({ raised: 1, stored: 1, delivered: 1, duplicates: 1, lost: 0 });
    expect(r.events.stored_twice).toBe(1);
    expect(r.events.unexpected_deliveries).toBe(1);
  });

  it('does not take a row of the same card on another terminal for the swipe', () => {
    const l = new FaultLedger();
    const e = swipe('A', '7000001', 'baseline', T0, 1);
    l.raise(e);
    l.delivered('r1', T0 + 1);
    const r = l.report([{ ...row('r1', e), deviceSn: 'B' }], new Map(), [], {
      recoveryLimitMs: 60_000,
      withUnlocks: true,
    });
    expect(r.events).toMatchObject({ stored: 0, delivered: 0, lost: 1, unexpected_deliveries: 1 });
  });

  it('finds a swipe by its raw line when the card number column does not hold it', () => {
    const l = new FaultLedger();
    const e = swipe('A', '7000001', 'baseline', T0, 1);
    l.raise(e);
    l.delivered('r1', T0 + 1);
    const r = l.report([{ ...row('r1', e), cardNo: 'sealed:xyz' }], new Map(), [], {
      recoveryLimitMs: 60_000,
      withUnlocks: true,
    });
    expect(r.events).toMatchObject({ stored: 1, delivered: 1, lost: 0 });
  });

  it("counts the terminal's own events (remote openings) by their line; they only need storing", () => {
    const l = new FaultLedger();
    const open = { sn: 'A', card: undefined, code: 8, phase: 'baseline', at: T0, line: 'event=8\tindex=9' };
    const lostOpen = { ...open, line: 'event=8\tindex=10' };
    l.raise(open);
    l.raise(lostOpen);
    const r = l.report([{ id: 'o', deviceSn: 'A', cardNo: null, raw: open.line }], new Map(), [], {
      recoveryLimitMs: 60_000,
      withUnlocks: true,
    });
    expect(r.other_events).toEqual({ raised: 2, stored: 1, lost: 1 });
    expect(r.events.raised).toBe(0);
  });

  it('attributes executions to keys through the command ids: once, twice, never, and stray', () => {
    const l = new FaultLedger();
    for (const key of ['k1', 'k2', 'k3']) l.unlockSent({ key, doorId: 'd', sn: 'A', phase: 'broker', at: T0 });
    l.unlockAnswered('k1', { at: T0 + 1, result: 'acked' });
    l.unlockAnswered('k2', { at: T0 + 1, result: 'acked' });
    l.unlockAnswered('k3', { at: T0 + 1, result: 'error:INTERNAL' });
    for (const cmdId of ['11', '21', '22', '99']) l.executed({ sn: 'A', cmdId, at: T0, phase: 'broker' });
    const keys = new Map([
      ['11', 'k1'],
      ['21', 'k2'],
      ['22', 'k2'],
      ['31', 'k3'],
      ['99', 'someone-else'],
    ]);
    const r = l.report([], keys, [], { recoveryLimitMs: 60_000, withUnlocks: true });
    expect(r.unlocks).toEqual({
      keys: 3,
      executions: 4,
      keys_executed_once: 1,
      keys_not_executed: 1,
      keys_executed_more_than_once: 1,
      unattributed_executions: 1,
      answers: { acked: 2, 'error:INTERNAL': 1 },
    });
    expect(r.phases[0]).toMatchObject({ phase: 'broker', unlock_keys: 3, executions: 3 });
  });

  it('recovery: the latest of the first API answer, the first live event raised after the restart and the first acked unlock', () => {
    const l = new FaultLedger();
    const before = swipe('A', '7000001', 'broker', T0 - 500, 1);
    const after = swipe('A', '7000002', 'broker', T0 + 200, 2);
    l.raise(before);
    l.raise(after);
    l.delivered('r1', T0 + 100); // raised before the restart: says nothing about recovery
    l.delivered('r2', T0 + 1500);
    l.unlockSent({ key: 'k', doorId: 'd', sn: 'A', phase: 'broker', at: T0 - 100 });
    l.unlockAnswered('k', { at: T0 + 2500, result: 'acked' });
    const mark = { part: 'broker', t0: T0, readyAt: T0 + 800, apiAt: T0 + 1000, waitedMs: 3000 };
    const r = l.report([row('r1', before), row('r2', after)], new Map(), [mark], {
      recoveryLimitMs: 60_000,
      withUnlocks: true,
    });
    expect(r.outages).toEqual([
      {
        part: 'broker',
        at: new Date(T0).toISOString(),
        recovery_s: 2.5,
        recovered: true,
        ready_s: 0.8,
        api_s: 1,
        event_s: 1.5,
        unlock_s: 2.5,
      },
    ]);
    const withoutUnlocks = l.report([row('r1', before), row('r2', after)], new Map(), [mark], {
      recoveryLimitMs: 60_000,
      withUnlocks: false,
    });
    expect(withoutUnlocks.outages[0].recovery_s).toBe(1.5);
  });

  it('an outage that never recovered reports the time waited, not a small number', () => {
    const l = new FaultLedger();
    const mark = { part: 'access-core', t0: T0, readyAt: undefined, apiAt: undefined, waitedMs: 61_000 };
    const r = l.report([], new Map(), [mark], { recoveryLimitMs: 60_000, withUnlocks: true });
    expect(r.outages[0]).toMatchObject({ recovery_s: 61, recovered: false, api_s: null, event_s: null });
  });

  it('refuses to count two events with the same identity', () => {
    const l = new FaultLedger();
    l.raise(swipe('A', '7000001', 'p', T0, 1));
    expect(() => l.raise(swipe('A', '7000001', 'p', T0, 2))).toThrow(/raised twice/);
  });
});
