import type { Role } from '../companies/company.repository';
import type { AuditEntry } from '../audit/audit.service';
import type { ConnectorView } from '../connector-admin/connector-admin.service';
import type { CreatedActivationCode } from '../connector-admin/activation-code.service';
import type { Member } from '../companies/company.repository';
import type { OrgQr } from '../org-qr/org-qr.service';
import { html, raw, type SafeHtml } from '../web/layout';

export interface CompanyRef {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly role: Role;
}

const csrfField = (csrf: string): SafeHtml => html`<input type="hidden" name="_csrf" value="${csrf}" />`;

const canManage = (role: Role): boolean => role === 'owner' || role === 'admin';

function when(d: Date | string | null | undefined): string {
  if (!d) return '—';
  return new Date(d)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

export function companyNav(c: CompanyRef, current: 'overview' | 'connectors' | 'site-data' | 'qr' | 'audit'): SafeHtml {
  const link = (key: typeof current, href: string, label: string): SafeHtml =>
    key === current ? html`<strong>${label}</strong>` : html`<a href="/portal/companies/${c.id}${href}">${label}</a>`;
  return html`<p class="muted">
    <a href="/portal">Companies</a> › ${c.name} · ${link('overview', '', 'Members')} ·
    ${link('connectors', '/connectors', 'Connectors')} · ${link('site-data', '/site-data', 'Site data')} ·
    ${link('qr', '/qr', 'Organisation QR')} · ${canManage(c.role) ? link('audit', '/audit', 'Audit log') : ''}
  </p>`;
}

export function companiesPage(companies: readonly CompanyRef[], csrf: string): SafeHtml {
  return html`<div class="card">
      <h1>Your companies</h1>
      ${
        companies.length === 0
          ? html`<p class="muted" id="no-companies">
              You do not belong to any company yet. Create one, or activate a connector and create it there.
            </p>`
          : html`<table id="companies">
              <thead>
                <tr>
                  <th>Company</th>
                  <th>Role</th>
                </tr>
              </thead>
              <tbody>
                ${companies.map(
                  (c) =>
                    html`<tr>
                      <td><a href="/portal/companies/${c.id}">${c.name}</a></td>
                      <td>${c.role}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </div>
    <div class="card">
      <h2>New company</h2>
      <form method="post" action="/portal/companies" id="create-company">
        ${csrfField(csrf)} <label for="name">Company name</label
        ><input id="name" name="name" required maxlength="100" /> <button type="submit">Create company</button>
      </form>
    </div>`;
}

export function overviewPage(c: CompanyRef, members: readonly Member[], csrf: string, notice?: string): SafeHtml {
  return html`${companyNav(c, 'overview')} ${notice ? html`<p class="ok" id="notice">${notice}</p>` : ''}
    <div class="card">
      <h1 id="company-name">${c.name}</h1>
      <p class="muted">Your role: ${c.role} · id <code>${c.id}</code></p>
      ${
        canManage(c.role)
          ? html`<form method="post" action="/portal/companies/${c.id}/rename" id="rename">
              ${csrfField(csrf)} <label for="name">Rename</label
              ><input id="name" name="name" value="${c.name}" required maxlength="100" />
              <button type="submit">Save name</button>
            </form>`
          : ''
      }
    </div>
    <div class="card">
      <h2>Members</h2>
      <table id="members">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
          </tr>
        </thead>
        <tbody>
          ${members.map(
            (m) =>
              html`<tr>
                <td>${m.firstName} ${m.lastName}</td>
                <td>${m.email}</td>
                <td>${m.role}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${
        canManage(c.role)
          ? html`<form method="post" action="/portal/companies/${c.id}/invitations" id="invite">
              ${csrfField(csrf)} <label for="email">Invite by email</label
              ><input id="email" name="email" type="email" required /> <label for="role">Role</label
              ><select id="role" name="role">
                <option value="installer">installer</option>
                <option value="admin">admin</option>
                <option value="owner">owner</option>
              </select>
              <button type="submit">Send invitation</button>
            </form>`
          : ''
      }
    </div>`;
}

export function connectorsPage(
  c: CompanyRef,
  connectors: readonly ConnectorView[],
  areas: readonly { id: string; name: string }[],
  csrf: string,
  extra: { notice?: string; code?: CreatedActivationCode } = {},
): SafeHtml {
  const manage = canManage(c.role);
  return html`${companyNav(c, 'connectors')} ${extra.notice ? html`<p class="ok" id="notice">${extra.notice}</p>` : ''}
    <div class="card">
      <h1>Connectors</h1>
      ${connectors.length === 0 ? html`<p class="muted" id="no-connectors">No connector is activated yet.</p>` : ''}
      ${connectors.map(
        (k) =>
          html`<div class="card connector" data-connector-id="${k.id}">
            <h2>
              ${k.hostname ?? k.name}
              ${
                k.revokedAt
                  ? html`<span class="error status">Deactivated</span>`
                  : k.online
                    ? html`<span class="ok status">Online</span>`
                    : k.refusal === 'site-claimed'
                      ? html`<span class="error status">Refused</span>`
                      : html`<span class="error status">Offline</span>`
              }
            </h2>
            ${
              !k.revokedAt && !k.online && k.refusal === 'site-claimed'
                ? html`<p class="error refusal" data-code="TUNNEL_ERR_SITE_CLAIMED">
                    The server this connector reaches is already connected to another company (refused
                    ${when(k.refusedAt)}). A site belongs to one company: point this connector at your own server, or
                    have the other company deactivate its connector first; the site then moves here at the next connect.
                  </p>`
                : ''
            }
            <table>
              <tbody>
                <tr>
                  <th>Connector id</th>
                  <td><code>${k.id}</code></td>
                </tr>
                <tr>
                  <th>Area</th>
                  <td>${k.areaId ?? '—'}</td>
                </tr>
                <tr>
                  <th>Version</th>
                  <td>${k.agentVersion ?? '—'}</td>
                </tr>
                <tr>
                  <th>RTT</th>
                  <td class="rtt">${k.live?.rttMs != null ? `${k.live.rttMs.toFixed(1)} ms` : '—'}</td>
                </tr>
                <tr>
                  <th>Connected since</th>
                  <td>${when(k.live?.connectedAt)}</td>
                </tr>
                <tr>
                  <th>Last seen</th>
                  <td>${when(k.lastSeenAt)}</td>
                </tr>
                <tr>
                  <th>Activated</th>
                  <td>${when(k.createdAt)}</td>
                </tr>
                <tr>
                  <th>Key fingerprint</th>
                  <td><code>${k.keyThumbprint}</code></td>
                </tr>
                ${
                  k.revokedAt
                    ? html`<tr>
                        <th>Deactivated</th>
                        <td>${when(k.revokedAt)}</td>
                      </tr>`
                    : ''
                }
              </tbody>
            </table>
            ${
              manage && !k.revokedAt
                ? html`<form
                      method="post"
                      action="/portal/companies/${c.id}/connectors/${k.id}/address"
                      class="address-form"
                    >
                      ${csrfField(csrf)}
                      <label for="addr-${k.id}"
                        >Local application server
                        address${k.localAppUrlPending ? raw(' <span class="muted">(sent when it reconnects)</span>') : ''}</label
                      >
                      <input
                        id="addr-${k.id}"
                        name="localAppUrl"
                        type="url"
                        value="${k.localAppUrl ?? ''}"
                        required
                        placeholder="http://192.168.1.10:8090"
                      />
                      <button type="submit">Save address</button>
                    </form>
                    <form
                      method="post"
                      action="/portal/companies/${c.id}/connectors/${k.id}/deactivate"
                      class="deactivate-form"
                    >
                      ${csrfField(csrf)} <button class="danger" type="submit">Deactivate</button>
                    </form>`
                : html`<p>Server address: <code>${k.localAppUrl ?? '—'}</code></p>`
            }
          </div>`,
      )}
    </div>
    ${
      manage
        ? html`<div class="card">
            <h2>Activation code for a scripted install</h2>
            ${
              extra.code
                ? html`<p>Single use, valid until ${when(extra.code.expiresAt)}:</p>
                    <p class="code mono" id="activation-code">${extra.code.code}</p>
                    <p class="muted">
                      On the connector:
                      <code>main.js activate --area ${extra.code.areaId} --code ${extra.code.code}</code>
                    </p>`
                : ''
            }
            <form method="post" action="/portal/companies/${c.id}/activation-codes" id="create-code">
              ${csrfField(csrf)} <label for="area">Area</label
              ><select id="area" name="area">
                ${areas.map((a) => html`<option value="${a.id}">${a.name}</option>`)}
              </select>
              <button type="submit">Create activation code</button>
            </form>
          </div>`
        : ''
    }`;
}

export function qrPage(c: CompanyRef, qr: OrgQr, svg: string, csrf: string, notice?: string): SafeHtml {
  return html`${companyNav(c, 'qr')} ${notice ? html`<p class="ok" id="notice">${notice}</p>` : ''}
    <div class="card">
      <h1>Organisation QR code</h1>
      <p>The mobile app scans this code to find <strong>${c.name}</strong>. It holds no secret.</p>
      <div id="org-qr" style="max-width:320px">${raw(svg)}</div>
      <p>
        <a class="button" id="download-png" href="/portal/companies/${c.id}/qr.png" download="organisation-qr.png"
          >Download PNG</a
        >
        <a class="button" id="download-svg" href="/portal/companies/${c.id}/qr.svg" download="organisation-qr.svg"
          >Download SVG</a
        >
      </p>
      <p class="muted">
        Issued ${when(qr.issuedAt)}, valid until ${when(qr.expiresAt)} · id <code id="qr-jti">${qr.jti}</code>
      </p>
      ${
        canManage(c.role)
          ? html`<form method="post" action="/portal/companies/${c.id}/qr/rotate" id="rotate">
              ${csrfField(csrf)}
              <p>Rotating makes a new code and revokes this one at once: printed copies stop working.</p>
              <button class="danger" type="submit">Rotate QR code</button>
            </form>`
          : ''
      }
    </div>`;
}

export function auditPage(c: CompanyRef, entries: readonly AuditEntry[]): SafeHtml {
  return html`${companyNav(c, 'audit')}
    <div class="card">
      <h1>Audit log</h1>
      <table id="audit">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Action</th>
            <th>Outcome</th>
            <th>Who</th>
            <th>IP</th>
            <th>Browser</th>
            <th>Target</th>
          </tr>
        </thead>
        <tbody>
          ${entries.map(
            (e) =>
              html`<tr class="audit-row" data-action="${e.action}">
                <td>${when(e.at)}</td>
                <td>${e.action}</td>
                <td>${e.outcome}</td>
                <td>${e.actorEmail ?? '—'}</td>
                <td>${e.ip ?? '—'}</td>
                <td class="muted">${e.userAgent ?? '—'}</td>
                <td><code>${e.target ?? ''}</code></td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}
