import type { Request, Response } from 'express';
import { Controller, Get, Header, Post, Req, Res } from '@nestjs/common';
import { AuthService } from '../accounts/auth.service';
import { html, page, sendPage } from '../web/layout';
import { DEVICE_CODE_GRANT } from './device-flow.service';
import { OAuthServer } from './oauth-server';
import { type PublicJwk, SigningKeyService } from './signing-key.service';

@Controller()
export class OAuthController {
  constructor(
    private readonly oauth: OAuthServer,
    private readonly keys: SigningKeyService,
    private readonly auth: AuthService,
  ) {}

  /** RFC 8414 authorization server metadata. */
  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  metadata(): Record<string, unknown> {
    const iss = this.oauth.issuer;
    const clientAuth = ['client_secret_basic', 'client_secret_post', 'none'];
    return {
      issuer: iss,
      authorization_endpoint: `${iss}/oauth/authorize`,
      token_endpoint: `${iss}/oauth/token`,
      device_authorization_endpoint: `${iss}/oauth/device_authorization`,
      revocation_endpoint: `${iss}/oauth/revoke`,
      introspection_endpoint: `${iss}/oauth/introspect`,
      jwks_uri: `${iss}/.well-known/jwks.json`,
      scopes_supported: ['api', 'connector'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: clientAuth,
      revocation_endpoint_auth_methods_supported: clientAuth,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      authorization_response_iss_parameter_supported: true,
      service_documentation: `${iss}/openapi.json`,
    };
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): { keys: PublicJwk[] } {
    return this.keys.jwks();
  }

  @Get('oauth/authorize')
  async authorize(@Req() req: Request, @Res() res: Response): Promise<void> {
    const me = await this.auth.fromRequest(req, res).catch(() => undefined);
    if (!me || me.via !== 'session') {
      res.redirect(303, `/sign-in?return_to=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    await this.oauth.authorize(req, res, { id: me.userId }, (err) => {
      const message = err.message || 'the authorization request is invalid';
      sendPage(
        res,
        400,
        page({
          title: 'Authorization failed',
          body: html`<div class="card">
            <h1>Authorization failed</h1>
            <p class="error">${message}</p>
          </div>`,
        }),
      );
    });
  }

  @Post('oauth/token')
  token(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.token(req, res);
  }

  @Post('oauth/device_authorization')
  deviceAuthorization(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.deviceAuthorization(req, res);
  }

  @Post('oauth/revoke')
  revoke(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.revoke(req, res);
  }

  @Post('oauth/introspect')
  introspect(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.oauth.introspect(req, res);
  }
}
