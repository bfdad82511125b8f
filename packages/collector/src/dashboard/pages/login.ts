/** The login page: the operator pastes an API token; the server answers with a session cookie. */
import { html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

/** What the login page shows. */
export interface LoginView {
  now: Date;
  /** Where to go after logging in (a local path, already checked). */
  next: string;
  /** Shown above the form after a failed attempt. */
  error?: string | null;
}

/** Renders the login page. */
export function loginPage(v: LoginView): SafeHtml {
  const body = html`<div class="login panel">
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : null}
<form method="post" action="/login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus placeholder="wwt_…">
<input type="hidden" name="next" value="${v.next}">
<button type="submit" class="primary">Log in</button>
</form>
<p class="muted">Create a token with <code>wuwatch token create dashboard</code>, or use the collector's
<code>adminToken</code>. The token is checked once; the browser then keeps only a session cookie.</p>
</div>`;
  return page({ title: 'Log in', body, now: v.now, signedIn: false });
}
