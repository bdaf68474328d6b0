/**
 * The stack's outgoing mail server: a local SMTP sink (smtp-server) that prints every message it
 * receives, with its links, so a newcomer can follow sign-up verification or visitor invitations
 * without a real mail provider. Listens on 127.0.0.1 only.
 */
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface MailSink {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMailSink(port: number, print: (line: string) => void): Promise<MailSink> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: 10 * 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
          const links = [...new Set((mail.text ?? '').match(/https?:\/\/\S+/g) ?? [])];
          print(`to ${to}: "${mail.subject ?? ''}"`);
          for (const l of links) print(`  ${l}`);
          callback();
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
