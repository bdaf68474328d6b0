import type { Request, Response } from 'express';
import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { AuthContext } from '../accounts/auth.service';
import { WebCookies } from '../accounts/web-session';
import { requestMeta } from '../audit/audit.service';
import { CompaniesService } from '../companies/companies.service';
import type { Role } from '../companies/company.repository';
import { PortalPageFilter } from '../portal/portal-page.filter';
import { PortalPageGuard } from '../portal/portal-page.guard';
import { type CompanyRef, confirmPage } from '../portal/portal-views';
import { html, page, sendPage } from '../web/layout';
import { CloudDataService } from './cloud-data.service';
import { siteDataPage } from './site-data-views';

type AuthedRequest = Request & { auth: AuthContext };

const MANAGERS: readonly Role[] = ['owner', 'admin'];

/** The portal's "Site data" page of a company; members read it, owners and admins erase it. */
@Controller('portal/companies/:orgId/site-data')
@UseGuards(PortalPageGuard)
@UseFilters(PortalPageFilter)
export class SiteDataPagesController {
  constructor(
    private readonly companies: CompaniesService,
    private readonly cloudData: CloudDataService,
    private readonly cookies: WebCookies,
  ) {}

  @Get()
  async show(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string): Promise<void> {
    const c = await this.company(req, orgId);
    const data = await this.cloudData.overview(c.id);
    const csrf = this.cookies.csrfToken(req, res);
    const notice = req.query.n === 'deleted' ? 'Stored site data deleted.' : undefined;
    sendPage(
      res,
      200,
      page({ title: 'Site data', body: siteDataPage(c, data, notice), user: { email: req.auth.email }, csrf }),
    );
  }

  /** The confirmation step of the erase: the page's button leads here, this page's button erases. */
  @Get('delete')
  async confirmDelete(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string): Promise<void> {
    const c = await this.company(req, orgId, MANAGERS);
    const csrf = this.cookies.csrfToken(req, res);
    const back = `/portal/companies/${c.id}/site-data`;
    const body = confirmPage(c, 'site-data', {
      title: 'Delete the stored site data?',
      consequence: html`The devices and event logs the cloud keeps for ${c.name} are erased. The site keeps its own
      records, and sends new ones while its data push is on.`,
      action: `${back}/delete`,
      confirmLabel: 'Delete site data',
      cancelHref: back,
      csrf,
    });
    sendPage(res, 200, page({ title: 'Delete site data', body, user: { email: req.auth.email }, csrf }));
  }

  @Post('delete')
  async delete(@Req() req: AuthedRequest, @Res() res: Response, @Param('orgId') orgId: string): Promise<void> {
    const c = await this.company(req, orgId, MANAGERS);
    await this.cloudData.deleteByAdmin(c.id, { userId: req.auth.userId, ...requestMeta(req) });
    res.redirect(303, `/portal/companies/${c.id}/site-data?n=deleted`);
  }

  private async company(req: AuthedRequest, orgId: string, roles?: readonly Role[]): Promise<CompanyRef> {
    const m = await this.companies.requireMember(req.auth.userId, orgId, roles);
    return { id: m.company.id, slug: m.company.slug, name: m.company.name, role: m.role };
  }
}
