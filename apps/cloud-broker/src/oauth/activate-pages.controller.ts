import type { Request, Response } from 'express';
import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { AccountsError } from '../accounts/accounts-error';
import { type AuthContext, AuthService } from '../accounts/auth.service';
import { WebCookies } from '../accounts/web-session';
import { requestMeta } from '../audit/audit.service';
import { CompaniesService } from '../companies/companies.service';
import { RateLimitService, type Limit } from '../rate-limit/rate-limit.service';
import { html, page, type SafeHtml, sendPage, time } from '../web/layout';
import { DeviceFlowService, type PendingDevice } from './device-flow.service';

function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, 200) : '';
}

/** Groups the fingerprint so a person can compare it with what the connector shows. */
export function groupFingerprint(fp: string): string {
  return fp.match(/.{1,4}/g)?.join(' ') ?? fp;
}

/** RFC 8628 verification page: the signed-in installer enters the user code, checks the connector, picks a company. */
@Controller('activate')
export class ActivatePagesController {
  /** RFC 8628 §5.1: user codes are short, so code entry is rate-limited per user. */
  private readonly codeEntry: Limit;

  constructor(
    private readonly devices: DeviceFlowService,
    private readonly companies: CompaniesService,
    private readonly authn: AuthService,
    private readonly cookies: WebCookies,
    rateLimits: RateLimitService,
  ) {
    this.codeEntry = rateLimits.limit('user-code', { points: 20, windowS: 600 }, 'activation code attempts');
  }

  @Get()
  async form(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = await this.signedIn(req, res);
    if (me) this.renderCodeForm(req, res, me, 200);
  }

  /** Step 1 posts `user_code` → the confirmation; step 2 posts `decision` (approve / deny). */
  @Post()
  async submit(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = await this.signedIn(req, res);
    if (!me) return;
    const userCode = field(req.body, 'user_code');
    const decision = field(req.body, 'decision');
    try {
      this.cookies.checkCsrf(req);
      if (decision === '') {
        await this.codeEntry.consume(me.userId);
        const pending = await this.devices.findPending(userCode);
        await this.renderConfirm(req, res, me, pending);
        return;
      }
      const meta = requestMeta(req);
      if (decision === 'deny') {
        await this.devices.deny(me.userId, userCode, meta);
        this.done(req, res, me, 200, html`<p>The activation was denied. The connector will stop waiting.</p>`);
        return;
      }
      const orgId = field(req.body, 'organization_id');
      const newName = field(req.body, 'new_company_name').trim();
      const result = await this.devices.approve(
        me.userId,
        userCode,
        orgId && orgId !== 'new' ? { organizationId: orgId } : { newCompanyName: newName },
        meta,
      );
      this.done(
        req,
        res,
        me,
        200,
        html`<p class="ok">Connector activated in <b>${result.organizationName}</b>.</p>
          <p>The connector finishes on its own within a few seconds; its page then shows the organisation QR code.</p>
          <p class="muted mono">connector ${result.connectorId}</p>`,
      );
    } catch (err) {
      if (!(err instanceof AccountsError)) throw err;
      this.renderCodeForm(req, res, me, err.status, { code: err.code, message: err.message }, userCode);
    }
  }

  private async signedIn(req: Request, res: Response): Promise<AuthContext | undefined> {
    const me = await this.authn.fromRequest(req, res).catch(() => undefined);
    if (!me || me.via !== 'session') {
      res.redirect(303, `/sign-in?return_to=${encodeURIComponent('/activate')}`);
      return undefined;
    }
    return me;
  }

  private renderCodeForm(
    req: Request,
    res: Response,
    me: AuthContext,
    status: number,
    error?: { readonly code: string; readonly message: string },
    code = '',
  ): void {
    const csrf = this.cookies.csrfToken(req, res);
    const body = html`<div class="card">
      <h1>Activate a connector</h1>
      <p>Enter the code that the connector shows on its page or in its terminal.</p>
      ${
        error ? html`<p class="error" role="alert"><code id="error-code">${error.code}</code> ${error.message}</p>` : ''
      }
      <form method="post" action="/activate">
        <input type="hidden" name="_csrf" value="${csrf}" />
        <label for="user_code">Code</label>
        <input
          id="user_code"
          name="user_code"
          class="code mono"
          autocomplete="one-time-code"
          autocapitalize="characters"
          spellcheck="false"
          placeholder="BCDF-GHJK"
          maxlength="12"
          required
          value="${code}"
        />
        <button type="submit">Continue</button>
      </form>
    </div>`;
    sendPage(res, status, page({ title: 'Activate a connector', body, user: me, csrf }));
  }

  private async renderConfirm(req: Request, res: Response, me: AuthContext, d: PendingDevice): Promise<void> {
    const csrf = this.cookies.csrfToken(req, res);
    const mine = (await this.companies.listMine(me.userId)).filter((c) =>
      ['owner', 'admin', 'installer'].includes(c.role),
    );
    const options = mine.map(
      (c, i) => html`<option value="${c.id}" ${i === 0 ? html`selected` : ''}>${c.name}</option>`,
    );
    const body = html`<div class="card">
      <h1>Approve this connector?</h1>
      <p>Only approve a connector you are installing now. Compare these details with the connector's page.</p>
      <table class="details">
        <tr>
          <th>Code</th>
          <td class="mono">${d.userCode}</td>
        </tr>
        <tr>
          <th>Host name</th>
          <td id="device-hostname">${d.hostname}</td>
        </tr>
        <tr>
          <th>Key fingerprint</th>
          <td class="mono" id="device-fingerprint">${groupFingerprint(d.keyFingerprint)}</td>
        </tr>
        <tr>
          <th>Requested from</th>
          <td id="device-ip">${d.requesterIp ?? 'unknown'}</td>
        </tr>
        <tr>
          <th>Region</th>
          <td id="device-area">${d.areaName}</td>
        </tr>
        <tr>
          <th>Expires</th>
          <td>${time(d.expiresAt)}</td>
        </tr>
      </table>
      <form method="post" action="/activate">
        <input type="hidden" name="_csrf" value="${csrf}" /><input
          type="hidden"
          name="user_code"
          value="${d.userCode}"
        />
        <label for="organization_id">Company</label>
        <select id="organization_id" name="organization_id">
          ${options}
          <option value="new" ${mine.length === 0 ? html`selected` : ''}>New company…</option>
        </select>
        <label for="new_company_name">New company name (when "New company…" is chosen)</label>
        <input id="new_company_name" name="new_company_name" maxlength="100" />
        <button type="submit" name="decision" value="approve">Approve</button>
        <button type="submit" name="decision" value="deny" class="danger">Deny</button>
      </form>
    </div>`;
    sendPage(res, 200, page({ title: 'Approve connector', body, user: me, csrf }));
  }

  private done(req: Request, res: Response, me: AuthContext, status: number, content: SafeHtml): void {
    const csrf = this.cookies.csrfToken(req, res);
    sendPage(
      res,
      status,
      page({
        title: 'Activate a connector',
        body: html`<div class="card">
          <h1>Activate a connector</h1>
          ${content}
        </div>`,
        user: me,
        csrf,
      }),
    );
  }
}
