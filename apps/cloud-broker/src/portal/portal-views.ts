import type { Role } from '../companies/company.repository';
import type { AuditEntry } from '../audit/audit.service';
import { CONNECTOR_NAME_MAX, type ConnectorView } from '../connector-admin/connector-admin.service';
import type { CreatedActivationCode } from '../connector-admin/activation-code.service';
import type { Member } from '../companies/company.repository';
import type { OrgQr } from '../org-qr/org-qr.service';
import { html, raw, type SafeHtml, time } from '../web/layout';

export interface CompanyRef {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly role: Role;
}

export interface AreaRef {
  readonly id: string;
  readonly name: string;
}

const csrfField = (csrf: string): SafeHtml => html`<input type="hidden" name="_csrf" value="${csrf}" />`;

const canManage = (role: Role): boolean => role === 'owner' || role === 'admin';

export const noticeLine = (notice: string | undefined): SafeHtml | string =>
  notice ? html`<p class="notice" id="notice" role="status">${notice}</p>` : '';

export type CompanySection = 'overview' | 'connectors' | 'site-data' | 'qr' | 'audit';

/** Where a company page sits: the company list, the company, and a tab per part of it. */
export function companyNav(c: CompanyRef, current: CompanySection): SafeHtml {
  const tab = (key: CompanySection, href: string, label: string): SafeHtml =>
    html`<li>
      <a href="/portal/companies/${c.id}${href}" ${key === current ? raw('aria-current="page"') : ''}>${label}</a>
    </li>`;
  return html`<p class="crumbs"><a href="/portal">Companies</a> › <span id="crumb-company">${c.name}</span></p>
    <nav aria-label="Company">
      <ul class="tabs" id="company-nav">
        ${tab('overview', '', 'Members')} ${tab('connectors', '/connectors', 'Connectors')}
        ${tab('site-data', '/site-data', 'Site data')} ${tab('qr', '/qr', 'Organisation QR')}
        ${canManage(c.role) ? tab('audit', '/audit', 'Audit log') : ''}
      </ul>
    </nav>`;
}

export function companiesPage(companies: readonly CompanyRef[], csrf: string): SafeHtml {
  return html`<div class="card">
      <h1>Your companies</h1>
      ${
        companies.length === 0
          ? html`<p class="muted" id="no-companies">
              You do not belong to any company yet. Create one, or activate a connector and create it there.
            </p>`
          : html`<table id="companies" class="stack">
              <thead>
                <tr>
                  <th scope="col">Company</th>
                  <th scope="col">Your role</th>
                </tr>
              </thead>
              <tbody>
                ${companies.map(
                  (c) =>
                    html`<tr>
                      <td data-label="Company"><a href="/portal/companies/${c.id}">${c.name}</a></td>
                      <td data-label="Your role">${c.role}</td>
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
  return html`${companyNav(c, 'overview')} ${noticeLine(notice)}
    <div class="card">
      <h1 id="company-name">${c.name}</h1>
      <p class="muted">Your role: ${c.role}</p>
      ${
        canManage(c.role)
          ? html`<form method="post" action="/portal/companies/${c.id}/rename" id="rename">
              ${csrfField(csrf)} <label for="name">Company name</label
              ><input id="name" name="name" value="${c.name}" required maxlength="100" />
              <button type="submit">Save name</button>
            </form>`
          : ''
      }
    </div>
    <div class="card">
      <h2>Members</h2>
      <table id="members" class="stack">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Member since</th>
          </tr>
        </thead>
        <tbody>
          ${members.map(
            (m) =>
              html`<tr>
                <td data-label="Name">${m.firstName} ${m.lastName}</td>
                <td data-label="Email">${m.email}</td>
                <td data-label="Role">${m.role}</td>
                <td data-label="Member since">${time(m.since)}</td>
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

function statusBadge(k: ConnectorView): SafeHtml {
  if (k.revokedAt) return html`<span class="badge error status">Deactivated</span>`;
  if (k.online) return html`<span class="badge ok status">Online</span>`;
  if (k.refusal === 'site-claimed') return html`<span class="badge error status">Refused</span>`;
  return html`<span class="badge error status">Offline</span>`;
}

export function connectorsPage(
  c: CompanyRef,
  connectors: readonly ConnectorView[],
  areas: readonly AreaRef[],
  csrf: string,
  extra: { notice?: string; code?: CreatedActivationCode } = {},
): SafeHtml {
  const manage = canManage(c.role);
  const areaName = (id: string | null): string => (id ? (areas.find((a) => a.id === id)?.name ?? id) : '—');
  const base = `/portal/companies/${c.id}/connectors`;
  return html`${companyNav(c, 'connectors')} ${noticeLine(extra.notice)}
    <div class="card">
      <h1>Connectors</h1>
      ${connectors.length === 0 ? html`<p class="muted" id="no-connectors">No connector is activated yet.</p>` : ''}
      ${connectors.map(
        (k) =>
          html`<section class="card connector" data-connector-id="${k.id}" aria-labelledby="name-${k.id}">
            <h2><span class="connector-name" id="name-${k.id}">${k.name}</span> ${statusBadge(k)}</h2>
            ${
              !k.revokedAt && !k.online && k.refusal === 'site-claimed'
                ? html`<p class="error refusal" data-code="TUNNEL_ERR_SITE_CLAIMED">
                    The server this connector reaches is already connected to another company (refused
                    ${time(k.refusedAt)}). A site belongs to one company: point this connector at your own server, or
                    have the other company deactivate its connector first; the site then moves here at the next connect.
                  </p>`
                : ''
            }
            <table class="details">
              <tbody>
                <tr>
                  <th scope="row">Region</th>
                  <td class="area" data-area-id="${k.areaId ?? ''}">${areaName(k.areaId)}</td>
                </tr>
                <tr>
                  <th scope="row">Host name</th>
                  <td class="hostname">${k.hostname ?? '—'}</td>
                </tr>
                <tr>
                  <th scope="row">Version</th>
                  <td>${k.agentVersion ?? '—'}</td>
                </tr>
                <tr>
                  <th scope="row">Round trip</th>
                  <td class="rtt">${k.live?.rttMs != null ? `${k.live.rttMs.toFixed(1)} ms` : '—'}</td>
                </tr>
                <tr>
                  <th scope="row">Connected since</th>
                  <td>${time(k.live?.connectedAt)}</td>
                </tr>
                <tr>
                  <th scope="row">Last seen</th>
                  <td>${time(k.lastSeenAt)}</td>
                </tr>
                <tr>
                  <th scope="row">Activated</th>
                  <td>${time(k.createdAt)}</td>
                </tr>
                ${
                  k.revokedAt
                    ? html`<tr>
                        <th scope="row">Deactivated</th>
                        <td>${time(k.revokedAt)}</td>
                      </tr>`
                    : ''
                }
                <tr>
                  <th scope="row">Key fingerprint</th>
                  <td><code>${k.keyThumbprint}</code></td>
                </tr>
                <tr>
                  <th scope="row">Connector id</th>
                  <td><code>${k.id}</code></td>
                </tr>
              </tbody>
            </table>
            ${
              manage && !k.revokedAt
                ? html`<form method="post" action="${base}/${k.id}/name" class="rename-form">
                      ${csrfField(csrf)} <label for="cname-${k.id}">Name</label>
                      <input
                        id="cname-${k.id}"
                        name="name"
                        value="${k.name}"
                        required
                        maxlength="${CONNECTOR_NAME_MAX}"
                      />
                      <button type="submit">Save name</button>
                    </form>
                    <form method="post" action="${base}/${k.id}/address" class="address-form">
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
                    <p class="deactivate-form">
                      <a class="button danger" href="${base}/${k.id}/deactivate">Deactivate…</a>
                    </p>`
                : html`<p>Server address: <code>${k.localAppUrl ?? '—'}</code></p>`
            }
          </section>`,
      )}
    </div>
    ${
      manage
        ? html`<div class="card">
            <h2>Activation code for a scripted install</h2>
            ${
              extra.code
                ? html`<p>Single use, valid until ${time(extra.code.expiresAt)}:</p>
                    <p class="code mono" id="activation-code">${extra.code.code}</p>
                    <p class="muted">
                      On the connector:
                      <code>main.js activate --area ${extra.code.areaId} --code ${extra.code.code}</code>
                    </p>`
                : ''
            }
            <form method="post" action="/portal/companies/${c.id}/activation-codes" id="create-code">
              ${csrfField(csrf)} <label for="area">Region</label
              ><select id="area" name="area">
                ${areas.map((a) => html`<option value="${a.id}">${a.name}</option>`)}
              </select>
              <button type="submit">Create activation code</button>
            </form>
          </div>`
        : ''
    }`;
}

export interface ConfirmOptions {
  readonly title: string;
  /** What happens, in a sentence or two. */
  readonly consequence: SafeHtml;
  /** Where the confirmed POST goes. */
  readonly action: string;
  readonly confirmLabel: string;
  /** Where Cancel leads (the page the user came from). */
  readonly cancelHref: string;
  readonly csrf: string;
}

/**
 * The confirmation step of a destructive action: the page's button only leads here (a GET),
 * and only this page's form does it (a POST). Works without any script.
 */
export function confirmPage(c: CompanyRef, section: CompanySection, o: ConfirmOptions): SafeHtml {
  return html`${companyNav(c, section)}
    <div class="card" role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
      <h1 id="confirm-title">${o.title}</h1>
      <p id="confirm-text">${o.consequence}</p>
      <div class="actions">
        <form method="post" action="${o.action}" id="confirm">
          ${csrfField(o.csrf)} <button class="danger" type="submit">${o.confirmLabel}</button>
        </form>
        <a class="button secondary" id="cancel" href="${o.cancelHref}">Cancel</a>
      </div>
    </div>`;
}

export function qrPage(c: CompanyRef, qr: OrgQr, svg: string, notice?: string): SafeHtml {
  return html`${companyNav(c, 'qr')} ${noticeLine(notice)}
    <div class="card">
      <h1>Organisation QR code</h1>
      <p>The phone app scans this code to find <strong>${c.name}</strong>. It holds no secret.</p>
      <div id="org-qr" class="qr" role="img" aria-label="Organisation QR code of ${c.name}">${raw(svg)}</div>
      <p class="actions">
        <a class="button" id="download-png" href="/portal/companies/${c.id}/qr.png" download="organisation-qr.png"
          >Download PNG</a
        >
        <a
          class="button secondary"
          id="download-svg"
          href="/portal/companies/${c.id}/qr.svg"
          download="organisation-qr.svg"
          >Download SVG</a
        >
      </p>
      <p class="muted">
        Issued ${time(qr.issuedAt)}, valid until ${time(qr.expiresAt)} · code id <code id="qr-jti">${qr.jti}</code>
      </p>
      ${
        canManage(c.role)
          ? html`<div id="rotate">
              <p>Rotating makes a new code and revokes this one at once: printed copies stop working.</p>
              <a class="button danger" href="/portal/companies/${c.id}/qr/rotate">Rotate QR code…</a>
            </div>`
          : ''
      }
    </div>`;
}

const ACTION_LABELS: Readonly<Record<string, string>> = {
  'account.email_verified': 'Email address confirmed',
  'account.password_changed': 'Password changed',
  'account.password_reset': 'Password reset',
  'account.password_reset_requested': 'Password reset asked for',
  'account.session_ended': 'Session ended',
  'account.signin': 'Signed in',
  'account.signout': 'Signed out',
  'account.signup': 'Account created',
  'activation_code.created': 'Activation code created',
  'activation_code.used': 'Activation code used',
  'company.created': 'Company created',
  'company.renamed': 'Company renamed',
  'connector.activated': 'Connector activated',
  'connector.config_changed': 'Server address changed',
  'connector.deactivated': 'Connector deactivated',
  'connector.renamed': 'Connector renamed',
  'device.denied': 'Connector refused',
  'member.invited': 'Member invited',
  'member.joined': 'Member joined',
  'member.removed': 'Member removed',
  'member.role_changed': 'Member role changed',
  'qr.rotated': 'QR code rotated',
  'site_data.deleted': 'Site data deleted',
};

const BROWSERS: readonly [RegExp, string][] = [
  [/Edg\/(\d+)/, 'Edge'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+)[^]*Safari\//, 'Safari'],
];
const SYSTEMS: readonly [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome 131 on Linux": enough to recognise a browser without the whole user-agent string. */
export function browserSummary(ua: string | null): string {
  if (!ua) return '—';
  let browser: string | undefined;
  for (const [re, name] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  // A client that is no browser names itself first (`curl/8.5.0`, `node`).
  browser ??= /^([A-Za-z][\w.-]{0,30})\//.exec(ua)?.[1] ?? ua.slice(0, 40);
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  return os ? `${browser} on ${os}` : browser;
}

/** The audit log: who did what and when, with names (connectors, members) rather than ids. */
export function auditPage(c: CompanyRef, entries: readonly AuditEntry[], names: ReadonlyMap<string, string>): SafeHtml {
  const target = (t: string | null, action: string): SafeHtml | string => {
    if (!t) return '—';
    const name = names.get(t);
    if (name) return name;
    if (action === 'qr.rotated') return html`new code <code>${t.slice(0, 8)}</code>`;
    return t;
  };
  return html`${companyNav(c, 'audit')}
    <div class="card">
      <h1>Audit log</h1>
      <table id="audit" class="stack">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">What</th>
            <th scope="col">Who</th>
            <th scope="col">On</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          ${entries.map(
            (e) =>
              html`<tr class="audit-row" data-action="${e.action}">
                <td data-label="Time">${time(e.at)}</td>
                <td data-label="What">
                  ${ACTION_LABELS[e.action] ?? e.action}${
                    e.outcome === 'failure' ? html` <span class="badge error">failed</span>` : ''
                  }
                </td>
                <td data-label="Who">${e.actorEmail ?? '—'}</td>
                <td data-label="On" class="target">${target(e.target, e.action)}</td>
                <td data-label="From" class="muted">
                  ${browserSummary(e.userAgent)}${e.ip ? html`<br /><span class="mono">${e.ip}</span>` : ''}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}
