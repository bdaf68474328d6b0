import type { Request, Response } from 'express';
import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { requestMeta } from '../audit/audit.service';
import { CompaniesService } from '../companies/companies.service';
import { html, page, type SafeHtml, sendPage } from '../web/layout';
import { AccountsError } from './accounts-error';
import { AccountsService } from './accounts.service';
import { AuthService } from './auth.service';
import { PASSWORD_MAX, PASSWORD_MIN } from './password-policy';
import { WebCookies } from './web-session';

/** Only local paths: anything else would make sign-in an open redirect. */
export function safeReturnTo(v: unknown): string | undefined {
  return typeof v === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(v) && v.length <= 2048 ? v : undefined;
}

function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, 2048) : '';
}

function errorText(err: unknown): string {
  if (err instanceof AccountsError) return err.message;
  throw err;
}

function card(title: string, content: SafeHtml): SafeHtml {
  return html`<div class="card">
    <h1>${title}</h1>
    ${content}
  </div>`;
}

/** Server-rendered account pages (sign-up, sign-in, email verification, password reset, invitations). */
@Controller()
export class AccountsPagesController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly authn: AuthService,
    private readonly cookies: WebCookies,
    private readonly companies: CompaniesService,
  ) {}

  @Get('sign-up')
  signUpForm(@Req() req: Request, @Res() res: Response): void {
    this.renderSignUp(req, res, 200, {});
  }

  @Post('sign-up')
  async signUp(@Req() req: Request, @Res() res: Response): Promise<void> {
    const b = req.body as unknown;
    const values = {
      firstName: field(b, 'firstName'),
      lastName: field(b, 'lastName'),
      email: field(b, 'email'),
      contactNumber: field(b, 'contactNumber'),
    };
    try {
      this.cookies.checkCsrf(req);
      if (
        !values.firstName.trim() ||
        !values.lastName.trim() ||
        !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email) ||
        values.contactNumber.trim().length < 3
      ) {
        this.renderSignUp(req, res, 400, values, 'Fill in every field with a valid email address.');
        return;
      }
      await this.accounts.signUp({ ...values, password: field(b, 'password') }, requestMeta(req));
    } catch (err) {
      this.renderSignUp(req, res, err instanceof AccountsError ? err.status : 500, values, errorText(err));
      return;
    }
    sendPage(
      res,
      201,
      page({
        title: 'Check your mail',
        body: card(
          'Check your mail',
          html`<p>We sent a link to <b>${values.email}</b>. Open it to confirm your address, then sign in.</p>
            <a class="button" href="/sign-in${this.returnQuery(req)}">Sign in</a>`,
        ),
      }),
    );
  }

  @Get('sign-in')
  signInForm(@Req() req: Request, @Res() res: Response): void {
    this.renderSignIn(req, res, 200, '');
  }

  @Post('sign-in')
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const email = field(req.body, 'email');
    try {
      this.cookies.checkCsrf(req);
      const s = await this.accounts.signIn(email, field(req.body, 'password'), requestMeta(req));
      this.cookies.setSession(res, s.token);
      this.cookies.rotateCsrf(res);
    } catch (err) {
      if (err instanceof AccountsError && err.retryAfterS !== undefined)
        res.set('Retry-After', String(err.retryAfterS));
      this.renderSignIn(req, res, err instanceof AccountsError ? err.status : 500, email, errorText(err));
      return;
    }
    res.redirect(303, safeReturnTo(req.query.return_to) ?? '/portal');
  }

  @Post('sign-out')
  async signOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = await this.authn.fromRequest(req, res).catch(() => undefined);
    if (me?.sessionId) {
      try {
        this.cookies.checkCsrf(req);
      } catch {
        res.redirect(303, '/portal');
        return;
      }
      await this.accounts.signOut(me.userId, me.sessionId, requestMeta(req));
    }
    this.cookies.clearSession(res);
    res.redirect(303, '/sign-in');
  }

  /** The link from the mail shows a button; the POST verifies (mail scanners only GET). */
  @Get('verify-email')
  verifyForm(@Req() req: Request, @Res() res: Response): void {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const csrf = this.cookies.csrfToken(req, res);
    sendPage(
      res,
      200,
      page({
        title: 'Confirm your email',
        body: card(
          'Confirm your email',
          html`<form method="post" action="/verify-email">
            <input type="hidden" name="_csrf" value="${csrf}" /><input type="hidden" name="token" value="${token}" />
            <button type="submit">Confirm my email address</button>
          </form>`,
        ),
      }),
    );
  }

  @Post('verify-email')
  async verify(@Req() req: Request, @Res() res: Response): Promise<void> {
    let message: SafeHtml;
    let status = 200;
    try {
      this.cookies.checkCsrf(req);
      await this.accounts.verifyEmail(field(req.body, 'token'), requestMeta(req));
      message = html`<p class="ok">Your email address is confirmed.</p>
        <a class="button" href="/sign-in">Sign in</a>`;
    } catch (err) {
      status = err instanceof AccountsError ? err.status : 500;
      message = html`<p class="error">${errorText(err)}</p>`;
    }
    sendPage(res, status, page({ title: 'Confirm your email', body: card('Confirm your email', message) }));
  }

  @Get('forgot-password')
  forgotForm(@Req() req: Request, @Res() res: Response): void {
    const csrf = this.cookies.csrfToken(req, res);
    sendPage(
      res,
      200,
      page({
        title: 'Forgot password',
        body: card(
          'Forgot your password?',
          html`<form method="post" action="/forgot-password">
            <input type="hidden" name="_csrf" value="${csrf}" />
            <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required />
            <button type="submit">Send me a reset link</button>
          </form>`,
        ),
      }),
    );
  }

  @Post('forgot-password')
  async forgot(@Req() req: Request, @Res() res: Response): Promise<void> {
    let message = html`<p>
      If an account exists for that address, a reset link is on its way. It works for 30 minutes.
    </p>`;
    try {
      this.cookies.checkCsrf(req);
      await this.accounts.requestPasswordReset(field(req.body, 'email'), requestMeta(req));
    } catch (err) {
      message = html`<p class="error">${errorText(err)}</p>`;
    }
    sendPage(res, 200, page({ title: 'Forgot password', body: card('Forgot your password?', message) }));
  }

  @Get('reset-password')
  resetForm(@Req() req: Request, @Res() res: Response): void {
    this.renderReset(req, res, 200, typeof req.query.token === 'string' ? req.query.token : '');
  }

  @Post('reset-password')
  async reset(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = field(req.body, 'token');
    try {
      this.cookies.checkCsrf(req);
      await this.accounts.completePasswordReset(token, field(req.body, 'newPassword'), requestMeta(req));
    } catch (err) {
      this.renderReset(req, res, err instanceof AccountsError ? err.status : 500, token, errorText(err));
      return;
    }
    sendPage(
      res,
      200,
      page({
        title: 'Password changed',
        body: card(
          'Password changed',
          html`<p class="ok">Your password is changed and every session was signed out.</p>
            <a class="button" href="/sign-in">Sign in</a>`,
        ),
      }),
    );
  }

  @Get('invitations/accept')
  async acceptForm(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = await this.authn.fromRequest(req, res).catch(() => undefined);
    if (!me) {
      res.redirect(303, `/sign-in?return_to=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const csrf = this.cookies.csrfToken(req, res);
    sendPage(
      res,
      200,
      page({
        title: 'Invitation',
        user: me,
        csrf,
        body: card(
          'Join a company',
          html`<form method="post" action="/invitations/accept">
            <input type="hidden" name="_csrf" value="${csrf}" /><input type="hidden" name="token" value="${token}" />
            <button type="submit">Accept the invitation</button>
          </form>`,
        ),
      }),
    );
  }

  @Post('invitations/accept')
  async accept(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = await this.authn.fromRequest(req, res).catch(() => undefined);
    if (!me) {
      res.redirect(303, '/sign-in');
      return;
    }
    try {
      this.cookies.checkCsrf(req);
      await this.companies.acceptInvitation(me.userId, field(req.body, 'token'), requestMeta(req));
    } catch (err) {
      sendPage(
        res,
        err instanceof AccountsError ? err.status : 500,
        page({
          title: 'Invitation',
          user: me,
          body: card('Join a company', html`<p class="error">${errorText(err)}</p>`),
        }),
      );
      return;
    }
    res.redirect(303, '/portal');
  }

  private returnQuery(req: Request): string {
    const r = safeReturnTo(req.query.return_to);
    return r ? `?return_to=${encodeURIComponent(r)}` : '';
  }

  private renderSignUp(
    req: Request,
    res: Response,
    status: number,
    v: Partial<Record<'firstName' | 'lastName' | 'email' | 'contactNumber', string>>,
    error?: string,
  ): void {
    const csrf = this.cookies.csrfToken(req, res);
    const body = card(
      'Create your account',
      html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        <form method="post" action="/sign-up${this.returnQuery(req)}">
          <input type="hidden" name="_csrf" value="${csrf}" />
          <label for="firstName">First name</label
          ><input
            id="firstName"
            name="firstName"
            autocomplete="given-name"
            required
            maxlength="100"
            value="${v.firstName ?? ''}"
          />
          <label for="lastName">Last name</label
          ><input
            id="lastName"
            name="lastName"
            autocomplete="family-name"
            required
            maxlength="100"
            value="${v.lastName ?? ''}"
          />
          <label for="email">Email</label
          ><input
            id="email"
            name="email"
            type="email"
            autocomplete="email"
            required
            maxlength="254"
            value="${v.email ?? ''}"
          />
          <label for="contactNumber">Contact number</label
          ><input
            id="contactNumber"
            name="contactNumber"
            type="tel"
            autocomplete="tel"
            required
            maxlength="40"
            value="${v.contactNumber ?? ''}"
          />
          <label for="password">Password</label
          ><input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength="${PASSWORD_MIN}"
            maxlength="${PASSWORD_MAX}"
          />
          <p class="muted">At least ${PASSWORD_MIN} characters. A long passphrase is best.</p>
          <button type="submit">Sign up</button>
        </form>
        <p>Already have an account? <a href="/sign-in${this.returnQuery(req)}">Sign in</a></p>`,
    );
    sendPage(res, status, page({ title: 'Sign up', body }));
  }

  private renderSignIn(req: Request, res: Response, status: number, email: string, error?: string): void {
    const csrf = this.cookies.csrfToken(req, res);
    const body = card(
      'Sign in',
      html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}
        <form method="post" action="/sign-in${this.returnQuery(req)}">
          <input type="hidden" name="_csrf" value="${csrf}" />
          <label for="email">Email</label
          ><input id="email" name="email" type="email" autocomplete="username" required value="${email}" />
          <label for="password">Password</label
          ><input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
        </form>
        <p>
          <a href="/forgot-password">Forgot your password?</a> · <a href="/sign-up${this.returnQuery(req)}">Register</a>
        </p>`,
    );
    sendPage(res, status, page({ title: 'Sign in', body }));
  }

  private renderReset(req: Request, res: Response, status: number, token: string, error?: string): void {
    const csrf = this.cookies.csrfToken(req, res);
    sendPage(
      res,
      status,
      page({
        title: 'Choose a new password',
        body: card(
          'Choose a new password',
          html`${error ? html`<p class="error" role="alert">${error}</p>` : ''}
            <form method="post" action="/reset-password">
              <input type="hidden" name="_csrf" value="${csrf}" /><input type="hidden" name="token" value="${token}" />
              <label for="newPassword">New password</label
              ><input
                id="newPassword"
                name="newPassword"
                type="password"
                autocomplete="new-password"
                required
                minlength="${PASSWORD_MIN}"
                maxlength="${PASSWORD_MAX}"
              />
              <button type="submit">Change password</button>
            </form>`,
        ),
      }),
    );
  }
}
