import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { OperationLogRepository, OperatorRepository } from '../domain/operator.repository';
import { PersonRepository } from '../domain/person.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { LoginRateLimiter } from './login-rate-limiter';
import { PasswordHasher } from '@lanbridge/passwords';
import type { ClientInfo, Credentials, Principal, Role } from './principal';
import { TokenService, type TokenPair, type TokenSubject } from './token.service';

/** Thrown when a login is throttled; the answer carries Retry-After. */
export class LoginThrottledException extends AccessCoreException {
  constructor(retryAfterS: number) {
    super(AccessCoreErrorCode.RATE_LIMITED, `too many sign-in attempts; retry in ${retryAfterS} s`, undefined, {
      retryAfterS,
    });
  }
}

export const APP_LOGIN_DISABLED_MESSAGE = 'Unauthorized APP login';

@Injectable()
export class AuthService {
  private readonly logger: Logger;

  constructor(
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly operators: OperatorRepository,
    private readonly people: PersonRepository,
    private readonly operationLog: OperationLogRepository,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginRateLimiter,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
  ) {
    this.logger = root.child({ component: 'auth' });
  }

  async login(dto: Credentials, client: ClientInfo): Promise<TokenPair> {
    const name = dto.type === 'admin' ? dto.username : dto.pin;
    const account = `${dto.type}:${dto.type === 'admin' ? name.toLowerCase() : name}`;
    const wait = this.limiter.attempt(client.ip ?? 'unknown', account);
    if (wait > 0) {
      this.logger.warn({ account, ip: client.ip, retryAfter: wait }, 'sign-in throttled');
      throw new LoginThrottledException(wait);
    }
    const subject =
      dto.type === 'admin' ? await this.checkOperator(name, dto.password) : await this.checkPerson(name, dto.password);
    if (!subject) {
      this.logger.warn({ account, ip: client.ip }, 'sign-in failed');
      throw new AccessCoreException(
        AccessCoreErrorCode.INVALID_CREDENTIALS,
        dto.type === 'admin' ? 'wrong user name or password' : 'wrong personnel id or password',
      );
    }
    this.limiter.succeeded(account);
    if (subject === 'app-login-disabled') {
      this.logger.warn({ account, ip: client.ip }, 'sign-in refused: App Login is disabled');
      throw new AccessCoreException(AccessCoreErrorCode.APP_LOGIN_DISABLED, APP_LOGIN_DISABLED_MESSAGE);
    }
    if (subject.role === 'admin')
      await this.operators.orm.update({ id: subject.subjectId }, { lastLoginAt: this.clock.now() });
    await this.operationLog.record({
      actor: `${subject.role === 'admin' ? 'operator' : 'person'}:${subject.name}`,
      action: 'auth.login',
      target: null,
      ip: client.ip ?? null,
      userAgent: client.userAgent ?? null,
      detail: { via: 'mobile' },
    });
    this.logger.info({ account, ip: client.ip }, 'signed in');
    return this.tokens.issue(subject, client);
  }

  refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    return this.tokens.refresh(refreshToken, client, (role, id) => this.currentSubject(role, id));
  }

  async logout(principal: Principal): Promise<void> {
    await this.tokens.revokeSession(principal.sessionId);
    this.logger.info({ role: principal.role, name: principal.name }, 'signed out');
  }

  /** The subject as it is now, or undefined when it may no longer hold a session. */
  async currentSubject(role: Role, subjectId: string): Promise<TokenSubject | undefined> {
    if (role === 'admin') {
      const op = await this.operators.findById(subjectId);
      return op && !op.disabled ? { role, subjectId, name: op.username } : undefined;
    }
    const p = await this.people.findById(subjectId);
    return p && !p.disabled && p.appLoginEnabled ? { role, subjectId, name: p.pin } : undefined;
  }

  private async checkOperator(username: string, password: string): Promise<TokenSubject | undefined> {
    const op = await this.operators.findByUsername(username);
    if (!op || op.disabled) {
      await this.hasher.burn(password);
      return undefined;
    }
    if (!(await this.hasher.verify(op.passwordHash, password))) return undefined;
    return { role: 'admin', subjectId: op.id, name: op.username };
  }

  // The password is checked before App Login, so the 403 never tells a stranger a pin exists.
  private async checkPerson(pin: string, password: string): Promise<TokenSubject | 'app-login-disabled' | undefined> {
    const p = await this.people.findByPin(pin);
    if (!p || p.disabled || !p.passwordHash) {
      await this.hasher.burn(password);
      return undefined;
    }
    if (!(await this.hasher.verify(p.passwordHash, password))) return undefined;
    if (!p.appLoginEnabled) return 'app-login-disabled';
    return { role: 'personnel', subjectId: p.id, name: p.pin };
  }
}
