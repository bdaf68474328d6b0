import { type CompanyRef, companyNav } from '../portal/portal-views';
import { html, type SafeHtml } from '../web/layout';
import { EVENT_LOGS_SHOWN, type SiteDataOverview } from './cloud-data.service';

function when(d: Date | null | undefined): string {
  if (!d) return '—';
  return new Date(d)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

const onOff = (on: boolean): SafeHtml => (on ? html`<span class="ok">on</span>` : html`<span class="muted">off</span>`);

/** The company's pushed site data: devices, the newest event logs, and (admins) the erase button. */
export function siteDataPage(c: CompanyRef, data: SiteDataOverview, csrf: string, notice?: string): SafeHtml {
  const manage = c.role === 'owner' || c.role === 'admin';
  return html`${companyNav(c, 'site-data')} ${notice ? html`<p class="ok" id="notice">${notice}</p>` : ''}
    <div class="card">
      <h1>Site data</h1>
      <p class="muted">
        What the site sends to the cloud, as set on the site: push notifications to the app
        ${onOff(data.settings.pushToApp)}, device list and event logs ${onOff(data.settings.pushDataToCloud)}. Event
        logs carry no person data.
      </p>
    </div>
    <div class="card">
      <h2>Devices</h2>
      ${
        data.devices.length === 0
          ? html`<p class="muted" id="no-devices">The site has not sent any device.</p>`
          : html`<table id="devices">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Firmware</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${data.devices.map(
                  (d) =>
                    html`<tr class="device" data-sn="${d.sn}">
                      <td>${d.name ?? d.sn}<br /><span class="muted mono">${d.sn}</span></td>
                      <td>
                        ${d.online ? html`<span class="ok">Online</span>` : html`<span class="error">Offline</span>`}
                      </td>
                      <td>${d.firmware ?? '—'}</td>
                      <td>${when(d.lastSeenAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </div>
    <div class="card">
      <h2>Latest event logs</h2>
      ${
        data.eventLogs.length === 0
          ? html`<p class="muted" id="no-event-logs">The site has not sent any event log.</p>`
          : html`<p class="muted">The newest ${EVENT_LOGS_SHOWN}.</p>
              <table id="event-logs">
                <thead>
                  <tr>
                    <th>Time (UTC)</th>
                    <th>Device</th>
                    <th>Event</th>
                    <th>Level</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.eventLogs.map(
                    (e) =>
                      html`<tr class="event-log" data-id="${e.id}">
                        <td>${when(e.time)}</td>
                        <td>${e.deviceName ?? e.deviceSn ?? '—'}</td>
                        <td>
                          ${e.eventName ?? '—'}${e.eventCode !== null ? html` <span class="muted">(${e.eventCode})</span>` : ''}
                        </td>
                        <td>${e.level ?? '—'}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }
    </div>
    ${
      manage
        ? html`<div class="card">
            <h2>Delete stored site data</h2>
            <p>
              Erases the devices and event logs stored in the cloud for this company. The site keeps its own records,
              and sends new ones while its data push is on.
            </p>
            <form method="post" action="/portal/companies/${c.id}/site-data/delete" id="delete-site-data">
              <input type="hidden" name="_csrf" value="${csrf}" />
              <button class="danger" type="submit">Delete stored site data</button>
            </form>
          </div>`
        : ''
    }`;
}
