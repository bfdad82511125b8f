/** The typed Windows Update policy built from a registry export, and the entry point that reads either format. */
import { clipText } from '../wulog/codes.js';
import { boundValue, OtherBudget } from './bounds.js';
import { decodeWindowsText, registryLines } from './decode.js';
import { isRegFileText, parseRegFile } from './regfile.js';
import { parseRegQuery } from './regquery.js';
import { isAtOrBelow, samePath, ValueMap } from './registry.js';
import { AU_VALUES, WINDOWS_UPDATE_VALUES } from './types.js';
import type {
  AuValues,
  PolicyValueKind,
  RegistryExport,
  RegValue,
  UpdatePolicy,
  WindowsUpdateValues,
} from './types.js';

/** `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate` with the hive spelled out. */
export const WINDOWS_UPDATE_POLICY_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
/** The Automatic Updates subkey. */
export const AU_POLICY_KEY = WINDOWS_UPDATE_POLICY_KEY + '\\AU';

/**
 * Builds the typed policy from the WindowsUpdate and AU keys. Known values are matched case-insensitively; a known
 * value of the wrong registry type stays `null` and is kept in `other` (assessPolicy reports it). Later keys win.
 * Strings and `other` are bounded so that the policy fits one event (bounds.ts).
 */
export function toUpdatePolicy(exp: RegistryExport): UpdatePolicy {
  const windowsUpdate = emptyValues(WINDOWS_UPDATE_VALUES) as WindowsUpdateValues;
  const au = emptyValues(AU_VALUES) as AuValues;
  const other: UpdatePolicy['other'] = {};
  const keys = { windowsUpdate: false, au: false };
  const buckets = new Map<string, ValueMap<RegValue>>();
  const budget = new OtherBudget();
  for (const key of exp.keys) {
    if (!isAtOrBelow(key.path, WINDOWS_UPDATE_POLICY_KEY)) continue;
    let target: Record<string, string | number | null> | null = null;
    let spec: Record<string, PolicyValueKind> = {};
    let canonicalPath: string;
    if (samePath(key.path, WINDOWS_UPDATE_POLICY_KEY)) {
      keys.windowsUpdate = true;
      [target, spec, canonicalPath] = [windowsUpdate, WINDOWS_UPDATE_VALUES, WINDOWS_UPDATE_POLICY_KEY];
    } else if (samePath(key.path, AU_POLICY_KEY)) {
      keys.au = true;
      [target, spec, canonicalPath] = [au, AU_VALUES, AU_POLICY_KEY];
    } else {
      // Other subkeys keep their own spelling below the canonical WindowsUpdate path.
      canonicalPath = WINDOWS_UPDATE_POLICY_KEY + key.path.slice(WINDOWS_UPDATE_POLICY_KEY.length);
    }
    for (const [name, value] of Object.entries(key.values)) {
      const known = target === null ? undefined : findKnown(spec, name);
      const typed = known === undefined ? undefined : typedValue(spec[known]!, value);
      if (target !== null && known !== undefined && typed !== undefined) {
        target[known] = typed;
      } else {
        // Within the event's size bound (bounds.ts): what does not fit is left out.
        const bounded = boundValue(value);
        let bucket = buckets.get(canonicalPath);
        if (bucket === undefined) {
          if (!budget.take(canonicalPath, { type: 'REG_SZ', value: '' })) continue;
          bucket = new ValueMap((other[canonicalPath] ??= {}));
          buckets.set(canonicalPath, bucket);
        }
        if (budget.take(name, bounded)) bucket.put(name, bounded);
      }
    }
  }
  return { keys, windowsUpdate, au, other };
}

/**
 * Reads policy from `reg query … /s` output or a `.reg` file (bytes or text, any of their encodings) and types it.
 * A text starting with a `.reg` header or a `[KEY]` line is read as a .reg file, anything else as reg query output.
 */
export function parsePolicy(input: Buffer | string): UpdatePolicy {
  const text = decodeWindowsText(input);
  const isRegFile = isRegFileText(registryLines(text));
  return toUpdatePolicy(isRegFile ? parseRegFile(text) : parseRegQuery(text));
}

function emptyValues(spec: Record<string, PolicyValueKind>): Record<string, null> {
  return Object.fromEntries(Object.keys(spec).map((name) => [name, null]));
}

function findKnown(spec: Record<string, PolicyValueKind>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(spec).find((k) => k.toLowerCase() === lower);
}

// Windows Update reads string policies as REG_SZ/REG_EXPAND_SZ and numbers as REG_DWORD; other types are not typed.
function typedValue(kind: PolicyValueKind, value: RegValue): string | number | undefined {
  if (kind === 'string' && (value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ')) return clipText(value.value);
  if (kind === 'dword' && value.type === 'REG_DWORD') return value.value;
  return undefined;
}
