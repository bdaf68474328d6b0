import type { Request, Response } from 'express';
import { Body, Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { AccountsError, AccountsErrorCode } from '../accounts/accounts-error';
import type { AuthContext } from '../accounts/auth.service';
import { WebCookies } from '../accounts/web-session';
import { AreasService } from '../areas/areas.service';
import { AuditService, requestMeta } from '../audit/audit.service';
import { CompaniesService } from '../companies/companies.service';
import { ROLES, type Role } from '../companies/company.repository';
import { ActivationCodeService, type CreatedActivationCode } from '../connector-admin/activation-code.service';
import { ConnectorAdminService } from '../connector-admin/connector-admin.service';
import { OrgQrService } from '../org-qr/org-qr.service';
import { html, page, sendPage, type SafeHtml } from '../web/layout';
import { PortalPageFilter } from './portal-page.filter';
import { PortalPageGuard } from './portal-page.guard';
import {
  auditPage,
  type CompanyRef,
  companiesPage,
  confirmPage,
  connectorsPage,
  overviewPage,
  qrPage,
} from './portal-views';

type Form = Record<string, unknown> | undefined;
type AuthedRequest = Request & { auth: AuthContext };

const MANAGERS: readonly Role[] = ['owner', 'admin'];

/** Notices a redirect may ask for (PRG); other values are ignored. */
const NOTICES: Readonly<Record<string, string>> = {
  renamed: 'Company renamed.',
  invited: 'Invitation sent.',
  'address-pushed': 'Server address saved and sent to the connector.',
  'address-saved': 'Server address saved; the connector gets it when it reconnects.',
  deactivated: 'Connector deactivated: its key is revoked and its tunnel closed.',
  'connector-renamed': 'Connector renamed.',
  rotated: 'New QR code issued; the previous one is revoked.',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The cloud portal's pages. Every company route checks membership first (foreign → 404). */
@Controller('portal')
@UseGuards(PortalPageGuard)
@UseFilters(PortalPageFilter)
export class PortalController {
  constructor(
    private readonly companies: CompaniesService,
    private readonly connectors: ConnectorAdminService,
    private readonly orgQr: OrgQrService,
    private readonly codes: ActivationCodeService,
    private readonly areas: AreasService,
    private readonly audit: AuditService,
    private readonly cookies: WebCookies,
  ) {}

  @Get()
  async home(@Req() req: AuthedRequest, @Res() res: Response): Promise<void> {
    const mine = await this.companies.listMine(req.auth.userId);
    this.send(req, res, 'Companies', companiesPage(mine, this.csrf(req, res)));
  }

  @Post('companies')
  async create(@Req() req: AuthedRequest, @Res() res: Response, @Body() body: Form): Promise<void> {
    const c = await this.companies.create(req.auth.userId, str(body?.name), requestMeta(req));
    res.redirect(303, `/portal/companies/${c.id}`);
  }

  @Get('companies/:orgId')
  async overview(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string): Promise<void> {
    const c = await this.company(req, orgId);
    const members = await this.companies.members(req.auth.userId, c.id);
    this.send(req, res, c.name, overviewPage(c, members, this.csrf(req, res), this.notice(req)));
  }

  @Post('companies/:orgId/rename')
  async rename(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string, @Body() body: Form) {
    const c = await this.company(req, orgId, MANAGERS);
    await this.companies.rename(req.auth.userId, c.id, str(body?.name), requestMeta(req));
    res.redirect(303, `/portal/companies/${c.id}?n=renamed`);
  }

  @Post('companies/:orgId/invitations')
  async invite(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string, @Body() body: Form) {
    const c = await this.company(req, orgId, MANAGERS);
    const role = str(body?.role);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new AccountsError(AccountsErrorCode.INVALID_INPUT, 'role must be owner, admin or installer');
    }
    await this.companies.invite(req.auth.userId, c.id, str(body?.email), role as Role, requestMeta(req));
    res.redirect(303, `/portal/companies/${c.id}?n=invited`);
  }

  @Get('companies/:orgId/connectors')
  async connectorList(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId);
    await this.renderConnectors(req, res, c);
  }

  @Post('companies/:orgId/connectors/:connectorId/address')
  async address(
    @Req() req: AuthedRequest,
    @Res() res: Response,
    @Param('orgId') orgId: string,
    @Param('connectorId') connectorId: string,
    @Body() body: Form,
  ) {
    const c = await this.company(req, orgId, MANAGERS);
    const { pushed } = await this.connectors.setLocalAppUrl(c.id, connectorId, body?.localAppUrl, {
      userId: req.auth.userId,
      ...requestMeta(req),
    });
    res.redirect(303, `/portal/companies/${c.id}/connectors?n=${pushed ? 'address-pushed' : 'address-saved'}`);
  }

  @Post('companies/:orgId/connectors/:connectorId/name')
  async renameConnector(
    @Req() req: AuthedRequest,
    @Res() res: Response,
    @Param('orgId') orgId: string,
    @Param('connectorId') connectorId: string,
    @Body() body: Form,
  ) {
    const c = await this.company(req, orgId, MANAGERS);
    await this.connectors.rename(c.id, connectorId, body?.name, { userId: req.auth.userId, ...requestMeta(req) });
    res.redirect(303, `/portal/companies/${c.id}/connectors?n=connector-renamed`);
  }

  /** The confirmation step: the list's Deactivate button leads here, this page's button does it. */
  @Get('companies/:orgId/connectors/:connectorId/deactivate')
  async confirmDeactivate(
    @Req() req: AuthedRequest,
    @Res() res: Response,
    @Param('orgId') orgId: string,
    @Param('connectorId') connectorId: string,
  ) {
    const c = await this.company(req, orgId, MANAGERS);
    const k = await this.connectors.get(c.id, connectorId);
    const list = `/portal/companies/${c.id}/connectors`;
    if (k.revokedAt) {
      res.redirect(303, list);
      return;
    }
    const body = confirmPage(c, 'connectors', {
      title: `Deactivate ${k.name}?`,
      consequence: html`Its key is revoked and its tunnel closed at once: the phone app and the web can no longer reach
      the site through it. This cannot be undone; to connect the site again, activate a connector anew.`,
      action: `${list}/${k.id}/deactivate`,
      confirmLabel: 'Deactivate connector',
      cancelHref: list,
      csrf: this.csrf(req, res),
    });
    this.send(req, res, 'Deactivate connector', body);
  }

  @Post('companies/:orgId/connectors/:connectorId/deactivate')
  async deactivate(
    @Req() req: AuthedRequest,
    @Res() res: Response,
    @Param('orgId') orgId: string,
    @Param('connectorId') connectorId: string,
  ) {
    const c = await this.company(req, orgId, MANAGERS);
    await this.connectors.deactivate(c.id, connectorId, { userId: req.auth.userId, ...requestMeta(req) });
    res.redirect(303, `/portal/companies/${c.id}/connectors?n=deactivated`);
  }

  @Post('companies/:orgId/activation-codes')
  async createCode(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string, @Body() body: Form) {
    const c = await this.company(req, orgId, MANAGERS);
    const area = str(body?.area) || this.areas.defaultArea().id;
    const code = await this.codes.create(c.id, req.auth.userId, area, requestMeta(req));
    // Shown in this response only (never in a URL or the database in clear).
    await this.renderConnectors(req, res, c, code);
  }

  @Get('companies/:orgId/qr')
  async qr(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId);
    const qr = await this.orgQr.current(c.id);
    const svg = await this.orgQr.svg(c.id);
    this.send(req, res, 'Organisation QR', qrPage(c, qr, svg, this.notice(req)));
  }

  @Get('companies/:orgId/qr/rotate')
  async confirmRotate(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId, MANAGERS);
    const qrPath = `/portal/companies/${c.id}/qr`;
    const body = confirmPage(c, 'qr', {
      title: 'Rotate the QR code?',
      consequence: html`A new code is issued and the current one is revoked at once: printed or saved copies stop
      working, and people who have not added ${c.name} to the phone app yet need the new code.`,
      action: `${qrPath}/rotate`,
      confirmLabel: 'Rotate QR code',
      cancelHref: qrPath,
      csrf: this.csrf(req, res),
    });
    this.send(req, res, 'Rotate QR code', body);
  }

  @Get('companies/:orgId/qr.png')
  async qrPng(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId);
    const png = await this.orgQr.png(c.id);
    res
      .status(200)
      .set({
        'Content-Type': 'image/png',
        'Cache-Control': 'no-store',
        'Content-Disposition': `attachment; filename="${c.slug}-qr.png"`,
      })
      .send(png);
  }

  @Get('companies/:orgId/qr.svg')
  async qrSvg(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId);
    const svg = await this.orgQr.svg(c.id);
    res
      .status(200)
      .set({
        'Content-Type': 'image/svg+xml',
        'Cache-Control': 'no-store',
        'Content-Disposition': `attachment; filename="${c.slug}-qr.svg"`,
      })
      .send(svg);
  }

  @Post('companies/:orgId/qr/rotate')
  async rotate(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId, MANAGERS);
    const { previous, next } = await this.orgQr.rotate(c.id);
    await this.audit.record({
      action: 'qr.rotated',
      outcome: 'success',
      orgId: c.id,
      actorUserId: req.auth.userId,
      ...requestMeta(req),
      target: next.jti,
      details: { revokedJti: previous ?? null },
    });
    await this.connectors.pushOrgQr(c.id);
    res.redirect(303, `/portal/companies/${c.id}/qr?n=rotated`);
  }

  @Get('companies/:orgId/audit')
  async auditLog(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string) {
    const c = await this.company(req, orgId, MANAGERS);
    const [forOrg, mine] = await Promise.all([
      this.audit.listForOrg(c.id, { limit: 200 }),
      this.audit.listForUser(req.auth.userId, { limit: 50 }),
    ]);
    // The company's events plus the viewer's own sign-ins (those belong to no company).
    const signIns = mine.filter((e) => e.orgId === null && e.action.startsWith('account.'));
    const merged = [...forOrg, ...signIns].sort((a, b) => b.at.localeCompare(a.at));
    // Targets are ids (the company, connectors, members): shown by name.
    const [connectors, members] = await Promise.all([
      this.connectors.list(c.id),
      this.companies.members(req.auth.userId, c.id),
    ]);
    const names = new Map<string, string>([
      [c.id, c.name],
      ...connectors.map((k): [string, string] => [k.id, k.name]),
      ...members.map((m): [string, string] => [m.userId, `${m.firstName} ${m.lastName}`]),
    ]);
    this.send(req, res, 'Audit log', auditPage(c, merged, names));
  }

  private async company(req: AuthedRequest, orgId: string, roles?: readonly Role[]): Promise<CompanyRef> {
    const m = await this.companies.requireMember(req.auth.userId, orgId, roles);
    return { id: m.company.id, slug: m.company.slug, name: m.company.name, role: m.role };
  }

  private async renderConnectors(req: AuthedRequest, res: Response, c: CompanyRef, code?: CreatedActivationCode) {
    const list = await this.connectors.list(c.id);
    const areas = this.areas.list().map((a) => ({ id: a.id, name: a.name }));
    this.send(
      req,
      res,
      'Connectors',
      connectorsPage(c, list, areas, this.csrf(req, res), { notice: this.notice(req), code }),
    );
  }

  private notice(req: Request): string | undefined {
    const n = req.query.n;
    return typeof n === 'string' ? NOTICES[n] : undefined;
  }

  private csrf(req: Request, res: Response): string {
    return this.cookies.csrfToken(req, res);
  }

  private send(req: AuthedRequest, res: Response, title: string, body: SafeHtml): void {
    const csrf = this.csrf(req, res);
    sendPage(res, 200, page({ title, body, user: { email: req.auth.email }, csrf }));
  }
}
