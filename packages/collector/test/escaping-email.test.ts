// Issue 14, finding 4: control codes in a hostname reached e-mail subjects. A real SMTP server receives the mail
// about a machine with a hostile hostname: one Subject line, no injected header, control codes shown as text.
import test from 'ava';
import { createChannel } from '../src/alerts/channels/index.js';
import { headerText, SUBJECT_MAX } from '../src/escaping/email.js';
import { startSmtpSink } from './helpers/alerts.js';
import { hostileNotification } from './helpers/hostile.js';

test('headerText keeps a header on one line and clips it', (t) => {
  t.is(headerText('a\r\nBcc: x@y'), 'a\\u000d\\u000aBcc: x@y');
  t.is(headerText('x'.repeat(500)).length, SUBJECT_MAX);
});

test('e-mail: a hostile hostname cannot add a header or send control codes', async (t) => {
  const { port, mails, close } = await startSmtpSink();
  t.teardown(close);
  const channel = createChannel({
    type: 'email',
    smtp: { host: '127.0.0.1', port, secure: false, ignoreTLS: true },
    from: 'wuwatch@corp.example',
    to: ['ops@corp.example'],
  });
  t.teardown(() => channel.close());
  await channel.send(hostileNotification());
  t.is(mails.length, 1);
  const { headers, body } = mails[0]!;
  t.deepEqual(mails[0]!.to, ['ops@corp.example'], 'no injected recipient');
  t.false(/^Bcc:/im.test(headers), 'no injected header');
  // Decode RFC 2047 encoded-words to see the subject as a mail client shows it.
  const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(headers)![1]!;
  const decoded = subject.replace(/=\?UTF-8\?Q\?([^?]*)\?=\s*/gi, (_m, q: string) =>
    Buffer.from(
      q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8'),
  );
  // eslint-disable-next-line no-control-regex -- looking for control codes is the point
  t.false(/[\u0000-\u001f\u007f\u202e]/.test(decoded.replace(/\r?\n[ \t]/g, '')), `subject: ${decoded}`);
  t.regex(decoded, /\\u001b\]0;pwned/);
  t.false(body.includes('\u001b'), 'no ESC in the body');
});
