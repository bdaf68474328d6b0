import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { AuditService, type RequestMeta } from '../audit/audit.service';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';
import { renderMail } from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import { OAuthTokenService } from '../oauth/oauth-token.service';
import { type Attempt, type Limit, RateLimitService } from '../rate-limit/rate-limit.service';
import { AccountsError, AccountsErrorCode } from './accounts-error';
import { PasswordHasher } from '@lanbridge/passwords';
import { checkPasswordPolicy } from './password-policy';
import { hashToken, randomToken } from './secrets';
import { type SessionRecord, SessionRepository } from './session.repository';
import { type UserRecord, UserRepository } from './user.repository';

export interface SignUpInput {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly contactNumber: string;
  readonly password: string;
}

export interface PublicUser {
  readonly id: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly contactNumber: string;
  readonly emailVerified: boolean;
}

export interface SignedIn {
  readonly user: UserRecord;
  readonly session: SessionRecord;
  /** The session cookie value; only its hash is stored. */
  readonly token: string;
}

export interface SessionView {
  readonly id: string;
  readonly current: boolean;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

const VERIFY_TTL_S = 24 * 3600;
const RESET_TTL_S = 30 * 60;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function publicUser(u: UserRecord): PublicUser {
  return {
    id: u.id,
    email: u.email,
    firstName: u.firstName,
    lastName: u.lastName,
    contactNumber: u.contactNumber,
    emailVerified: u.emailVerifiedAt !== null,
  };
}

/** Sign-up, email verification, sign-in with brute-force limits, sessions, password change and reset. */
@Injectable()
export class AccountsService {
  private readonly log: Logger;
  private readonly publicUrl: string;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly failuresPerAccount: Limit;
  private readonly failuresPerIp: Limit;
  private readonly mailPerIp: Limit;

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly hasher: PasswordHasher,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly tokens: OAuthTokenService,
    rateLimits: RateLimitService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    @Inject(BROKER_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'accounts' });
    this.publicUrl = config.publicUrl;
    const a = config.accounts;
    this.idleMs = a.sessionIdleMs;
    this.absoluteMs = a.sessionAbsoluteMs;
    const window = a.signinFailureWindowS;
    this.failuresPerAccount = rateLimits.limit(
      'signin-account',
      { points: a.signinMaxFailuresPerAccount, windowS: window, blockS: window },
      'failed sign-ins for this account',
    );
    this.failuresPerIp = rateLimits.limit(
      'signin-ip',
      { points: a.signinMaxFailuresPerIp, windowS: window, blockS: window },
      'failed sign-ins from this address',
    );
    this.mailPerIp = rateLimits.limit('mail-ip', { points: 20, windowS: 3600 }, 'mail requests from this address');
  }

  async signUp(input: SignUpInput, meta: RequestMeta): Promise<PublicUser> {
    checkPasswordPolicy(input.password);
    if (meta.ip) await this.mailPerIp.consume(meta.ip);
    const email = normalizeEmail(input.email);
    const user = await this.users.create({
      email,
      firstName: input.firstName.trim(),
      lastName: input.lastName.trim(),
      contactNumber: input.contactNumber.trim(),
      passwordHash: await this.hasher.hash(input.password),
    });
    if (!user) {
      await this.audit.record({
        action: 'account.signup',
        outcome: 'failure',
        target: email,
        ...meta,
        details: { reason: 'email_taken' },
      });
      throw new AccountsError(AccountsErrorCode.EMAIL_TAKEN, 'an account with this email already exists');
    }
    await this.audit.record({
      action: 'account.signup',
      outcome: 'success',
      actorUserId: user.id,
      target: email,
      ...meta,
    });
    await this.sendVerification(user, meta.timeZone);
    return publicUser(user);
  }

  async resendVerification(email: string, meta: RequestMeta): Promise<void> {
    if (meta.ip) await this.mailPerIp.consume(meta.ip);
    const user = await this.users.findByEmail(normalizeEmail(email));
    // Same answer whether or not the account exists (no account enumeration).
    if (user && user.emailVerifiedAt === null) await this.sendVerification(user, meta.timeZone);
  }

  async verifyEmail(token: string, meta: RequestMeta): Promise<void> {
    const userId = await this.users.consumeToken(hashToken(token), 'verify_email');
    if (!userId)
      throw new AccountsError(AccountsErrorCode.TOKEN_INVALID, 'this verification link is invalid, used or expired');
    await this.users.markVerified(userId);
    await this.audit.record({ action: 'account.email_verified', outcome: 'success', actorUserId: userId, ...meta });
  }

  async signIn(emailInput: string, password: string, meta: RequestMeta): Promise<SignedIn> {
    const email = normalizeEmail(emailInput);
    // Counted before the password is checked, so parallel guesses cannot all pass the limit.
    const spent = await this.spendSignInAttempt(email, meta);
    let user: UserRecord | undefined;
    try {
      user = await this.users.findByEmail(email);
      const ok = await this.hasher.verify(user?.passwordHash, password);
      if (!user || !ok) {
        await this.audit.record({
          action: 'account.signin',
          outcome: 'failure',
          actorUserId: user?.id ?? null,
          target: email,
          ...meta,
          details: { reason: user ? 'wrong_password' : 'unknown_account' },
        });
        throw new AccountsError(AccountsErrorCode.INVALID_CREDENTIALS, 'email or password is wrong');
      }
    } catch (err) {
      // Only a wrong password is a failure; trouble of ours must not lock the account.
      if (!(err instanceof AccountsError)) await refundAll(spent);
      throw err;
    }
    await refundAll(spent);
    if (user.emailVerifiedAt === null) {
      await this.audit.record({
        action: 'account.signin',
        outcome: 'failure',
        actorUserId: user.id,
        target: email,
        ...meta,
        details: { reason: 'email_not_verified' },
      });
      throw new AccountsError(
        AccountsErrorCode.EMAIL_NOT_VERIFIED,
        'confirm your email address first (see the mail we sent)',
      );
    }
    await this.failuresPerAccount.reset(email);
    const token = randomToken();
    const session = await this.sessions.create({
      userId: user.id,
      tokenHash: hashToken(token),
      ip: meta.ip,
      userAgent: meta.userAgent,
      expiresAt: new Date(Date.now() + this.absoluteMs),
    });
    await this.audit.record({
      action: 'account.signin',
      outcome: 'success',
      actorUserId: user.id,
      target: email,
      ...meta,
      details: { sessionId: session.id },
    });
    return { user, session, token };
  }

  /** One point of the client address's and of the account's failure budgets, or 429 (audited). */
  private async spendSignInAttempt(email: string, meta: RequestMeta): Promise<Attempt[]> {
    const spent: Attempt[] = [];
    try {
      if (meta.ip) spent.push(await this.failuresPerIp.attempt(meta.ip));
      spent.push(await this.failuresPerAccount.attempt(email));
      return spent;
    } catch (err) {
      // A refused attempt checks no password, so it is no failure of the address.
      await refundAll(spent);
      if (err instanceof AccountsError && err.code === AccountsErrorCode.TOO_MANY_ATTEMPTS) {
        await this.audit.record({
          action: 'account.signin',
          outcome: 'failure',
          target: email,
          ...meta,
          details: { reason: 'throttled' },
        });
      }
      throw err;
    }
  }

  /** The live session of a cookie value, refreshed for the idle timeout. */
  async resolveSession(token: string): Promise<{ user: UserRecord; session: SessionRecord } | undefined> {
    if (token.length > 128) return undefined;
    const session = await this.sessions.findLive(hashToken(token), this.idleMs);
    if (!session) return undefined;
    const user = await this.users.findById(session.userId);
    if (!user) return undefined;
    // Writing on every request would be a write per page; a minute of slack on the idle timeout is fine.
    if (Date.now() - session.lastSeenAt.getTime() > 60_000) await this.sessions.touch(session.id);
    return { user, session };
  }

  async signOut(userId: string, sessionId: string, meta: RequestMeta): Promise<void> {
    await this.sessions.end(userId, sessionId);
    await this.audit.record({ action: 'account.signout', outcome: 'success', actorUserId: userId, ...meta });
  }

  async listSessions(userId: string, currentSessionId: string | undefined): Promise<SessionView[]> {
    const list = await this.sessions.listLive(userId, this.idleMs);
    return list.map((s) => ({
      id: s.id,
      current: s.id === currentSessionId,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
    }));
  }

  async endSession(userId: string, sessionId: string, meta: RequestMeta): Promise<void> {
    if (!(await this.sessions.end(userId, sessionId))) {
      throw new AccountsError(AccountsErrorCode.SESSION_NOT_FOUND, 'no such session');
    }
    await this.audit.record({
      action: 'account.session_ended',
      outcome: 'success',
      actorUserId: userId,
      target: sessionId,
      ...meta,
    });
  }

  async me(userId: string): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    if (!user) throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'sign in first');
    return publicUser(user);
  }

  /** Ends every other session and revokes the user's OAuth tokens (ASVS 7.4.3). */
  async changePassword(
    userId: string,
    currentSessionId: string | undefined,
    currentPassword: string,
    newPassword: string,
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'sign in first');
    const spent = await this.failuresPerAccount.attempt(user.email);
    let ok: boolean;
    try {
      ok = await this.hasher.verify(user.passwordHash, currentPassword);
    } catch (err) {
      await spent.refund();
      throw err;
    }
    if (ok) await spent.refund();
    else {
      await this.audit.record({
        action: 'account.password_changed',
        outcome: 'failure',
        actorUserId: userId,
        ...meta,
        details: { reason: 'wrong_password' },
      });
      throw new AccountsError(AccountsErrorCode.INVALID_CREDENTIALS, 'current password is wrong');
    }
    checkPasswordPolicy(newPassword);
    await this.users.setPasswordHash(userId, await this.hasher.hash(newPassword));
    const ended = await this.sessions.endAll(userId, currentSessionId ?? null);
    await this.tokens.revokeAllForUser(userId);
    await this.users.invalidateTokens(userId, 'reset_password');
    await this.audit.record({
      action: 'account.password_changed',
      outcome: 'success',
      actorUserId: userId,
      ...meta,
      details: { sessionsEnded: ended },
    });
  }

  async requestPasswordReset(email: string, meta: RequestMeta): Promise<void> {
    if (meta.ip) await this.mailPerIp.consume(meta.ip);
    const user = await this.users.findByEmail(normalizeEmail(email));
    if (!user) return;
    await this.users.invalidateTokens(user.id, 'reset_password');
    const token = randomToken();
    await this.users.createToken(user.id, 'reset_password', hashToken(token), RESET_TTL_S);
    const link = `${this.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
    await this.mail.send({
      to: user.email,
      ...renderMail({
        subject: 'Reset your Lanbridge password',
        greeting: `Hello ${user.firstName},`,
        paragraphs: ['Someone (we hope you) asked to choose a new password for your Lanbridge account.'],
        action: { label: 'Choose a new password', url: link },
        expiresAt: new Date(Date.now() + RESET_TTL_S * 1000),
        timeZone: meta.timeZone,
        footnote: 'If you did not ask for this, ignore this mail: your password stays as it is.',
      }),
    });
    await this.audit.record({
      action: 'account.password_reset_requested',
      outcome: 'success',
      actorUserId: user.id,
      ...meta,
    });
  }

  async completePasswordReset(token: string, newPassword: string, meta: RequestMeta): Promise<void> {
    checkPasswordPolicy(newPassword);
    const userId = await this.users.consumeToken(hashToken(token), 'reset_password');
    if (!userId)
      throw new AccountsError(AccountsErrorCode.TOKEN_INVALID, 'this reset link is invalid, used or expired');
    await this.users.setPasswordHash(userId, await this.hasher.hash(newPassword));
    // Whoever could read the mailbox could reset, so the mailbox is proven too.
    await this.users.markVerified(userId);
    const ended = await this.sessions.endAll(userId, null);
    await this.tokens.revokeAllForUser(userId);
    const user = await this.users.findById(userId);
    if (user) await this.failuresPerAccount.reset(user.email);
    await this.audit.record({
      action: 'account.password_reset',
      outcome: 'success',
      actorUserId: userId,
      ...meta,
      details: { sessionsEnded: ended },
    });
  }

  private async sendVerification(user: UserRecord, timeZone: string | undefined): Promise<void> {
    await this.users.invalidateTokens(user.id, 'verify_email');
    const token = randomToken();
    await this.users.createToken(user.id, 'verify_email', hashToken(token), VERIFY_TTL_S);
    const link = `${this.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
    try {
      await this.mail.send({
        to: user.email,
        ...renderMail({
          subject: 'Confirm your Lanbridge account',
          greeting: `Hello ${user.firstName},`,
          paragraphs: ['Welcome to Lanbridge. Confirm your email address to finish creating your account.'],
          action: { label: 'Confirm my email address', url: link },
          expiresAt: new Date(Date.now() + VERIFY_TTL_S * 1000),
          timeZone,
          footnote: 'If you did not sign up for Lanbridge, ignore this mail: the account stays unconfirmed.',
        }),
      });
    } catch (err) {
      // The account exists; the user can ask for the mail again.
      this.log.error({ err, userId: user.id }, 'verification mail failed');
    }
  }
}

async function refundAll(spent: readonly Attempt[]): Promise<void> {
  await Promise.all(spent.map((a) => a.refund()));
}
