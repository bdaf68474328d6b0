import { Global, Module } from '@nestjs/common';
import { AdminSeedService } from './admin-seed.service';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthSessionRepository } from './auth-session.repository';
import { AuthSessionStore } from './auth-session.store';
import { AuthService } from './auth.service';
import { E2eLoginService } from './e2e-login.service';
import { LoginRateLimiter } from './login-rate-limiter';
import { PasswordHasher } from '@lanbridge/passwords';
import { SiteKeyService } from './site-key.service';
import { TokenService } from './token.service';

/** Mobile sign-in, tokens and the @Roles() guard, available to every module. */
@Global()
@Module({
  controllers: [AuthController],
  providers: [
    SiteKeyService,
    PasswordHasher,
    LoginRateLimiter,
    TokenService,
    { provide: AuthSessionStore, useClass: AuthSessionRepository },
    AuthService,
    E2eLoginService,
    AdminSeedService,
    AuthGuard,
  ],
  exports: [SiteKeyService, PasswordHasher, TokenService, AuthService, AuthGuard],
})
export class AuthModule {}
