import { type Harness, signedUpUser, startHarness, type TestUser } from './harness';

describe('companies, members, invitations, isolation', () => {
  let h: Harness;
  let alice: TestUser;
  let mallory: TestUser;
  let orgId: string;

  beforeAll(async () => {
    h = await startHarness();
    alice = await signedUpUser(h, 'alice');
    mallory = await signedUpUser(h, 'mallory');
    const r = await alice.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: '  Acme   Doors ' } });
    expect(r.status).toBe(201);
    const c = (await r.json()) as { id: string; name: string; role: string; slug: string };
    expect(c).toMatchObject({ name: 'Acme Doors', role: 'owner' });
    expect(c.slug).toMatch(/^acme-doors-[a-z0-9]+$/);
    orgId = c.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists, reads and renames my company', async () => {
    const list = (await (await alice.browser.fetch('/api/v1/companies')).json()) as { id: string }[];
    expect(list.map((c) => c.id)).toEqual([orgId]);
    const renamed = await alice.browser.fetch(`/api/v1/companies/${orgId}`, {
      method: 'PATCH',
      json: { name: 'Acme Gates' },
    });
    expect(renamed.status).toBe(200);
    expect(((await (await alice.browser.fetch(`/api/v1/companies/${orgId}`)).json()) as { name: string }).name).toBe(
      'Acme Gates',
    );
    const audit = (await (await alice.browser.fetch(`/api/v1/companies/${orgId}/audit`)).json()) as {
      action: string;
      ip: string;
    }[];
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['company.created', 'company.renamed']));
  });

  it('invites by mail; the invitee accepts and gets the role; roles are enforced', async () => {
    const bob = await signedUpUser(h, 'bob');
    const inv = await alice.browser.fetch(`/api/v1/companies/${orgId}/invitations`, {
      method: 'POST',
      json: { email: bob.email, role: 'installer' },
    });
    expect(inv.status).toBe(201);
    const pending = (await (await alice.browser.fetch(`/api/v1/companies/${orgId}/invitations`)).json()) as {
      email: string;
    }[];
    expect(pending.map((p) => p.email)).toContain(bob.email);
    const token = await h.mail.link(bob.email, /invitations\/accept\?token=([A-Za-z0-9_-]+)/);
    // Someone else cannot use Bob's invitation.
    const stolen = await mallory.browser.fetch('/api/v1/invitations/accept', { method: 'POST', json: { token } });
    expect(stolen.status).toBe(403);
    const ok = await bob.browser.fetch('/api/v1/invitations/accept', { method: 'POST', json: { token } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ orgId, role: 'installer' });
    const again = await bob.browser.fetch('/api/v1/invitations/accept', { method: 'POST', json: { token } });
    expect(again.status).toBe(404);

    const members = (await (await bob.browser.fetch(`/api/v1/companies/${orgId}/members`)).json()) as {
      userId: string;
      role: string;
    }[];
    expect(members.map((m) => m.role).sort()).toEqual(['installer', 'owner']);
    // An installer may not rename, invite or read the audit log.
    expect(
      (await bob.browser.fetch(`/api/v1/companies/${orgId}`, { method: 'PATCH', json: { name: 'Bob Co' } })).status,
    ).toBe(403);
    expect((await bob.browser.fetch(`/api/v1/companies/${orgId}/audit`)).status).toBe(403);
    // The owner promotes Bob to admin; the last owner cannot be demoted.
    expect(
      (
        await alice.browser.fetch(`/api/v1/companies/${orgId}/members/${bob.userId}`, {
          method: 'PATCH',
          json: { role: 'admin' },
        })
      ).status,
    ).toBe(204);
    expect((await bob.browser.fetch(`/api/v1/companies/${orgId}/audit`)).status).toBe(200);
    const demote = await bob.browser.fetch(`/api/v1/companies/${orgId}/members/${alice.userId}`, {
      method: 'PATCH',
      json: { role: 'installer' },
    });
    expect(demote.status).toBe(403);
    const selfDemote = await alice.browser.fetch(`/api/v1/companies/${orgId}/members/${alice.userId}`, {
      method: 'PATCH',
      json: { role: 'admin' },
    });
    expect(selfDemote.status).toBe(409);
    expect(
      (await alice.browser.fetch(`/api/v1/companies/${orgId}/members/${bob.userId}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await bob.browser.fetch(`/api/v1/companies/${orgId}`)).status).toBe(404);
  });

  it('answers 404 COMPANY_NOT_FOUND on every company endpoint for a non-member', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/v1/companies/${orgId}`],
      ['PATCH', `/api/v1/companies/${orgId}`, { name: 'pwned' }],
      ['GET', `/api/v1/companies/${orgId}/members`],
      ['PATCH', `/api/v1/companies/${orgId}/members/${alice.userId}`, { role: 'installer' }],
      ['DELETE', `/api/v1/companies/${orgId}/members/${alice.userId}`],
      ['POST', `/api/v1/companies/${orgId}/invitations`, { email: 'x@example.test', role: 'owner' }],
      ['GET', `/api/v1/companies/${orgId}/invitations`],
      ['GET', `/api/v1/companies/${orgId}/audit`],
      ['GET', '/api/v1/companies/not-a-uuid'],
    ];
    for (const [method, path, json] of calls) {
      const r = await mallory.browser.fetch(path, { method, json });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
      expect(((await r.json()) as { code: string }).code).toBe('COMPANY_NOT_FOUND');
    }
    const mine = (await (await mallory.browser.fetch('/api/v1/companies')).json()) as unknown[];
    expect(mine).toEqual([]);
    // Nothing changed.
    expect(
      ((await (await alice.browser.fetch(`/api/v1/companies/${orgId}`)).json()) as { name: string }).name,
    ).not.toBe('pwned');
  });

  it('validates company input and needs a signed-in caller', async () => {
    expect((await alice.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: '' } })).status).toBe(400);
    expect(
      (await alice.browser.fetch('/api/v1/companies', { method: 'POST', json: { name: 'x', orgId: 'y' } })).status,
    ).toBe(400);
    expect(
      (
        await alice.browser.fetch(`/api/v1/companies/${orgId}/members/${mallory.userId}`, {
          method: 'PATCH',
          json: { role: 'god' },
        })
      ).status,
    ).toBe(400);
    expect((await fetch(`${h.url}/api/v1/companies`)).status).toBe(401);
  });

  it('serves the areas and the OpenAPI document', async () => {
    const areas = (await (await fetch(`${h.url}/api/v1/areas`)).json()) as { id: string; brokerUrl: string }[];
    expect(areas.map((a) => a.id)).toEqual(['sg', 'us']);
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/api/v1/accounts',
      '/api/v1/sessions',
      '/api/v1/companies/{orgId}',
      '/oauth/token',
      '/oauth/device_authorization',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
