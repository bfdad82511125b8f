/** Rendering a diagnosis for a terminal and as JSON. */
import type { Diagnosis, Evidence } from './types.js';

const LABELS = { healthy: 'HEALTHY', problem: 'PROBLEM', unknown: 'UNKNOWN' } as const;

/** Text for a person: verdict and headline, the explanation, then every finding with its evidence. */
export function formatDiagnosis(d: Diagnosis): string {
  const lines = [`${LABELS[d.verdict]}: ${d.headline}`, '', d.text, '', 'Findings:'];
  const width = Math.max(...d.findings.map((f) => f.code.length), 4);
  for (const f of d.findings) {
    lines.push(`  ${f.severity === 'problem' ? '!' : '-'} ${f.code.padEnd(width)}  ${f.message}`);
    const facts = formatEvidence(f.evidence);
    if (facts !== '') lines.push(`    ${' '.repeat(width)}  evidence: ${facts}`);
  }
  return lines.join('\n') + '\n';
}

/** The JSON output of `diagnose --json`: the diagnosis itself, pretty-printed, one trailing newline. */
export function formatDiagnosisJson(d: Diagnosis): string {
  return JSON.stringify(d, null, 2) + '\n';
}

function formatEvidence(e: Evidence): string {
  return Object.entries(e)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
