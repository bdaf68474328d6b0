// One site, one company. A second connector in front of a site that already belongs to another
// company is refused: at approval (device flow, activation code) when the connector says which
// site it reaches, and in any case when its tunnel proves the site's key
// (TUNNEL_ERR_SITE_CLAIMED, shown in the portal). The holding company's tokens stay unambiguous.
// Once the holder has no active connector, the site moves. A real broker on PostgreSQL and Redis,
// connector sessions from the tunnel library, and the real connector's activation command.
import { generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import { tempDir } from '@lanbridge/testing';
import { TunnelErrorCode } from '@lanbridge/tunnel-protocol';
import * as oidc from 'openid-client';
import { Client } from 'pg';
// The connector's own activation command, in-process: app code never crosses this boundary.
/* eslint-disable @nx/enforce-module-boundaries */
import { activateCommand } from '../../../edge-connector/src/activation/activate-command';
import { loadLocalConfig } from '../../../edge-connector/src/config/connector.config';
/* eslint-enable @nx/enforce-module-boundaries */
import { DATABASE_URL, type Harness, signedUpUser, startHarness, type TestUser } from '../accounts/harness';
import { connectSite, FakeSite, type SiteTunnel } from '../support/fake-site';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function keyPair(): { pem: string; privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'] } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), privateKey };
}

describe('one site, one company', () => {
  let h: Harness;
  const pg = new Client({ connectionString: DATABASE_URL });
  const site = new FakeSite();
  const dir = tempDir('one-site');
  const tunnels: SiteTunnel[] = [];
  let x: { user: TestUser; id: string; slug: string };
  let y: { user: TestUser; id: string; slug: string };
  let xConnector = '';
  let yConnector: { id: string; key: ReturnType<typeof keyPair> };

  async function company(name: string): Promise<{ user: TestUser; id: string; slug: string }> {
    const user = await signedUpUser(h, name.toLowerCase().replace(/\W+/g, '-'));
    const c = (await (await user.browser.fetch('/api/v1/companies', { method: 'POST', json: { name } })).json()) as {
      id: string;
      slug: string;
    };
    return { user, ...c };
  }

  const siteOf = async (orgId: string): Promise<string | null> =>
    (
      await pg.query<{ site_key_thumbprint: string | null }>(
        `SELECT site_key_thumbprint FROM "${h.schema}".organization WHERE id = $1`,
        [orgId],
      )
    ).rows[0]?.site_key_thumbprint ?? null;

  beforeAll(async () => {
    await pg.connect();
    await site.listen();
    h = await startHarness({ OAUTH_DEVICE_INTERVAL_S: '1' });
    x = await company('Demo Site Owner');
    y = await company('Second Company');
    const xKey = keyPair();
    xConnector = (await h.broker.connectors.register({ orgSlug: x.slug, publicKeyPem: xKey.pem })).connectorId;
    tunnels.push(await connectSite(h.url, xConnector, xKey.privateKey, site));
    await until('the site recorded on the first company', async () => ((await siteOf(x.id)) ? true : undefined));
  });

  afterAll(async () => {
    for (const t of tunnels) t.ws.terminate();
    await h?.close();
    await site.close();
    await pg.end();
  });

  it('closes a second company’s tunnel to the same site with TUNNEL_ERR_SITE_CLAIMED and shows why', async () => {
    const key = keyPair();
    yConnector = {
      id: (await h.broker.connectors.register({ orgSlug: y.slug, publicKeyPem: key.pem })).connectorId,
      key,
    };
    const t = await connectSite(h.url, yConnector.id, key.privateKey, site);
    tunnels.push(t);
    expect((await t.closed)?.code).toBe(TunnelErrorCode.SITE_CLAIMED);

    // The site stays the first company's, and its tokens name that company alone.
    expect(await siteOf(x.id)).toBe(site.thumbprint);
    expect(await siteOf(y.id)).toBeNull();
    const list = await fetch(`${h.url}/api/v1/push/subscriptions`, {
      headers: { authorization: `Bearer ${site.token()}` },
    });
    expect(list.status).toBe(200);
    expect(
      (await fetch(`${h.url}/t/${x.slug}/api/v1/me`, { headers: { authorization: `Bearer ${site.token()}` } })).status,
    ).toBe(200);

    // The second company's portal says why its connector is not online.
    const page = await (await y.user.browser.fetch(`/portal/companies/${y.id}/connectors`)).text();
    expect(page).toMatch(
      new RegExp(`data-connector-id="${yConnector.id}"[\\s\\S]*?<span class="badge error status">Refused</span>`),
    );
    expect(page).toContain('data-code="TUNNEL_ERR_SITE_CLAIMED"');
  });

  it('refuses to approve a device activation whose site hello names another company’s site', async () => {
    const connectorClient = await oidc.discovery(new URL(h.url), 'lanbridge-connector', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
      algorithm: 'oauth2',
    });
    const da = await oidc.initiateDeviceAuthorization(connectorClient, {
      public_key: keyPair().pem,
      hostname: 'second-gateway',
      site_hello: site.hello('activation'),
    });
    const b = y.user.browser;
    await b.fetch('/activate');
    await b.fetch('/activate', { method: 'POST', form: { user_code: da.user_code, _csrf: b.cookie('lb_csrf') ?? '' } });
    const refused = await b.fetch('/activate', {
      method: 'POST',
      form: { user_code: da.user_code, decision: 'approve', organization_id: y.id, _csrf: b.cookie('lb_csrf') ?? '' },
    });
    expect(refused.status).toBe(409);
    const html = await refused.text();
    expect(html).toContain('<code id="error-code">SITE_ALREADY_CONNECTED</code>');
    expect(html).toContain('already connected to another company');
    // A new company made on the spot is refused the same way.
    const fresh = await b.fetch('/activate', {
      method: 'POST',
      form: {
        user_code: da.user_code,
        decision: 'approve',
        organization_id: 'new',
        new_company_name: 'Third Co',
        _csrf: b.cookie('lb_csrf') ?? '',
      },
    });
    expect(fresh.status).toBe(409);
    // A hello that is not one is a bad request.
    await expect(
      oidc.initiateDeviceAuthorization(connectorClient, {
        public_key: keyPair().pem,
        hostname: 'h',
        site_hello: 'x.y.z',
      }),
    ).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('refuses an activation code for another company’s site, from the real connector, without using the code up', async () => {
    const b = y.user.browser;
    const form = await b.fetch(`/portal/companies/${y.id}/activation-codes`, {
      method: 'POST',
      form: { _csrf: b.cookie('lb_csrf') ?? '' },
    });
    const code = /id="activation-code">([^<]+)</.exec(await form.text())?.[1] ?? '';
    expect(code).not.toBe('');
    const config = loadLocalConfig({
      CONNECTOR_KEY_FILE: path.join(dir, 'second', 'connector.key'),
      LOCAL_APP_URL: site.url,
      LOG_LEVEL: 'silent',
    });
    const out: string[] = [];
    // The connector asks its local application (the site) for a hello and sends it along.
    await expect(
      activateCommand(['--broker', h.url, '--code', code, '--qr-wait-ms', '0'], config, {
        write: (s: string) => out.push(s),
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('SITE_ALREADY_CONNECTED') });
    // The code was not used up: redeemed again without a hello it works (the tunnel decides then).
    const redeemed = await fetch(`${h.url}/api/v1/connector-activations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, publicKey: keyPair().pem, hostname: 'scripted' }),
    });
    expect(redeemed.status).toBe(201);
  });

  it('moves the site once the company that held it has no active connector', async () => {
    const b = x.user.browser;
    const off = await b.fetch(`/portal/companies/${x.id}/connectors/${xConnector}/deactivate`, {
      method: 'POST',
      form: { _csrf: b.cookie('lb_csrf') ?? '' },
    });
    expect(off.status).toBe(303);
    const t = await connectSite(h.url, yConnector.id, yConnector.key.privateKey, site);
    tunnels.push(t);
    await until('the site recorded on the second company', async () =>
      (await siteOf(y.id)) === site.thumbprint ? true : undefined,
    );
    expect(await siteOf(x.id)).toBeNull();
    expect(
      (await fetch(`${h.url}/t/${y.slug}/api/v1/me`, { headers: { authorization: `Bearer ${site.token()}` } })).status,
    ).toBe(200);
    const page = await (await y.user.browser.fetch(`/portal/companies/${y.id}/connectors`)).text();
    expect(page).not.toContain('TUNNEL_ERR_SITE_CLAIMED');
  });
});
