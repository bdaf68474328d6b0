import {
  createSession,
  memoryTransportPair,
  TunnelErrorCode,
  type TunnelError,
  type TunnelSession,
} from '@lanbridge/tunnel-protocol';
import { type TunnelEntry, TunnelRegistry } from './tunnel-registry';

interface Pair {
  readonly broker: TunnelSession;
  readonly connector: TunnelSession;
}

const open: Pair[] = [];

function sessionPair(): Pair {
  const [a, b] = memoryTransportPair();
  const pair = { broker: createSession(a, 'broker'), connector: createSession(b, 'connector') };
  open.push(pair);
  return pair;
}

function entry(
  connectorId: string,
  orgId: string,
  session: TunnelSession,
  sessionId = `${connectorId}-s`,
): TunnelEntry {
  return { connectorId, orgId, sessionId, session, remoteAddress: undefined, connectedAt: new Date() };
}

afterEach(() => {
  for (const p of open.splice(0)) {
    p.broker.close();
    p.connector.close();
  }
});

describe('TunnelRegistry', () => {
  it('newest session wins: the old one is closed with REPLACED and its removal is a no-op', async () => {
    const reg = new TunnelRegistry();
    const first = sessionPair();
    const second = sessionPair();
    const closed = new Promise<TunnelError | undefined>((resolve) => first.broker.once('close', resolve));

    const e1 = entry('c1', 'org1', first.broker, 's1');
    const e2 = entry('c1', 'org1', second.broker, 's2');
    expect(reg.add(e1)).toBeUndefined();
    expect(reg.add(e2)).toBe(e1);

    expect((await closed)?.code).toBe(TunnelErrorCode.REPLACED);
    expect(reg.get('c1')).toBe(e2);
    expect(reg.forOrg('org1')).toEqual([e2]);
    expect(reg.size).toBe(1);

    // The old session's close handler runs later; it must not remove the newer entry.
    expect(reg.remove(e1)).toBe(false);
    expect(reg.get('c1')).toBe(e2);
    expect(reg.remove(e2)).toBe(true);
    expect(reg.size).toBe(0);
    expect(reg.forOrg('org1')).toEqual([]);
  });

  it('picks the open session with the fewest open streams, skipping draining and excluded ones', () => {
    const reg = new TunnelRegistry();
    const busy = sessionPair();
    const idle = sessionPair();
    const other = sessionPair();
    reg.add(entry('busy', 'org1', busy.broker));
    reg.add(entry('idle', 'org1', idle.broker));
    reg.add(entry('other', 'org2', other.broker));

    busy.broker.openStream({ method: 'GET', path: '/', headers: [] });
    expect(reg.pick('org1')).toBe(idle.broker);
    expect(reg.pick('org1', idle.broker)).toBe(busy.broker);

    idle.broker.goAway();
    expect(reg.pick('org1')).toBe(busy.broker);
    expect(reg.pick('org3')).toBeUndefined();
  });
});
