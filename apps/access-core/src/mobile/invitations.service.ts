import { Injectable, type OnModuleInit } from '@nestjs/common';
import QRCode from 'qrcode';
import type { Logger } from '@lanbridge/logging';
import { Inject } from '@nestjs/common';
import type { ClientInfo, Principal } from '../auth/principal';
import { ROOT_LOGGER } from '../config/config.tokens';
import { SiteSettingRepository } from '../database/site-setting.repository';
import { PersonRepository } from '../domain/person.repository';
import { VisitEntity, VisitorEntity, type InvitationEntity } from '../domain/visitor.entity';
import { InvitationRepository } from '../domain/visitor.repository';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { MAIL_NOT_CONFIGURED_MESSAGE, MailService } from '../mail/mail.service';
import { Clock } from '../system/clock';
import { SITE_NAME_KEY } from '../system/system.service';
import {
  RemoteVerificationService,
  type CodeVerifier,
  type VerifyContext,
  type VerifyOutcome,
} from '../terminals/remote-verification.service';
import { AuditService } from './audit.service';
import type { CreateInvitationDto, ReinviteDto } from './dto/invitations.dto';
import { pageWindow, sortOrder, type Page, type PageQueryDto } from './pagination';
import { hashInvitationToken, newInvitationToken, parseInvitationCode } from './qr-codes';
import { personName } from './visits.service';
import type { InvitationView, InvitationCreated } from '@lanbridge/mobile-api';
export type { InvitationView, InvitationCreated } from '@lanbridge/mobile-api';

/** An invitation QR is accepted this long before the visit starts (arriving early). */
const EARLY_ARRIVAL_MS = 60 * 60 * 1000;

/**
 * An invitation as the person sees it at `now`: one still pending after its end is `expired`
 * (the stored row keeps `pending`; the QR is refused past the end either way).
 */
function view(i: InvitationEntity, now: Date): InvitationView {
  return {
    id: i.id,
    firstName: i.firstName,
    lastName: i.lastName,
    email: i.email,
    mobile: i.mobile,
    startAt: i.startAt.toISOString(),
    endAt: i.endAt.toISOString(),
    reason: i.reason,
    visitorCount: i.visitorCount,
    remarks: i.remarks,
    status: i.status === 'pending' && now.getTime() >= i.endAt.getTime() ? 'expired' : i.status,
    usedAt: i.usedAt?.toISOString() ?? null,
    createdAt: i.createdAt.toISOString(),
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

@Injectable()
export class InvitationsService implements OnModuleInit, CodeVerifier {
  readonly name = 'invitation-qr';
  private readonly logger: Logger;

  constructor(
    private readonly invitations: InvitationRepository,
    private readonly people: PersonRepository,
    private readonly settings: SiteSettingRepository,
    private readonly mail: MailService,
    private readonly verification: RemoteVerificationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'invitations' });
  }

  onModuleInit(): void {
    this.verification.register(this);
  }

  async list(personId: string, q: PageQueryDto): Promise<Page<InvitationView>> {
    const { page, pageSize, skip, take } = pageWindow(q);
    const [rows, total] = await this.invitations.orm.findAndCount({
      where: { personId },
      order: { createdAt: sortOrder(q), id: 'ASC' },
      skip,
      take,
    });
    const now = this.clock.now();
    return { items: rows.map((i) => view(i, now)), page, pageSize, total };
  }

  async get(personId: string, id: string): Promise<InvitationView> {
    return view(await this.requireOwn(personId, id), this.clock.now());
  }

  async create(dto: CreateInvitationDto, who: Principal, client: ClientInfo): Promise<InvitationCreated> {
    const startAt = new Date(dto.startAt);
    const endAt = new Date(dto.endAt);
    this.checkWindow(startAt, endAt);
    return this.issue(
      {
        firstName: dto.firstName,
        lastName: dto.lastName ?? null,
        email: dto.email,
        mobile: dto.mobile ?? null,
        reason: dto.reason ?? null,
        visitorCount: dto.visitorCount ?? 1,
        remarks: dto.remarks ?? null,
        startAt,
        endAt,
      },
      who,
      client,
      'invitation.create',
    );
  }

  async reinvite(id: string, dto: ReinviteDto, who: Principal, client: ClientInfo): Promise<InvitationCreated> {
    const old = await this.requireOwn(who.subjectId, id);
    const startAt = dto.startAt ? new Date(dto.startAt) : old.startAt;
    const endAt = dto.endAt ? new Date(dto.endAt) : old.endAt;
    this.checkWindow(startAt, endAt);
    return this.issue(
      {
        firstName: old.firstName,
        lastName: old.lastName,
        email: old.email,
        mobile: old.mobile,
        reason: old.reason,
        visitorCount: old.visitorCount,
        remarks: old.remarks,
        startAt,
        endAt,
      },
      who,
      client,
      'invitation.reinvite',
      id,
    );
  }

  async verifyCode(code: string, ctx: VerifyContext): Promise<VerifyOutcome> {
    const token = parseInvitationCode(code);
    if (!token) return { ok: false, reason: 'not an invitation QR' };
    const inv = await this.invitations.findByTokenHash(hashInvitationToken(token));
    if (!inv) return { ok: false, reason: 'unknown invitation' };
    const now = this.clock.now();
    if (inv.status !== 'pending') return { ok: false, reason: `invitation ${inv.status}` };
    if (now.getTime() < inv.startAt.getTime() - EARLY_ARRIVAL_MS)
      return { ok: false, reason: 'invitation not yet valid' };
    if (now >= inv.endAt) return { ok: false, reason: 'invitation expired' };
    if (!(await this.invitations.markUsed(inv.id, now))) return { ok: false, reason: 'invitation already used' };
    await this.invitations.orm.manager.transaction(async (tx) => {
      const visitor = await tx.save(
        tx.create(VisitorEntity, {
          name: `${inv.firstName} ${inv.lastName ?? ''}`.trim(),
          contact: inv.mobile ?? inv.email,
        }),
      );
      await tx.save(
        tx.create(VisitEntity, {
          visitorId: visitor.id,
          hostPersonId: inv.personId,
          reason: inv.reason,
          startAt: inv.startAt,
          endAt: inv.endAt,
          status: 'checked_in',
          checkedInAt: now,
          invitationId: inv.id,
          createdBy: 'invitation',
        }),
      );
    });
    this.logger.info({ invitationId: inv.id, sn: ctx.deviceSn, door: ctx.doorNo }, 'invitation used');
    return { ok: true };
  }

  private async issue(
    fields: Omit<InvitationEntity, 'id' | 'personId' | 'qrTokenHash' | 'usedAt' | 'status' | 'createdAt'>,
    who: Principal,
    client: ClientInfo,
    action: string,
    reinvitedFrom?: string,
  ): Promise<InvitationCreated> {
    // Checked first so that nothing is created when mail cannot go out.
    if (!(await this.mail.isConfigured())) {
      throw new AccessCoreException(AccessCoreErrorCode.MAIL_NOT_CONFIGURED, MAIL_NOT_CONFIGURED_MESSAGE);
    }
    const host = await this.people.findById(who.subjectId);
    if (!host) throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, 'no such person');
    const { code, hash } = newInvitationToken();
    const inv = await this.invitations.orm.save(
      this.invitations.orm.create({ ...fields, personId: host.id, qrTokenHash: hash, status: 'pending' }),
    );
    const png = await QRCode.toBuffer(code, { errorCorrectionLevel: 'M', margin: 2, width: 320 });
    let messageId: string;
    try {
      messageId = (await this.mail.send(await this.message(inv, personName(host), code, png))).messageId;
    } catch (err) {
      await this.invitations.orm.update({ id: inv.id }, { status: 'cancelled' });
      throw err;
    }
    await this.audit.record(who, client, action, `invitation:${inv.id}`, {
      to: inv.email,
      reinvitedFrom: reinvitedFrom ?? null,
    });
    return {
      invitation: view(inv, this.clock.now()),
      qr: { code, png: `data:image/png;base64,${png.toString('base64')}` },
      mail: { to: inv.email, messageId },
    };
  }

  private async message(inv: InvitationEntity, hostName: string, code: string, png: Buffer) {
    const site = (await this.settings.get(SITE_NAME_KEY))?.value;
    const siteName = typeof site === 'string' ? site : 'our site';
    const when = `${inv.startAt.toISOString()} – ${inv.endAt.toISOString()}`;
    const lines = [
      `Hello ${inv.firstName},`,
      '',
      `${hostName} invites you to ${siteName}.`,
      `When: ${when}`,
      inv.reason ? `Reason: ${inv.reason}` : undefined,
      `Visitors: ${inv.visitorCount}`,
      inv.remarks ? `Remarks: ${inv.remarks}` : undefined,
      '',
      'Show the attached QR code at the entrance. It opens once.',
      `Code: ${code}`,
    ].filter((l): l is string => l !== undefined);
    const html =
      lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('') +
      '<p><img src="cid:invitation-qr" alt="invitation QR code"></p>';
    return {
      to: inv.email,
      subject: `Invitation to ${siteName}`,
      text: lines.join('\n'),
      html,
      attachments: [{ filename: 'invitation-qr.png', content: png, contentType: 'image/png', cid: 'invitation-qr' }],
    };
  }

  private checkWindow(startAt: Date, endAt: Date): void {
    if (endAt <= startAt) {
      throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, 'endAt must be after startAt', [
        { field: 'endAt', problems: ['must be after startAt'] },
      ]);
    }
    if (endAt <= this.clock.now()) {
      throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, 'endAt must be in the future', [
        { field: 'endAt', problems: ['must be in the future'] },
      ]);
    }
  }

  private async requireOwn(personId: string, id: string): Promise<InvitationEntity> {
    const inv = await this.invitations.findById(id);
    if (!inv || inv.personId !== personId)
      throw new AccessCoreException(AccessCoreErrorCode.NOT_FOUND, `no invitation ${id}`);
    return inv;
  }
}
