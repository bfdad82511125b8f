/** The error page: what went wrong, in the operator's words, and a way back. */
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Not authorised',
  404: 'Not found',
  503: 'Database unavailable',
};

/** Renders an error page for an HTTP status and a message. */
export function errorPage(status: number, message: string, now: Date, signedIn: boolean): SafeHtml {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Error');
  const body = html`<p class="error" role="alert">${message}</p><p><a href="/">Back to the fleet</a></p>`;
  return page({ title, body, now, signedIn });
}
