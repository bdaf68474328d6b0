import type { Request, Response } from 'express';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { AuthService } from '../accounts/auth.service';
import { WebCookies } from '../accounts/web-session';
import { AreasService } from '../areas/areas.service';
import { html, page, sendPage } from './layout';

/** The broker's front page at `/`: what Lanbridge is, and the ways in (portal, sign-up, phone app). */
@Controller()
export class HomeController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: WebCookies,
    private readonly areas: AreasService,
  ) {}

  @Get()
  async home(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = req.headers.authorization === undefined ? await this.auth.fromRequest(req, res) : undefined;
    const csrf = me ? this.cookies.csrfToken(req, res) : undefined;
    const regions = this.areas.list();
    const body = html`<section class="card hero">
        <h1>Reach your access-control site from anywhere</h1>
        <p>
          Lanbridge connects the phone app and the web to your on-site access-control server (doors, card and face
          terminals, visitors) through the cloud, <strong>without opening any port at the site</strong>: a small
          connector on the site's network dials out to this cloud and keeps a secure tunnel open.
        </p>
        <div class="actions">
          ${
            me
              ? html`<a class="button" id="open-portal" href="/portal">Open the portal</a>`
              : html`<a class="button" id="sign-up" href="/sign-up">Create an account</a>
                  <a class="button secondary" id="sign-in" href="/sign-in">Sign in</a>`
          }
          <a class="button secondary" id="phone-app" href="/app/">Open the phone app</a>
        </div>
      </section>
      <div class="features">
        <section class="card">
          <h2>1. Create your company</h2>
          <p>Sign up, confirm your email address and create the company that owns your sites.</p>
        </section>
        <section class="card">
          <h2>2. Activate a connector</h2>
          <p>
            Open the connector's page on the site's network, choose the region and approve the code it shows in the
            portal. The connector then stays online by itself.
          </p>
        </section>
        <section class="card">
          <h2>3. Scan the QR code</h2>
          <p>
            Print the company's QR code from the portal. Staff scan it with the phone app and sign in with their site
            account; their password goes to the site, never to the cloud.
          </p>
        </section>
      </div>
      <section class="card">
        <h2>Regions</h2>
        <p class="muted">A connector dials the broker of the region chosen when it is activated.</p>
        <ul id="regions">
          ${regions.map((r) => html`<li><strong>${r.name}</strong> <span class="muted">${r.brokerUrl}</span></li>`)}
        </ul>
      </section>`;
    sendPage(
      res,
      200,
      page({ title: 'Home', body, user: me ? { email: me.email } : undefined, csrf, section: 'home' }),
    );
  }
}
