/** E-mail through SMTP with nodemailer: subject = rendered title, plain-text body = rendered text. */
import { bodyText, headerText } from '../../escaping/email.js';
import nodemailer from 'nodemailer';
import { renderMessage } from '../message.js';
import type { Notification } from '../types.js';
import { deliveryError, type Channel, type DeliveryFailure, type EmailChannelConfig } from './channel.js';

const SMTP_REASONS: Readonly<Record<string, string>> = {
  ECONNECTION: 'could not connect to the SMTP server',
  ETIMEDOUT: 'the SMTP server did not answer in time',
  EDNS: 'the SMTP host name does not resolve',
  ESOCKET: 'the SMTP connection failed',
  ETLS: 'TLS with the SMTP server failed',
  EAUTH: 'the SMTP server refused the login',
  EENVELOPE: 'the SMTP server refused the sender or a recipient',
  EMESSAGE: 'the SMTP server refused the message',
};

const SYSTEM_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'could not connect to the SMTP server: connection refused',
  ENOTFOUND: 'the SMTP host name does not resolve',
  EAI_AGAIN: 'the SMTP host name could not be resolved right now',
  ECONNRESET: 'the SMTP server reset the connection',
  EHOSTUNREACH: 'no route to the SMTP server',
  ENETUNREACH: 'the network is unreachable',
};

/** Turns a nodemailer rejection into a failure; permanent for refused logins and 5xx answers. */
export function smtpFailure(err: unknown, target: string): DeliveryFailure {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const message = typeof e.message === 'string' ? e.message : String(err);
  // nodemailer files connection failures under ESOCKET; the system error in the message says more.
  const sys = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/.exec(message)?.[1];
  const what =
    (sys !== undefined ? SYSTEM_REASONS[sys] : undefined) ?? (code !== undefined ? SMTP_REASONS[code] : undefined);
  const permanent = code === 'EAUTH' || (responseCode !== undefined && responseCode >= 500);
  return {
    reason: `${target}: ${what ? `${what} (${message})` : message}`,
    retryable: !permanent,
    ...(code !== undefined ? { code } : {}),
    ...(responseCode !== undefined ? { status: responseCode } : {}),
  };
}

/** An e-mail channel from validated config. */
export function createEmailChannel(cfg: EmailChannelConfig): Channel {
  const s = cfg.smtp;
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    ignoreTLS: s.ignoreTLS,
    requireTLS: s.requireTLS,
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
    ...(s.user !== undefined && s.pass !== undefined ? { auth: { user: s.user, pass: s.pass.reveal() } } : {}),
  });
  const channel: Channel = {
    name: cfg.name ?? 'email',
    type: 'email',
    target: `${s.secure ? 'smtps' : 'smtp'}://${s.host}:${s.port}`,
    async send(n: Notification): Promise<void> {
      const msg = renderMessage(n);
      try {
        await transport.sendMail({
          from: cfg.from,
          to: cfg.to,
          subject: headerText(`${cfg.subjectPrefix} ${msg.title}`.trim()),
          text: bodyText(msg.text),
          // A Message-ID derived from the notification id lets mail systems drop retried duplicates.
          messageId: `<${n.id}@wuwatch>`,
          headers: { 'X-Wuwatch-Delivery': n.id },
        });
      } catch (err) {
        throw deliveryError(channel, smtpFailure(err, channel.target), err);
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
  return channel;
}
