import path from 'node:path';
import { NOTIFIED_EVENTS } from '../../../core/events/catalog';
import { formatEmail } from '../../../core/notifications/format-email';
import { LOCAL_BUCKET, type RunContext, type StageReport } from '../run-context';

/**
 * Stage 8: every email the notifications Lambda would send for the run's events, written to
 * `outbox/NN-<subject>.eml` (RFC 5322, UTF-8 text) so they can be opened in any mail program.
 * Links to `s3://…` point at the run's folder instead.
 */
export async function notifyStage(context: RunContext): Promise<StageReport> {
  const notified = new Set<string>(NOTIFIED_EVENTS.map((e) => e.detailType));
  const emails = context.events
    .filter((event) => notified.has(event.detailType))
    .map((event) => ({ event, email: formatEmail({ ...event, region: 'local' }) }));
  let index = 0;
  const subjects: string[] = [];
  for (const { event, email } of emails) {
    index++;
    const local = (text: string) => text.replaceAll(`s3://${LOCAL_BUCKET}/`, `${path.resolve(context.dir)}/`);
    const slug = email.subject
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60);
    const message = [
      'From: cdp-audiences <notifications@localhost>',
      'To: you@localhost',
      `Subject: ${email.subject}`,
      `Date: ${new Date(event.time).toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      `X-Cdp-Event: ${event.detailType}`,
      '',
      local(email.body),
      '',
    ].join('\r\n');
    await context.zones.put(`outbox/${String(index).padStart(2, '0')}-${slug}.eml`, message);
    subjects.push(email.subject);
  }
  context.facts.set('outbox', subjects);
  return { summary: `${emails.length} email(s) in outbox/`, counts: { emails: emails.length } };
}
