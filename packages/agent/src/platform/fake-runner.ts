/** A recording stand-in for {@link CommandRunner}: answers from rules and remembers every call, for tests. */
import { makeError } from '@wuwatch/core';
import { displayCommand } from './runner.js';
import type { CommandResult, CommandRunner, RunOptions } from './runner.js';

/** One call the fake received. */
export interface RecordedCall {
  file: string;
  args: string[];
  opts: RunOptions | undefined;
}

/** A canned answer: text is written as UTF-8 unless given as bytes. */
export interface FakeReply {
  code?: number;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
}

/** Which calls a rule answers: the program's base name (case-insensitive, `.exe` optional) or a predicate. */
export type CallMatcher = string | ((call: RecordedCall) => boolean);

/** What a rule answers with: a reply, a reply computed from the call, or an error to throw. */
export type FakeAnswer = FakeReply | Error | ((call: RecordedCall) => FakeReply | Error);

interface Rule {
  match: (call: RecordedCall) => boolean;
  answer: FakeAnswer;
  once: boolean;
}

/** Base name of a Windows or POSIX path without `.exe`, lower-case. */
function programName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.toLowerCase().replace(/\.exe$/, '');
}

/**
 * Recording runner. Rules are tried in order (`once` rules are used up); a call no rule answers throws
 * WUW_COMMAND_FAILED, so a test notices a command it did not expect.
 */
export class RecordingRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly rules: Rule[] = [];

  /** Answers every matching call. */
  on(matcher: CallMatcher, answer: FakeAnswer): this {
    this.rules.push({ match: toPredicate(matcher), answer, once: false });
    return this;
  }

  /** Answers the next matching call only. */
  once(matcher: CallMatcher, answer: FakeAnswer): this {
    this.rules.push({ match: toPredicate(matcher), answer, once: true });
    return this;
  }

  /** Runs nothing: records the call and answers from the first matching rule. */
  async run(file: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    const call: RecordedCall = { file, args: [...args], opts };
    this.calls.push(call);
    const index = this.rules.findIndex((r) => r.match(call));
    const rule = this.rules[index];
    if (rule === undefined) throw makeError('COMMAND_FAILED', [displayCommand(file, args), 'no fake reply for it']);
    if (rule.once) this.rules.splice(index, 1);
    const answer = typeof rule.answer === 'function' ? rule.answer(call) : rule.answer;
    if (answer instanceof Error) throw answer;
    return { code: answer.code ?? 0, stdout: toBuffer(answer.stdout), stderr: toBuffer(answer.stderr) };
  }
}

function toPredicate(matcher: CallMatcher): (call: RecordedCall) => boolean {
  if (typeof matcher === 'function') return matcher;
  const wanted = programName(matcher);
  return (call) => programName(call.file) === wanted;
}

function toBuffer(value: string | Buffer | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
