/** The `--dry-run` view of a plan: every step exactly as it would run, secrets redacted. */
import { displayCommand } from '../platform/runner.js';
import type { Plan, PlanStep } from './types.js';

const INDENT = '       ';

/** Numbered steps: the operation and its target on one line, the reason below, file contents indented with `| `. */
export function formatPlan(plan: Plan, title?: string): string {
  const width = String(plan.length).length;
  const lines: string[] = [];
  if (title !== undefined) lines.push(`${title} (${plan.length} step${plan.length === 1 ? '' : 's'}):`);
  plan.forEach((step, i) => {
    lines.push(`${String(i + 1).padStart(width)}. ${headline(step)}`, `${INDENT}${step.description}`);
    if (step.kind === 'write') {
      const body = (step.display ?? step.content).replace(/\r\n/g, '\n').replace(/\n$/, '');
      for (const line of body.split('\n')) lines.push(`${INDENT}| ${line}`);
    }
  });
  return lines.join('\n') + '\n';
}

function headline(step: PlanStep): string {
  switch (step.kind) {
    case 'mkdir':
      return `mkdir ${step.path}`;
    case 'write':
      return `write ${step.path}`;
    case 'copy':
      return `copy  ${step.from} -> ${step.path}${step.optional ? ' (if present)' : ''}`;
    case 'exec': {
      const [file = '', ...args] = step.argv;
      return `exec  ${displayCommand(file, args)}${step.ignoreFailure ? ' (failure ignored)' : ''}`;
    }
  }
}
