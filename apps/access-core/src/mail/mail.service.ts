import { Inject, Injectable } from '@nestjs/common';
import nodemailer from 'nodemailer';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';
import { AccessCoreErrorCode, AccessCoreException } from '../http/access-core.exception';
import { SettingsService } from '../settings/settings.service';

export const MAIL_NOT_CONFIGURED_MESSAGE =
  'No outgoing mail server is configured on this site; ask the administrator to set one up under Settings → Mail server.';

export interface MailAttachment {
  readonly filename: string;
  readonly content: Buffer;
  readonly contentType: string;
  /** Set to reference the attachment from the HTML body as `cid:<cid>`. */
  readonly cid?: string;
}

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly attachments?: readonly MailAttachment[];
}

// An on-prem mail server that does not answer should fail the request, not hang it.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as const;

/** Sends mail through the SMTP server configured under Settings → Mail server. */
@Injectable()
export class MailService {
  private readonly logger: Logger;

  constructor(
    private readonly settings: SettingsService,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'mail' });
  }

  async isConfigured(): Promise<boolean> {
    return (await this.settings.mailServer()) !== undefined;
  }

  /** Throws MAIL_NOT_CONFIGURED (409) without a server, MAIL_SEND_FAILED (502) when it refuses. */
  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const server = await this.settings.mailServer();
    if (!server) throw new AccessCoreException(AccessCoreErrorCode.MAIL_NOT_CONFIGURED, MAIL_NOT_CONFIGURED_MESSAGE);
    const transport = nodemailer.createTransport({
      host: server.host,
      port: server.port,
      secure: server.secure,
      auth: server.user ? { user: server.user, pass: server.password ?? '' } : undefined,
      ...TIMEOUTS,
    });
    try {
      const info = await transport.sendMail({
        from: server.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        attachments: mail.attachments?.map((a) => ({ ...a })),
      });
      this.logger.info({ host: server.host, port: server.port, messageId: info.messageId }, 'mail sent');
      return { messageId: info.messageId };
    } catch (err) {
      this.logger.warn({ host: server.host, port: server.port, err }, 'mail server refused the message');
      throw new AccessCoreException(
        AccessCoreErrorCode.MAIL_SEND_FAILED,
        `the mail server ${server.host}:${server.port} did not accept the message`,
        undefined,
        { cause: err },
      );
    } finally {
      transport.close();
    }
  }
}
