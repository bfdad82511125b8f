/** The catalogue's explanation of an error code, as HTML: meaning, class, and the fix as numbered steps. */
import { formatDescription, tryDescribeHresult } from '@wuwatch/core';
import { html, type SafeHtml } from '../html.js';

/** The remedy text as paragraphs and a numbered list (the catalogue writes steps as `1. …` lines). */
export function remedyHtml(remedy: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let steps: string[] = [];
  const flush = () => {
    if (steps.length) parts.push(html`<ol>${steps.map((s) => html`<li>${s}</li>`)}</ol>`);
    steps = [];
  };
  for (const line of remedy.split('\n')) {
    const m = /^\s*\d+\.\s+(.*)$/.exec(line);
    if (m) steps.push(m[1] ?? '');
    else {
      flush();
      if (line.trim()) parts.push(html`<p>${line}</p>`);
    }
  }
  flush();
  return html`${parts}`;
}

/** One code explained: name, HTTP status, class, meaning, fix, plus the plain text for a ticket; collapsed unless `open`. */
export function explainCode(code: string, context: string, open = true): SafeHtml {
  const d = tryDescribeHresult(code);
  if (!d) return html`<p>${context}: <code>${code}</code> is not a valid HRESULT.</p>`;
  const heading = html`<code>${d.code}</code> ${d.name} <span class="muted">— ${context}</span>`;
  const facts = html`<dl class="facts">
${d.httpStatus !== undefined ? html`<dt>HTTP status</dt><dd>${d.httpStatus}</dd>` : null}
<dt>Class</dt><dd>${d.class}</dd>
<dt>Meaning</dt><dd>${d.description}</dd>
<dt>Fix</dt><dd class="fix">${remedyHtml(d.remedy)}</dd>
</dl>
<details><summary>As plain text (for a ticket)</summary><pre>${formatDescription(d)}</pre></details>`;
  return open
    ? html`<article class="explain panel" data-code="${d.code}"><h3>${heading}</h3>${facts}</article>`
    : html`<details class="explain panel" data-code="${d.code}"><summary><strong>${heading}</strong></summary>${facts}</details>`;
}
