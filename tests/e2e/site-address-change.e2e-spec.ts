/**
 * The site key follows the site the tunnel reaches. Two access-core instances with keys of their
 * own stand behind one edge connector (real processes from dist/): when the connector's server
 * address changes on its page, or another access-core takes over the same address, the broker
 * learns the new key through the tunnel at once, reissues the organisation QR and pushes it to the
 * connector, and sign-in with the SDK works with the new QR, without restarting anything.
 */
import { createNodeClient, decodeQrImage, isLanbridgeError, type LanbridgeClient } from '@lanbridge/mobile-sdk/node';
import {
  APP_MAIN,
  createScratchSchema,
  freePort,
  httpGetJson,
  runJsonCli,
  type ScratchSchema,
  type SiteStack,
  spawnApp,
  type SpawnedApp,
  startSiteStack,
  TEST_DATABASE_URL,
  waitFor,
} from '@lanbridge/testing';

jest.setTimeout(180_000);

const quiet = process.env.E2E_VERBOSE !== '1';

interface Site {
  readonly url: string;
  readonly env: Record<string, string>;
  app: SpawnedApp;
}

async function startAccessCore(name: string, env: Record<string, string>): Promise<SpawnedApp> {
  const app = spawnApp(name, APP_MAIN.accessCore, [], env, { quiet });
  const url = `http://127.0.0.1:${env.ACCESS_CORE_PORT}`;
  await waitFor(`${name} /healthz`, async () => (await httpGetJson(`${url}/healthz`)).status === 200, 60_000);
  return app;
}

/** The `kid` (RFC 7638 thumbprint) of an access-core's signing key. */
async function signingKid(accessCoreUrl: string): Promise<string> {
  const jwks = (await (await fetch(`${accessCoreUrl}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string; use: string }[];
  };
  const kid = jwks.keys.find((k) => k.use === 'sig')?.kid;
  if (!kid) throw new Error(`no signing key at ${accessCoreUrl}`);
  return kid;
}

function sktOf(qrText: string): unknown {
  const token = qrText.slice(qrText.indexOf('#') + 1);
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { skt?: unknown }).skt;
}

describe('a live server-address change: the site key follows the tunnel', () => {
  let stack: SiteStack;
  let first: Site;
  let second: Site;
  let secondSchema: ScratchSchema;
  let connectorBase = '';

  const newClient = (): LanbridgeClient => createNodeClient({ trustedIssuers: [{ issuer: stack.brokerUrl }] });

  /** Waits until the QR the connector shows pins `kid`, and returns its text. */
  async function qrPinning(kid: string): Promise<string> {
    let text = '';
    await waitFor(
      `the connector's QR pinning ${kid}`,
      async () => {
        const res = await fetch(`${connectorBase}/org-qr.png`);
        if (res.status !== 200) return false;
        text = decodeQrImage(Buffer.from(await res.arrayBuffer()));
        return sktOf(text) === kid;
      },
      30_000,
    );
    return text;
  }

  async function siteName(client: LanbridgeClient): Promise<string> {
    return (await client.call<{ name: string }>({ method: 'GET', path: '/api/v1/system/info' })).name;
  }

  beforeAll(async () => {
    stack = await startSiteStack({ prefix: 'addr_change', accessCoreEnv: { SITE_NAME: 'First site' } });
    connectorBase = stack.connectorStatusUrl.replace(/\/status$/, '');
    first = { url: stack.accessCoreUrl, env: stack.accessCoreEnv, app: stack.apps.accessCore };
    secondSchema = await createScratchSchema(TEST_DATABASE_URL, 'addr_change_second');
    const port = await freePort();
    const env = {
      ...stack.accessCoreEnv,
      ACCESS_CORE_PORT: String(port),
      DATABASE_SCHEMA: secondSchema.name,
      SITE_NAME: 'Second site',
    };
    runJsonCli(APP_MAIN.accessCoreCli, ['seed-demo', '--person-password', 'personnel-pass-2'], env);
    second = { url: `http://127.0.0.1:${port}`, env, app: await startAccessCore('access-core-2', env) };
  });

  afterAll(async () => {
    await second?.app.stop('SIGTERM', 15_000);
    await stack?.stop();
    await secondSchema?.drop();
  });

  it('signs in to the second access-core right after the address changes on the connector page', async () => {
    const firstKid = await signingKid(first.url);
    const secondKid = await signingKid(second.url);
    expect(secondKid).not.toBe(firstKid);

    const before = newClient();
    const firstQr = await qrPinning(firstKid);
    await before.scan(firstQr);
    await before.login({ type: 'admin', username: 'admin', password: stack.adminPassword });
    expect(await siteName(before)).toBe('First site');

    // The installer points the connector at the other server, on the connector's own page.
    const changed = await fetch(`${connectorBase}/settings/server-address`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ localAppUrl: second.url }),
    });
    expect(changed.status).toBeLessThan(400);

    // No restart: the broker learns the second key through the tunnel and pushes a new QR.
    const secondQr = await qrPinning(secondKid);
    const after = newClient();
    const org = await after.scan(secondQr);
    expect(org.skt).toBe(secondKid);
    await after.login({ type: 'admin', username: 'admin', password: stack.adminPassword });
    expect(await siteName(after)).toBe('Second site');

    // The first site's session does not reach the second site, and its QR is retired.
    const stale: unknown = await siteName(before).catch((e: unknown) => e);
    expect(isLanbridgeError(stale)).toBe(true);
    await expect(newClient().scan(firstQr)).rejects.toMatchObject({ code: 'ORG_QR_REVOKED' });
  });

  it('follows another access-core that takes over the same address, from the key its hello shows', async () => {
    const secondKid = await signingKid(second.url);
    const secondQr = await qrPinning(secondKid);
    // The second server is replaced on its address by the first one (its data and key); the
    // connector is not touched and reports nothing.
    await second.app.stop('SIGTERM', 15_000);
    await first.app.stop('SIGTERM', 15_000);
    second.app = await startAccessCore('access-core-1b', {
      ...first.env,
      ACCESS_CORE_PORT: second.env.ACCESS_CORE_PORT,
    });
    const firstKid = await signingKid(second.url);
    expect(firstKid).not.toBe(secondKid);

    // A phone with the QR it scanned before refuses the site, which no longer proves the pinned key.
    const pinned = newClient();
    await pinned.scan(secondQr);
    const refused: unknown = await pinned
      .login({ type: 'admin', username: 'admin', password: stack.adminPassword })
      .catch((e: unknown) => e);
    expect(isLanbridgeError(refused) && refused.code).toBe('E2E_SITE_NOT_VERIFIED');

    // That hello passed through the broker showing a key it did not know: it asked the site itself.
    const newQr = await qrPinning(firstKid);
    const phone = newClient();
    await phone.scan(newQr);
    await phone.login({ type: 'admin', username: 'admin', password: stack.adminPassword });
    expect(await siteName(phone)).toBe('First site');
  });
});
