/**
 * Settings blocks: the policy the client logged when it (re)read its global settings cache. Legacy writes
 * `  * WSUS server: <NULL>`, modern `WSUS server: (null) (Changed)`. One finding per block of consecutive lines.
 */
import { detach } from './codes.js';
import { startsWithAt } from './message.js';
import { copyState } from './copy-state.js';
import type { ParsedParserState } from './state.js';
import type { LogRecord, SettingsFinding } from './types.js';

type Emit = (finding: SettingsFinding) => void;
type Field = 'wsusServer' | 'statusServer' | 'targetGroup' | 'accessDisabled';

interface Key {
  key: string;
  /** Field it fills; null = logged in the block (it continues it) but not reported. */
  field: Field | null;
}

/** Keys that start or continue a block, by first character (this runs on many lines: no Map, no destructuring). */
const KEYS_BY_CHAR: readonly (readonly Key[] | undefined)[] = (() => {
  const keys: Key[] = [
    { key: 'WSUS server:', field: 'wsusServer' },
    { key: 'WSUS status server:', field: 'statusServer' },
    { key: 'Windows Update access disabled:', field: 'accessDisabled' },
    { key: 'Target group:', field: 'targetGroup' },
    { key: 'Alternate Download Server:', field: null },
    { key: 'Fill Empty Content Urls:', field: null },
    { key: 'Do not connect to Windows Update Internet locations:', field: null },
  ];
  const table: Key[][] = [];
  for (const k of keys) (table[k.key.charCodeAt(0)] ??= []).push(k);
  return table;
})();

const FIELD_BIT: Readonly<Record<Field, number>> = {
  wsusServer: 1,
  statusServer: 2,
  targetGroup: 4,
  accessDisabled: 8,
};

/** A logged value: ` (Changed)`/` (Unchanged)` stripped, `<NULL>`/`(null)`/empty → null. */
export function settingValue(raw: string): string | null {
  let v = raw.trim();
  if (v.endsWith('(Changed)') || v.endsWith('(Unchanged)')) {
    const cut = v.lastIndexOf('(');
    // Only a suffix separated by blanks: a bare "(Changed)" value stays what it is.
    if (cut > 0 && (v.charCodeAt(cut - 1) === 0x20 || v.charCodeAt(cut - 1) === 0x09)) v = v.slice(0, cut).trim();
  }
  return v === '' || v === '<NULL>' || v === '(null)' ? null : v;
}

interface OpenBlock {
  finding: SettingsFinding;
  pid: number | null;
  tid: string | null;
  /** Bit per field already set (a Set per block would be garbage on every policy refresh). */
  seen: number;
}

/** Collects settings lines into blocks and emits each block when it ends. */
export class SettingsTracker {
  private readonly emit: Emit;
  private open: OpenBlock | null = null;

  constructor(emit: Emit) {
    this.emit = emit;
  }

  /** Handles a line whose message starts at `at`; returns false when it is not a settings line. */
  onLine(r: LogRecord, at: number): boolean {
    const text = r.text;
    const keys = KEYS_BY_CHAR[text.charCodeAt(at)];
    if (keys === undefined) return false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!.key;
      const field = keys[i]!.field;
      if (!startsWithAt(text, key, at)) continue;
      if (field !== null) this.set(r, field, settingValue(text.slice(at + key.length)));
      else if (this.open !== null && !this.fromOpenThread(r)) this.flush();
      return true;
    }
    return false;
  }

  /** {@link onOther} for a line known only by its process and thread (it has a header, so both are known). */
  onOtherThread(thread: { readonly skippedPid: number; readonly skippedTid: string }): void {
    // The TID is read only with a block open: reading it cuts the string.
    if (this.open !== null && this.open.pid === thread.skippedPid && this.open.tid === thread.skippedTid) this.flush();
  }

  /** A line that is not a setting ends the block, unless another thread wrote it in between. */
  onOther(r: LogRecord): void {
    if (this.open !== null && (r.pid === null || this.fromOpenThread(r))) this.flush();
  }

  /** The block being collected, copied (see {@link ParsedParserState}). */
  snapshot(): ParsedParserState['settings'] {
    return copyState(this.open);
  }

  /** Continues from a {@link snapshot}. */
  restore(state: ParsedParserState['settings']): void {
    this.open = copyState(state);
  }

  /** Emits the block still open at end of input. */
  end(): void {
    this.flush();
  }

  private fromOpenThread(r: LogRecord): boolean {
    return this.open !== null && this.open.pid === r.pid && this.open.tid === r.tid;
  }

  private set(r: LogRecord, field: Field, value: string | null): void {
    // A key seen twice, or a setting from another thread, starts a new block.
    const bit = FIELD_BIT[field];
    if (this.open !== null && ((this.open.seen & bit) !== 0 || !this.fromOpenThread(r))) this.flush();
    if (this.open === null) {
      this.open = {
        finding: {
          kind: 'settings',
          line: r.line,
          time: r.time,
          wsusServer: null,
          statusServer: null,
          targetGroup: null,
          accessDisabled: null,
        },
        pid: r.pid,
        tid: r.tid,
        seen: 0,
      };
    }
    this.open.seen |= bit;
    if (field === 'accessDisabled') {
      const yesNo = value?.toLowerCase();
      this.open.finding.accessDisabled = yesNo === 'yes' ? true : yesNo === 'no' ? false : null;
    } else {
      this.open.finding[field] = detach(value);
    }
  }

  private flush(): void {
    if (this.open === null) return;
    const { finding } = this.open;
    this.open = null;
    this.emit(finding);
  }
}
