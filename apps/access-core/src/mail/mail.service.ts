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
  send(mail: OutgoingMail): Promise<{ messageId: string }> {
    return this.deliver(mail, () => AccessCoreErrorCode.MAIL_SEND_FAILED);
  }

  /**
   * Sends through the configured server and says precisely what went wrong (host unreachable,
   * authentication refused, TLS failed), for the operator setting the server up.
   */
  sendTest(mail: OutgoingMail): Promise<{ messageId: string }> {
    return this.deliver(mail, classifyMailError);
  }

  private async deliver(
    mail: OutgoingMail,
    codeOf: (err: unknown) => AccessCoreErrorCode,
  ): Promise<{ messageId: string }> {
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
      const code = codeOf(err);
      throw new AccessCoreException(code, mailErrorMessage(code, server.host, server.port), undefined, { cause: err });
    } finally {
      transport.close();
    }
  }
}

/** nodemailer's error codes (and the socket's) mapped to what the operator has to fix. */
export function classifyMailError(err: unknown): AccessCoreErrorCode {
  const e = err as { code?: string; message?: string; reason?: string } | undefined;
  const code = e?.code ?? '';
  const text = `${e?.message ?? ''} ${e?.reason ?? ''}`.toLowerCase();
  if (code === 'EAUTH') return AccessCoreErrorCode.MAIL_AUTH_FAILED;
  if (code === 'ETLS' || /ssl|tls|certificate|wrong version number|self.signed|handshake/.test(text)) {
    return AccessCoreErrorCode.MAIL_TLS_FAILED;
  }
  if (['EDNS', 'ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) {
    return AccessCoreErrorCode.MAIL_SERVER_UNREACHABLE;
  }
  if (/econnrefused|enotfound|timed? ?out|ehostunreach|getaddrinfo/.test(text)) {
    return AccessCoreErrorCode.MAIL_SERVER_UNREACHABLE;
  }
  return AccessCoreErrorCode.MAIL_SEND_FAILED;
}

function mailErrorMessage(code: AccessCoreErrorCode, host: string, port: number): string {
  if (code === AccessCoreErrorCode.MAIL_SERVER_UNREACHABLE) {
    return `the mail server ${host}:${port} could not be reached (check the host name and the port)`;
  }
  if (code === AccessCoreErrorCode.MAIL_AUTH_FAILED) {
    return `the mail server ${host}:${port} refused the user name or password`;
  }
  if (code === AccessCoreErrorCode.MAIL_TLS_FAILED) {
    return `the TLS connection to ${host}:${port} failed (465 is TLS from the start; 587 and 25 use STARTTLS: check "secure")`;
  }
  return `the mail server ${host}:${port} did not accept the message`;
}
