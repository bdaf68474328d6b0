import type { Request, Response } from 'express';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { CodedError } from '@lanbridge/errors';
import type { Logger } from '@lanbridge/logging';
import type { AuthContext } from '../accounts/auth.service';
import { WebCookies } from '../accounts/web-session';
import { PORTAL_LOGGER } from '../connector-admin/connector-admin.service';
import { html, page, sendPage } from '../web/layout';
import { SignInRequired } from './portal-page.guard';

/** Portal pages answer errors as pages: sign-in redirect, 404 for foreign or unknown objects. */
@Catch(SignInRequired, CodedError)
export class PortalPageFilter implements ExceptionFilter {
  private readonly log: Logger;

  constructor(
    @Inject(PORTAL_LOGGER) logger: Logger,
    private readonly cookies: WebCookies,
  ) {
    this.log = logger.child({ component: 'portal-pages' });
  }

  catch(err: SignInRequired | CodedError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request & { auth?: AuthContext }>();
    const res = host.switchToHttp().getResponse<Response>();
    if (err instanceof SignInRequired) {
      res.redirect(303, `/sign-in?return_to=${encodeURIComponent(err.returnTo)}`);
      return;
    }
    const status = err.status;
    this.log.info({ code: err.code, status, method: req.method, path: req.path }, 'portal request rejected');
    const body = html`<div class="card">
      <h1>${status === 404 ? 'Not found' : 'Request refused'}</h1>
      <p class="error" id="error-code">${err.code}</p>
      <p>${err.message}</p>
      <p><a href="/portal">Back to your companies</a></p>
    </div>`;
    // Signed in (the guard let the request through): the page keeps the user's navigation.
    const user = req.auth ? { email: req.auth.email } : undefined;
    const csrf = user ? this.cookies.csrfToken(req, res) : undefined;
    sendPage(res, status, page({ title: status === 404 ? 'Not found' : 'Error', body, user, csrf }));
  }
}
