/** Renders a description as text for a person (wuwatch-agent explain, alert messages). */
import { isSuccessHresult } from '../hresult/normalize.js';
import type { HresultClass, HresultDescription } from './types.js';

const CLASS_LABELS: Readonly<Record<HresultClass, string>> = {
  unreachable: 'the update server could not be reached',
  server_error: 'the update server answered with an error',
  client_misconfigured: "this machine's Windows Update settings are wrong",
  local_agent: 'the Windows Update agent or servicing stack on this machine failed',
  other: 'not a connectivity or configuration problem',
  unknown: "not in wuwatch's catalogue",
};

const LABEL_WIDTH = 'HTTP status: '.length;

function field(label: string, value: string): string {
  const pad = ' '.repeat(LABEL_WIDTH);
  // Continuation lines line up under the value so multi-step remedies stay readable in a terminal.
  return value
    .split('\n')
    .map((line, i) => (i === 0 ? `${label}:`.padEnd(LABEL_WIDTH) : pad) + line)
    .join('\n');
}

/** Multi-line text: code, name, HTTP status if any, class, meaning and fix. */
export function formatDescription(d: HresultDescription): string {
  const label = isSuccessHresult(d.code) ? 'success code, not a failure' : CLASS_LABELS[d.class];
  const lines = [field('Code', d.code), field('Name', d.name)];
  if (d.httpStatus !== undefined) lines.push(field('HTTP status', String(d.httpStatus)));
  lines.push(field('Class', `${d.class} (${label})`), field('Meaning', d.description), field('Fix', d.remedy));
  return lines.join('\n');
}
