import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { PublicJwk } from './access-token';
import type { EncryptionJwk } from './site-hello';
import { AuthService } from './auth.service';
import { Client, CurrentUser } from './current-user.decorator';
import { HelloDto, HelloResponseDto, LoginDto, RefreshDto, TokenPairDto } from './dto/login.dto';
import { E2eLoginService } from './e2e-login.service';
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
    private readonly e2e: E2eLoginService,
  ) {}

  @Post('api/v1/auth/hello')
  @HttpCode(200)
  @ApiOperation({ summary: "The site's signed answer to a nonce, and its key for the encrypted login" })
  @ApiOkResponse({ type: HelloResponseDto })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, with Retry-After' })
  hello(@Body() body: HelloDto, @Client() client: ClientInfo): { hello: string } {
    return this.e2e.hello(body.nonce, client);
  }

  @Post('api/v1/auth/login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in as an administrator (operator) or as personnel (App Login), in clear or as a JWE',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, E2E_HELLO_INVALID, E2E_DECRYPT_FAILED' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, with Retry-After' })
  async login(@Body() body: LoginDto, @Client() client: ClientInfo): Promise<TokenPair> {
    return this.auth.login(await this.e2e.credentials(body, client), client);
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
  @ApiOperation({
    summary: "The site's public keys: Ed25519 (verify access tokens and hellos) and X25519 (encrypted login)",
  })
  jwks(): { keys: (PublicJwk | EncryptionJwk)[] } {
    return this.siteKey.jwks();
  }
}
