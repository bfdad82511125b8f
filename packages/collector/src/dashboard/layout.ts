/** The page shell every dashboard page shares: head, navigation, logout, footer. */
import { formatTime } from './format.js';
import { html, type SafeHtml } from './html.js';

/** Which navigation entry is highlighted. */
export type NavEntry = 'fleet' | 'machines' | 'wsus' | null;

/** What a page needs from the shell. */
export interface PageShell {
  title: string;
  body: SafeHtml;
  now: Date;
  active?: NavEntry;
  /** Show the navigation and the logout button (false on the login page). */
  signedIn?: boolean;
  /** Reload the page every N seconds (a meta refresh: the dashboard runs no JavaScript). */
  refreshSeconds?: number;
}

const NAV: { id: Exclude<NavEntry, null>; path: string; label: string }[] = [
  { id: 'fleet', path: '/', label: 'Fleet' },
  { id: 'machines', path: '/machines', label: 'Machines' },
  { id: 'wsus', path: '/wsus', label: 'WSUS servers' },
];

/** A complete HTML document. */
export function page(p: PageShell): SafeHtml {
  const nav = p.signedIn
    ? html`<nav>${NAV.map(
        (e) =>
          html`<a href="${e.path}"${p.active === e.id ? html` class="active" aria-current="page"` : null}>${e.label}</a>`,
      )}</nav><form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form>`
    : null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${p.refreshSeconds ? html`<meta http-equiv="refresh" content="${p.refreshSeconds}">` : null}
<title>${p.title} · wuwatch</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header><a class="brand" href="/">wuwatch</a>${nav}</header>
<main>
<h1>${p.title}</h1>
${p.body}
</main>
<footer>Rendered ${formatTime(p.now)} by the wuwatch collector.</footer>
</body>
</html>
`;
}
