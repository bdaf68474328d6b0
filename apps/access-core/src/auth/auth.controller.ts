import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { PublicJwk } from './access-token';
import { AuthService, LoginThrottledException } from './auth.service';
import { Client, CurrentUser } from './current-user.decorator';
import { LoginDto, RefreshDto, TokenPairDto } from './dto/login.dto';
import type { ClientInfo, Principal } from './principal';
import { Roles } from './roles.decorator';
import { SiteKeyService } from './site-key.service';
import type { TokenPair } from './token.service';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly siteKey: SiteKeyService,
  ) {}

  @Post('api/v1/auth/login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in as an administrator (operator) or as personnel (App Login)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, with Retry-After' })
  async login(
    @Body() body: LoginDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<TokenPair> {
    try {
      return await this.auth.login(body, client);
    } catch (err) {
      if (err instanceof LoginThrottledException) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      throw err;
    }
  }

  @Post('api/v1/auth/refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token (single use) for a new token pair' })
  @ApiOkResponse({ type: TokenPairDto })
  refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, client);
  }

  @Post('api/v1/auth/logout')
  @HttpCode(204)
  @Roles('admin', 'personnel')
  @ApiOperation({ summary: 'End this session (its refresh tokens stop working at once)' })
  async logout(@CurrentUser() principal: Principal): Promise<void> {
    await this.auth.logout(principal);
  }

  @Get(['api/v1/auth/jwks', '.well-known/jwks.json'])
  @ApiOperation({ summary: "The site's public signing keys (verify access tokens without calling the site)" })
  jwks(): { keys: PublicJwk[] } {
    return this.siteKey.jwks();
  }
}
