import { Global, Module } from '@nestjs/common';
import { AreasController } from '../areas/areas.controller';
import { AreasService } from '../areas/areas.service';
import { AuditService } from '../audit/audit.service';
import { CompaniesController } from '../companies/companies.controller';
import { CompaniesService } from '../companies/companies.service';
import { CompanyRepository } from '../companies/company.repository';
import { MailService } from '../mail/mail.service';
import { ActivatePagesController } from '../oauth/activate-pages.controller';
import { DeviceFlowService } from '../oauth/device-flow.service';
import { OAuthClientRegistry } from '../oauth/oauth-clients';
import { OAuthServer } from '../oauth/oauth-server';
import { OAuthTokenService } from '../oauth/oauth-token.service';
import { OAuthController } from '../oauth/oauth.controller';
import { SigningKeyService } from '../oauth/signing-key.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { AccountsPagesController } from './accounts-pages.controller';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { PasswordHasher } from '@lanbridge/passwords';
import { SessionRepository } from './session.repository';
import { UserRepository } from './user.repository';
import { WebCookies } from './web-session';

const providers = [
  AccountsService,
  AuthService,
  AuthGuard,
  WebCookies,
  PasswordHasher,
  UserRepository,
  SessionRepository,
  AuditService,
  MailService,
  RateLimitService,
  AreasService,
  CompanyRepository,
  CompaniesService,
  OAuthClientRegistry,
  OAuthTokenService,
  SigningKeyService,
  DeviceFlowService,
  OAuthServer,
];

/**
 * Accounts, sessions, the OAuth2 server, companies, areas, audit, mail and rate limits.
 * Global, so the portal's controllers inject these services without importing the module.
 * Needs BROKER_CONFIG, BROKER_LOGGER and the DataSource from AppModule.
 */
@Global()
@Module({
  controllers: [
    AccountsController,
    AccountsPagesController,
    CompaniesController,
    AreasController,
    OAuthController,
    ActivatePagesController,
  ],
  providers,
  exports: providers,
})
export class AccountsModule {}
