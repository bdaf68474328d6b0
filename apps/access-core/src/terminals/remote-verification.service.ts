import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@lanbridge/logging';
import { ROOT_LOGGER } from '../config/config.tokens';

export interface VerifyContext {
  readonly deviceSn: string;
  readonly deviceId: string;
  /** Door the code was presented at (eventaddr), 1–4. */
  readonly doorNo: number;
}

export type VerifyOutcome =
  | { readonly ok: true; /** The person to log the opening for. */ readonly pin?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Judges a code a terminal cannot judge itself (dynamic personnel QR, single-use invitation
 * QR). `verifyCode` answers ok:false for codes it does not recognise (not its kind): the next
 * verifier is asked.
 */
export interface CodeVerifier {
  /** Short name for logs, e.g. `personnel-qr`. */
  readonly name: string;
  verifyCode(code: string, ctx: VerifyContext): Promise<VerifyOutcome>;
}

/** Remote verification (docs/push-protocol.md §2.9): asks each registered verifier in turn; the first ok wins. */
@Injectable()
export class RemoteVerificationService {
  private readonly log: Logger;
  private readonly verifiers: CodeVerifier[] = [];

  constructor(@Inject(ROOT_LOGGER) root: Logger) {
    this.log = root.child({ component: 'remote-verification' });
  }

  register(verifier: CodeVerifier): void {
    this.verifiers.push(verifier);
  }

  async verify(code: string, ctx: VerifyContext): Promise<VerifyOutcome> {
    if (code === '' || code === '0') return { ok: false, reason: 'no code presented' };
    const reasons: string[] = [];
    for (const v of this.verifiers) {
      try {
        const outcome = await v.verifyCode(code, ctx);
        if (outcome.ok) {
          this.log.info({ sn: ctx.deviceSn, door: ctx.doorNo, verifier: v.name, pin: outcome.pin }, 'code accepted');
          return outcome;
        }
        reasons.push(`${v.name}: ${outcome.reason}`);
      } catch (err) {
        this.log.error({ err, sn: ctx.deviceSn, verifier: v.name }, 'code verifier failed');
        reasons.push(`${v.name}: error`);
      }
    }
    const reason = reasons.length > 0 ? reasons.join('; ') : 'no code verifier is registered';
    this.log.info({ sn: ctx.deviceSn, door: ctx.doorNo, reason }, 'code refused');
    return { ok: false, reason };
  }
}
