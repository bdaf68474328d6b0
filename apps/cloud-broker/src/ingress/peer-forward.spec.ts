import { loadBrokerConfig } from '../config/broker.config';
import { requestHeadersForTunnel } from './forward-headers';
import { peerRequestHeaders, readPeerMark } from './peer-forward';

const SECRET = 'x'.repeat(40);

describe('broker peer headers', () => {
  it('marks a request of a peer node, with the client address it saw', () => {
    expect(
      readPeerMark(['Host', 'a', 'X-Lanbridge-Peer', SECRET, 'X-Lanbridge-Peer-Client', '198.51.100.7'], SECRET),
    ).toEqual({ clientIp: '198.51.100.7' });
    expect(readPeerMark(['Host', 'a'], SECRET)).toBeUndefined();
    expect(readPeerMark(['Host', 'a'], undefined)).toBeUndefined();
  });

  it('refuses a wrong secret, a missing secret, two secrets, and any peer header on a single node', () => {
    expect(readPeerMark(['X-Lanbridge-Peer', 'guess'], SECRET)).toBe('refused');
    expect(readPeerMark(['X-Lanbridge-Peer-Client', '10.0.0.1'], SECRET)).toBe('refused');
    expect(readPeerMark(['x-lanbridge-peer', SECRET, 'x-lanbridge-peer', SECRET], SECRET)).toBe('refused');
    expect(readPeerMark(['X-Lanbridge-Peer', SECRET], undefined)).toBe('refused');
  });

  it('ignores a client address that is not an IP address', () => {
    expect(readPeerMark(['X-Lanbridge-Peer', SECRET, 'X-Lanbridge-Peer-Client', '1.2.3.4, 5.6.7.8'], SECRET)).toEqual({
      clientIp: undefined,
    });
  });

  it('sends a peer the client headers without hop-by-hop ones, and with its own', () => {
    const out = peerRequestHeaders(
      [
        'Host',
        'broker',
        'Connection',
        'keep-alive, X-Drop',
        'X-Drop',
        '1',
        'Keep-Alive',
        '5',
        'X-App',
        'v',
        'X-Lanbridge-Peer',
        'forged',
      ],
      { secret: SECRET, clientIp: '::ffff:203.0.113.9', upgrade: false, host: '10.0.0.2:8080' },
    );
    expect(out).toEqual([
      'Host',
      'broker',
      'X-App',
      'v',
      'X-Lanbridge-Peer',
      SECRET,
      'X-Lanbridge-Peer-Client',
      '203.0.113.9',
    ]);
  });

  it('keeps the upgrade, and adds a Host for an HTTP/1.0 client', () => {
    const out = peerRequestHeaders(['Upgrade', 'websocket', 'Connection', 'Upgrade'], {
      secret: SECRET,
      clientIp: undefined,
      upgrade: true,
      host: '10.0.0.2:8080',
    });
    expect(out).toEqual([
      'Upgrade',
      'websocket',
      'Host',
      '10.0.0.2:8080',
      'Connection',
      'Upgrade',
      'X-Lanbridge-Peer',
      SECRET,
    ]);
  });

  it('never lets the peer headers reach a site', () => {
    const out = requestHeadersForTunnel(
      ['X-Lanbridge-Peer', SECRET, 'X-Lanbridge-Peer-Client', '1.2.3.4', 'X-App', 'v'],
      {
        clientIp: '1.2.3.4',
        proto: 'https',
        prefix: '/t/acme',
        upgrade: false,
      },
    );
    expect(out.map((h) => h.toLowerCase())).not.toContain('x-lanbridge-peer');
    expect(out.map((h) => h.toLowerCase())).not.toContain('x-lanbridge-peer-client');
    expect(out).toContain('X-App');
  });
});

describe('broker cluster configuration', () => {
  const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };

  it('is off unless the node URL, the peer secret and Redis are all set', () => {
    expect(loadBrokerConfig(redis).cluster).toBeUndefined();
    expect(
      loadBrokerConfig({ ...redis, BROKER_NODE_URL: 'http://10.0.0.2:8080/', BROKER_PEER_SECRET: SECRET }).cluster,
    ).toEqual({ redisUrl: 'redis://127.0.0.1:6379', nodeUrl: 'http://10.0.0.2:8080', peerSecret: SECRET });
  });

  it('names every missing or bad key at boot', () => {
    expect(() => loadBrokerConfig({ BROKER_NODE_URL: 'http://10.0.0.2:8080' })).toThrow(
      /BROKER_NODE_URL and BROKER_PEER_SECRET are set together/,
    );
    expect(() => loadBrokerConfig({ BROKER_NODE_URL: 'http://10.0.0.2:8080', BROKER_PEER_SECRET: SECRET })).toThrow(
      /BROKER_NODE_URL needs REDIS_URL/,
    );
    expect(() =>
      loadBrokerConfig({ ...redis, BROKER_NODE_URL: 'http://10.0.0.2:8080', BROKER_PEER_SECRET: 'short' }),
    ).toThrow(/BROKER_PEER_SECRET must be at least 32 characters/);
  });
});
