/** Runs a service plan step by step through an injected runner and file system. */
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { decodeWindowsText, makeError } from '@wuwatch/core';
import { displayCommand } from '../platform/runner.js';
import type { CommandResult, CommandRunner } from '../platform/runner.js';
import type { Plan, PlanStep } from './types.js';

/** The file operations a plan needs. */
export interface PlanFs {
  /** Creates the directory and its parents; no error when it exists. */
  mkdir(path: string): Promise<void>;
  writeFile(path: string, content: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

/** {@link PlanFs} over node:fs. */
export function nodePlanFs(): PlanFs {
  return {
    async mkdir(path) {
      await mkdir(path, { recursive: true });
    },
    writeFile: (path, content) => writeFile(path, content, 'utf8'),
    copyFile: (from, to) => copyFile(from, to),
    exists: (path) =>
      stat(path).then(
        () => true,
        () => false,
      ),
  };
}

/** What happened to one step. */
export interface StepOutcome {
  step: PlanStep;
  status: 'done' | 'skipped' | 'failed_ignored';
  /** Exit code and decoded output of exec steps. */
  code?: number;
  stdout?: string;
}

/** Dependencies of {@link executePlan}. */
export interface ExecuteOptions {
  runner: CommandRunner;
  fs?: PlanFs;
  /** Timeout per exec step (default 120 s: a WinSW stop waits up to the 30 s stop timeout and more). */
  timeoutMs?: number;
  /** Called after each step, for progress output. */
  onStep?: (outcome: StepOutcome, index: number) => void;
}

/**
 * Runs the steps in order and stops at the first failure: a failed exec throws WUW_COMMAND_FAILED (unless the step
 * ignores failure), a file step throws WUW_FILE_UNWRITABLE / WUW_FILE_UNREADABLE. Outcomes so far are in `details`.
 */
export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<StepOutcome[]> {
  const fs = opts.fs ?? nodePlanFs();
  const outcomes: StepOutcome[] = [];
  for (const [index, step] of plan.entries()) {
    const outcome = await runStep(step, fs, opts, outcomes);
    outcomes.push(outcome);
    opts.onStep?.(outcome, index);
  }
  return outcomes;
}

async function runStep(step: PlanStep, fs: PlanFs, opts: ExecuteOptions, done: StepOutcome[]): Promise<StepOutcome> {
  const details = { completed: done.length, step };
  switch (step.kind) {
    case 'mkdir':
      await guard(() => fs.mkdir(step.path), step.path, details);
      return { step, status: 'done' };
    case 'write':
      await guard(() => fs.writeFile(step.path, step.content), step.path, details);
      return { step, status: 'done' };
    case 'copy':
      if (!(await fs.exists(step.from))) {
        if (step.optional) return { step, status: 'skipped' };
        throw makeError('FILE_UNREADABLE', [step.from], details);
      }
      await guard(() => fs.copyFile(step.from, step.path), step.path, details);
      return { step, status: 'done' };
    case 'exec': {
      const [file, ...args] = step.argv;
      if (file === undefined) throw makeError('INTERNAL', ['exec step without a program']);
      const r: CommandResult = await opts.runner.run(file, args, { timeoutMs: opts.timeoutMs ?? 120_000 });
      const stdout = decodeWindowsText(r.stdout);
      if (r.code === 0) return { step, status: 'done', code: r.code, stdout };
      if (step.ignoreFailure) return { step, status: 'failed_ignored', code: r.code, stdout };
      const message = (decodeWindowsText(r.stderr).trim() || stdout.trim() || 'no message').slice(0, 300);
      throw makeError('COMMAND_FAILED', [displayCommand(file, args), `exit code ${r.code}: ${message}`], details);
    }
  }
}

async function guard(action: () => Promise<void>, path: string, details: Record<string, unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    throw makeError('FILE_UNWRITABLE', [path], details, err);
  }
}
