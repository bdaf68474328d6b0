import { Inject, Injectable } from '@nestjs/common';
import { AccountsError, AccountsErrorCode } from '../accounts/accounts-error';
import { normalizeEmail } from '../accounts/accounts.service';
import { hashToken, randomToken } from '../accounts/secrets';
import type { Sql } from '../accounts/sql';
import { UserRepository } from '../accounts/user.repository';
import { AuditService, type RequestMeta } from '../audit/audit.service';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { renderMail } from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import {
  type Company,
  CompanyRepository,
  type Invitation,
  type Member,
  type Membership,
  type Role,
} from './company.repository';

const INVITATION_TTL_S = 7 * 24 * 3600;

export interface CompanyView extends Company {
  readonly role: Role;
}

function slugBase(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return base || 'org';
}

function cleanName(name: string): string {
  const n = name.trim().replace(/\s+/g, ' ');
  if (n.length < 1 || n.length > 100)
    throw new AccountsError(AccountsErrorCode.INVALID_INPUT, 'company name must have 1-100 characters');
  return n;
}

/**
 * Companies (organisations), members and invitations. The organisation always comes from the
 * caller's membership: an organisation the caller does not belong to is "not found".
 */
@Injectable()
export class CompaniesService {
  private readonly publicUrl: string;

  constructor(
    private readonly repo: CompanyRepository,
    private readonly users: UserRepository,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    @Inject(BROKER_CONFIG) config: BrokerConfig,
  ) {
    this.publicUrl = config.publicUrl;
  }

  async listMine(userId: string): Promise<CompanyView[]> {
    return (await this.repo.listForUser(userId)).map((m) => ({ ...m.company, role: m.role }));
  }

  async create(userId: string, name: string, meta: RequestMeta, sql?: Sql): Promise<CompanyView> {
    const clean = cleanName(name);
    const company = await this.repo.create(sql ?? this.repo.sql, clean, slugBase(clean), userId);
    await this.audit.record({
      action: 'company.created',
      outcome: 'success',
      orgId: company.id,
      actorUserId: userId,
      target: company.id,
      ...meta,
      details: { name: clean },
    });
    return { ...company, role: 'owner' };
  }

  /** The caller's membership, or 404 COMPANY_NOT_FOUND; 403 FORBIDDEN_ROLE when `roles` excludes theirs. */
  async requireMember(userId: string, orgId: string, roles?: readonly Role[], sql?: Sql): Promise<Membership> {
    const m = await this.repo.membership(sql ?? this.repo.sql, userId, orgId);
    if (!m) throw new AccountsError(AccountsErrorCode.COMPANY_NOT_FOUND, 'no such company');
    if (roles && !roles.includes(m.role)) {
      throw new AccountsError(AccountsErrorCode.FORBIDDEN_ROLE, `this needs the role ${roles.join(' or ')}`);
    }
    return m;
  }

  async get(userId: string, orgId: string): Promise<CompanyView> {
    const m = await this.requireMember(userId, orgId);
    return { ...m.company, role: m.role };
  }

  async rename(userId: string, orgId: string, name: string, meta: RequestMeta): Promise<CompanyView> {
    const m = await this.requireMember(userId, orgId, ['owner', 'admin']);
    const clean = cleanName(name);
    await this.repo.rename(orgId, clean);
    await this.audit.record({
      action: 'company.renamed',
      outcome: 'success',
      orgId,
      actorUserId: userId,
      target: orgId,
      ...meta,
      details: { from: m.company.name, to: clean },
    });
    return { ...m.company, name: clean, role: m.role };
  }

  async members(userId: string, orgId: string): Promise<Member[]> {
    await this.requireMember(userId, orgId);
    return this.repo.members(orgId);
  }

  async setRole(userId: string, orgId: string, memberId: string, role: Role, meta: RequestMeta): Promise<void> {
    await this.repo.sql.tx(async (tx) => {
      const me = await this.requireMember(userId, orgId, ['owner', 'admin'], tx);
      const target = await this.repo.membership(tx, memberId, orgId);
      if (!target) throw new AccountsError(AccountsErrorCode.MEMBER_NOT_FOUND, 'no such member');
      if ((target.role === 'owner' || role === 'owner') && me.role !== 'owner') {
        throw new AccountsError(AccountsErrorCode.FORBIDDEN_ROLE, 'only an owner can grant or change the owner role');
      }
      if (target.role === 'owner' && role !== 'owner' && (await this.repo.countOwners(tx, orgId)) <= 1) {
        throw new AccountsError(AccountsErrorCode.LAST_OWNER, 'a company keeps at least one owner');
      }
      await this.repo.setRole(tx, orgId, memberId, role);
    });
    await this.audit.record({
      action: 'member.role_changed',
      outcome: 'success',
      orgId,
      actorUserId: userId,
      target: memberId,
      ...meta,
      details: { role },
    });
  }

  async removeMember(userId: string, orgId: string, memberId: string, meta: RequestMeta): Promise<void> {
    await this.repo.sql.tx(async (tx) => {
      const me = await this.requireMember(userId, orgId, memberId === userId ? undefined : ['owner', 'admin'], tx);
      const target = await this.repo.membership(tx, memberId, orgId);
      if (!target) throw new AccountsError(AccountsErrorCode.MEMBER_NOT_FOUND, 'no such member');
      if (target.role === 'owner' && me.role !== 'owner')
        throw new AccountsError(AccountsErrorCode.FORBIDDEN_ROLE, 'only an owner can remove an owner');
      if (target.role === 'owner' && (await this.repo.countOwners(tx, orgId)) <= 1) {
        throw new AccountsError(AccountsErrorCode.LAST_OWNER, 'a company keeps at least one owner');
      }
      await this.repo.removeMember(tx, orgId, memberId);
    });
    await this.audit.record({
      action: 'member.removed',
      outcome: 'success',
      orgId,
      actorUserId: userId,
      target: memberId,
      ...meta,
    });
  }

  async invite(userId: string, orgId: string, emailInput: string, role: Role, meta: RequestMeta): Promise<Invitation> {
    const me = await this.requireMember(userId, orgId, ['owner', 'admin']);
    if (role === 'owner' && me.role !== 'owner')
      throw new AccountsError(AccountsErrorCode.FORBIDDEN_ROLE, 'only an owner can invite an owner');
    const email = normalizeEmail(emailInput);
    const token = randomToken();
    const inv = await this.repo.createInvitation({
      orgId,
      email,
      role,
      tokenHash: hashToken(token),
      invitedBy: userId,
      ttlS: INVITATION_TTL_S,
    });
    const link = `${this.publicUrl}/invitations/accept?token=${encodeURIComponent(token)}`;
    await this.mail.send({
      to: email,
      ...renderMail({
        subject: `You are invited to ${me.company.name} on Lanbridge`,
        paragraphs: [
          `You were invited to join ${me.company.name} on Lanbridge as ${role}.`,
          'Accept the invitation with this email address. If you have no Lanbridge account yet, the link lets you sign up first.',
        ],
        action: { label: `Join ${me.company.name}`, url: link },
        expiresAt: new Date(inv.expiresAt),
        // The inviter's zone: the invitee has not visited yet.
        timeZone: meta.timeZone,
        footnote: 'If you did not expect this invitation, ignore this mail.',
      }),
    });
    await this.audit.record({
      action: 'member.invited',
      outcome: 'success',
      orgId,
      actorUserId: userId,
      target: email,
      ...meta,
      details: { role },
    });
    return inv;
  }

  async invitations(userId: string, orgId: string): Promise<Invitation[]> {
    await this.requireMember(userId, orgId, ['owner', 'admin']);
    return this.repo.pendingInvitations(orgId);
  }

  async acceptInvitation(userId: string, token: string, meta: RequestMeta): Promise<{ orgId: string; role: Role }> {
    const user = await this.users.findById(userId);
    if (!user) throw new AccountsError(AccountsErrorCode.UNAUTHENTICATED, 'sign in first');
    const out = await this.repo.sql.tx(async (tx) => {
      const inv = await this.repo.lockInvitation(tx, hashToken(token));
      if (!inv)
        throw new AccountsError(AccountsErrorCode.INVITATION_NOT_FOUND, 'this invitation is invalid, used or expired');
      if (inv.email !== user.email) {
        throw new AccountsError(
          AccountsErrorCode.INVITATION_EMAIL_MISMATCH,
          'this invitation was sent to another email address',
        );
      }
      await this.repo.addMember(tx, inv.orgId, userId, inv.role);
      await this.repo.markAccepted(tx, inv.id, userId);
      return { orgId: inv.orgId, role: inv.role };
    });
    await this.audit.record({
      action: 'member.joined',
      outcome: 'success',
      orgId: out.orgId,
      actorUserId: userId,
      target: userId,
      ...meta,
      details: { role: out.role },
    });
    return out;
  }
}
