// The server address a company admin sets in the portal reaches the connector at once, and the
// broker learns the key of the site the tunnel reaches from then on, at once: the QR is reissued
// with the new key and pushed, tokens of the new site pass and those of the old one do not.
// A real broker on PostgreSQL; the connector is a tunnel-library session that applies a pushed
// address the way the edge connector does (before it serves the next stream).
import { generateKeyPairSync } from 'node:crypto';
import type { TunnelStream } from '@lanbridge/tunnel-protocol';
import { type Harness, signedUpUser, startHarness } from '../accounts/harness';
import { connectSite, FakeSite, type SiteTunnel } from '../support/fake-site';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function sktOfLastQr(t: SiteTunnel): unknown {
  const qr = t.messages.filter((m) => m.type === 'org-qr').at(-1);
  if (typeof qr?.payload !== 'string') return undefined;
  const token = qr.payload.slice(qr.payload.indexOf('#') + 1);
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { skt?: unknown }).skt;
}

describe('a server address pushed from the portal', () => {
  let h: Harness;
  let tunnel: SiteTunnel;

  afterAll(async () => {
    tunnel?.ws.terminate();
    await h?.close();
  });

  it('makes the broker learn the new site’s key at once and push a QR that pins it', async () => {
    h = await startHarness();
    const owner = await signedUpUser(h, 'address-owner');
    const company = (await (
      await owner.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: 'Moving Gates' } })
    ).json()) as { id: string; slug: string };
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const { connectorId } = await h.broker.connectors.register({
      orgSlug: company.slug,
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    const oldSite = new FakeSite();
    const newSite = new FakeSite();
    let current = oldSite;
    tunnel = await connectSite(h.url, connectorId, privateKey, { answer: (s: TunnelStream) => current.answer(s) });
    tunnel.session.on('message', (m) => {
      if (m.type === 'config' && m.localAppUrl === 'http://10.0.0.20:8090') current = newSite;
    });
    await until('the first key pinned', () => (sktOfLastQr(tunnel) === oldSite.thumbprint ? true : undefined));
    const me = (site: FakeSite): Promise<Response> =>
      fetch(`${h.url}/t/${company.slug}/api/v1/me`, { headers: { authorization: `Bearer ${site.token()}` } });
    expect((await me(oldSite)).status).toBe(200);

    const b = owner.browser;
    await b.fetch(`/portal/companies/${company.id}/connectors`);
    const saved = await b.fetch(`/portal/companies/${company.id}/connectors/${connectorId}/address`, {
      method: 'POST',
      form: { localAppUrl: 'http://10.0.0.20:8090', _csrf: b.cookie('lb_csrf') ?? '' },
    });
    expect(saved.headers.get('location')).toContain('n=address-pushed');

    await until('the new key pinned', () => (sktOfLastQr(tunnel) === newSite.thumbprint ? true : undefined));
    expect(newSite.hellos).toHaveLength(1);
    expect((await me(newSite)).status).toBe(200);
    expect((await me(oldSite)).status).toBe(401);
  });
});
