/**
 * Chooses the agent mode by looking at WindowsUpdate.log itself, not at the OS version (design §1):
 * legacy lines → tail it ('log'); the Windows 10/2016+ ETW stub, Get-WindowsUpdateLog output (a static
 * snapshot), a missing or empty file or anything else → read event channels ('event').
 * The layout itself is recognised by @wuwatch/core's `detectLogKind`.
 */
import { open } from 'node:fs/promises';
import { detectLogKind } from '@wuwatch/core';

/** Agent mode derived from the log file. */
export type TailMode = 'log' | 'event';

/** Why the mode was chosen (for the agent's startup log line). */
export type ModeReason = 'legacy_lines' | 'etw_stub' | 'converted_log' | 'missing' | 'empty' | 'unrecognised';

/** A mode decision with its reason. */
export interface ModeDecision {
  mode: TailMode;
  reason: ModeReason;
}

/** Bytes read from the start of the file to decide. */
export const MODE_SAMPLE_BYTES = 4096;

/** Decides the mode from the first bytes of the file (pure). */
export function classifyLogHead(head: Buffer): ModeDecision {
  if (isBlank(head)) return { mode: 'event', reason: 'empty' };
  switch (detectLogKind(head)) {
    case 'legacy':
      return { mode: 'log', reason: 'legacy_lines' };
    case 'etw_stub':
      return { mode: 'event', reason: 'etw_stub' };
    case 'modern':
      return { mode: 'event', reason: 'converted_log' };
    default:
      return { mode: 'event', reason: 'unrecognised' };
  }
}

/** Reads the start of the log at `path` and decides between tailing it and event mode. */
export async function detectMode(path: string): Promise<ModeDecision> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    // Missing or unreadable: there is nothing to tail either way, events are the source.
    return { mode: 'event', reason: 'missing' };
  }
  try {
    const buf = Buffer.alloc(MODE_SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, MODE_SAMPLE_BYTES, 0);
    return classifyLogHead(buf.subarray(0, bytesRead));
  } catch {
    return { mode: 'event', reason: 'missing' };
  } finally {
    await fh.close();
  }
}

// A BOM and whitespace only (in any of the encodings): nothing written yet, so nothing to tail.
function isBlank(head: Buffer): boolean {
  let start = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
  else if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) start = 2;
  return head.subarray(start).every((b) => b === 0 || b === 0x20 || (b >= 0x09 && b <= 0x0d));
}
