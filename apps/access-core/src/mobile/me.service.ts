import { Injectable } from '@nestjs/common';
import { PasswordHasher } from '@lanbridge/passwords';
import type { ClientInfo, Principal } from '../auth/principal';
import { SiteKeyService } from '../auth/site-key.service';
import { TokenService, type TokenPair } from '../auth/token.service';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { OperatorRepository } from '../domain/operator.repository';
import { PersonRepository } from '../domain/person.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { Clock } from '../system/clock';
import { SITE_NAME_KEY } from '../system/system.service';
import { ACCESS_CORE_VERSION } from '../version';
import { AuditService } from './audit.service';
import { PRIVACY_POLICY, PRIVACY_POLICY_KEY } from './privacy-policy';
import type { MeView } from '@lanbridge/mobile-api';
export type { MeView } from '@lanbridge/mobile-api';

@Injectable()
export class MeService {
  constructor(
    private readonly operators: OperatorRepository,
    private readonly people: PersonRepository,
    private readonly settings: SiteSettingRepository,
    private readonly siteKey: SiteKeyService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async me(who: Principal): Promise<MeView> {
    const site = (await this.settings.get(SITE_NAME_KEY))?.value;
    const organisation = { siteId: this.siteKey.siteId, name: typeof site === 'string' ? site : '' };
    const common = {
      role: who.role,
      organisation,
      privacyPolicyUrl: '/api/v1/privacy-policy',
      version: ACCESS_CORE_VERSION,
    };
    if (who.role === 'admin') {
      const op = await this.operators.findById(who.subjectId);
      if (!op) throw new AccessCoreException(AccessCoreErrorCode.UNAUTHENTICATED, 'the account no longer exists');
      return {
        ...common,
        account: { id: op.id, username: op.username, name: op.name, department: null },
        notificationsEnabled: op.notificationsEnabled,
      };
    }
    const p = await this.people.findById(who.subjectId);
    if (!p) throw new AccessCoreException(AccessCoreErrorCode.UNAUTHENTICATED, 'the account no longer exists');
    const dept = p.departmentId ? await this.people.departments.findOneBy({ id: p.departmentId }) : null;
    return {
      ...common,
      account: {
        id: p.id,
        username: p.pin,
        name: `${p.firstName} ${p.lastName}`.trim(),
        department: dept?.name ?? null,
      },
      notificationsEnabled: p.notificationsEnabled,
    };
  }

  async setNotifications(who: Principal, enabled: boolean, client: ClientInfo): Promise<MeView> {
    if (who.role === 'admin') await this.operators.orm.update({ id: who.subjectId }, { notificationsEnabled: enabled });
    else await this.people.orm.update({ id: who.subjectId }, { notificationsEnabled: enabled });
    await this.audit.record(who, client, 'me.notifications', null, { enabled });
    return this.me(who);
  }

  /**
   * Changes the password (for personnel: the app and the self-service password together),
   * ends every session of the account, and returns a fresh token pair for this device.
   */
  async changePassword(who: Principal, current: string, next: string, client: ClientInfo): Promise<TokenPair> {
    const wrong = new AccessCoreException(AccessCoreErrorCode.INVALID_CREDENTIALS, 'the current password is wrong');
    if (who.role === 'admin') {
      const op = await this.operators.findById(who.subjectId);
      if (!op || !(await this.hasher.verify(op.passwordHash, current))) throw wrong;
      await this.operators.orm.update({ id: op.id }, { passwordHash: await this.hasher.hash(next) });
    } else {
      const p = await this.people.findById(who.subjectId);
      if (!p?.passwordHash || !(await this.hasher.verify(p.passwordHash, current))) throw wrong;
      await this.people.orm.update(
        { id: p.id },
        {
          passwordHash: await this.hasher.hash(next),
          selfServicePasswordHash: await this.hasher.hash(next),
          updatedAt: this.clock.now(),
        },
      );
    }
    await this.tokens.revokeSubject(who.role, who.subjectId);
    await this.audit.record(who, client, 'me.password', null);
    return this.tokens.issue({ role: who.role, subjectId: who.subjectId, name: who.name }, client);
  }

  /** The site's own text when an administrator set one (Settings → Privacy policy), else the default. */
  async privacyPolicy(): Promise<{ text: string; version: string }> {
    const row = await this.settings.get(PRIVACY_POLICY_KEY);
    const v = row?.value;
    if (row && v && typeof v === 'object' && !Array.isArray(v) && typeof v.text === 'string') {
      return { text: v.text, version: row.updatedAt.toISOString().slice(0, 10) };
    }
    return PRIVACY_POLICY;
  }
}
