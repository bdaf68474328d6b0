import { type CompanyRef, companyNav, noticeLine } from '../portal/portal-views';
import { html, type SafeHtml, time } from '../web/layout';
import { EVENT_LOGS_SHOWN, type SiteDataOverview } from './cloud-data.service';

const onOff = (on: boolean): SafeHtml => (on ? html`<span class="ok">on</span>` : html`<span class="muted">off</span>`);

/** The company's pushed site data: devices, the newest event logs, and (admins) the erase button. */
export function siteDataPage(c: CompanyRef, data: SiteDataOverview, notice?: string): SafeHtml {
  const manage = c.role === 'owner' || c.role === 'admin';
  return html`${companyNav(c, 'site-data')} ${noticeLine(notice)}
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
          : html`<table id="devices" class="stack">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Firmware</th>
                  <th scope="col">Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${data.devices.map(
                  (d) =>
                    html`<tr class="device" data-sn="${d.sn}">
                      <td data-label="Name">${d.name ?? d.sn}<br /><span class="muted mono">${d.sn}</span></td>
                      <td data-label="Status">
                        ${d.online ? html`<span class="ok">Online</span>` : html`<span class="error">Offline</span>`}
                      </td>
                      <td data-label="Firmware">${d.firmware ?? '—'}</td>
                      <td data-label="Last seen">${time(d.lastSeenAt)}</td>
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
              <table id="event-logs" class="stack">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Device</th>
                    <th scope="col">Event</th>
                    <th scope="col">Level</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.eventLogs.map(
                    (e) =>
                      html`<tr class="event-log" data-id="${e.id}">
                        <td data-label="Time">${time(e.time)}</td>
                        <td data-label="Device">${e.deviceName ?? e.deviceSn ?? '—'}</td>
                        <td data-label="Event">
                          ${e.eventName ?? '—'}${e.eventCode !== null ? html` <span class="muted">(${e.eventCode})</span>` : ''}
                        </td>
                        <td data-label="Level">${e.level ?? '—'}</td>
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
            <p id="delete-site-data">
              <a class="button danger" href="/portal/companies/${c.id}/site-data/delete">Delete stored site data…</a>
            </p>
          </div>`
        : ''
    }`;
}
