import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { createTransport, type Transporter } from 'nodemailer';
import { BROKER_CONFIG, BROKER_LOGGER, type BrokerConfig } from '../config/broker.config';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Account mail through nodemailer to SMTP_URL; without SMTP_URL mail is logged (no body) and dropped. */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly transport: Transporter | undefined;
  private readonly from: string;
  private readonly log: Logger;

  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig, @Inject(BROKER_LOGGER) logger: Logger) {
    this.log = logger.child({ component: 'mail' });
    this.from = config.accounts.mailFrom;
    this.transport = config.accounts.smtpUrl ? createTransport(config.accounts.smtpUrl) : undefined;
  }

  async send(m: MailMessage): Promise<void> {
    if (!this.transport) {
      // The body holds single-use links, so it is not logged.
      this.log.warn({ subject: m.subject }, 'SMTP_URL not set: mail dropped');
      return;
    }
    await this.transport.sendMail({ from: this.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    this.log.info({ subject: m.subject }, 'mail sent');
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
