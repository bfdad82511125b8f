/**
 * The MDM (Intune) side of the Windows Update policy: the PolicyManager store,
 * `HKLM\SOFTWARE\Microsoft\PolicyManager\current\device\Update`, where the Policy CSP "Update" area writes the
 * values an MDM server set (value names are the CSP node names: Microsoft Learn "Policy CSP - Update"), and
 * `…\device\ControlPolicyConflict!MDMWinsOverGP` ("Policy CSP - ControlPolicyConflict": 1 = an MDM policy wins over
 * the Group Policy that sets the same thing; default 0, Group Policy wins). The store also holds `<name>_ProviderSet`
 * and `<name>_WinningProvider` bookkeeping values, kept in `other`.
 */
import * as z from 'zod';
import { clipText } from '../wulog/codes.js';
import { boundValue, OtherBudget } from './bounds.js';
import { decodeWindowsText, registryLines } from './decode.js';
import { isRegFileText, parseRegFile } from './regfile.js';
import { parseRegQuery } from './regquery.js';
import { samePath, ValueMap } from './registry.js';
import { policyShape, RegValueSchema, type PolicyValueKind, type RegistryExport, type RegValue } from './types.js';

/** The PolicyManager key of the Update CSP area, hive spelled out. */
export const MDM_UPDATE_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\Update';
/** The PolicyManager key that says whether MDM wins over Group Policy. */
export const MDM_CONFLICT_KEY =
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\ControlPolicyConflict';

/** Update CSP values wuwatch reads (Policy CSP - Update), by node name. */
export const MDM_UPDATE_VALUES = {
  UpdateServiceUrl: 'string',
  AllowUpdateService: 'dword',
  DisableDualScan: 'dword',
  DeferFeatureUpdatesPeriodInDays: 'dword',
  DeferQualityUpdatesPeriodInDays: 'dword',
  PauseFeatureUpdates: 'dword',
  PauseQualityUpdates: 'dword',
  BranchReadinessLevel: 'dword',
  ExcludeWUDriversInQualityUpdate: 'dword',
  SetPolicyDrivenUpdateSourceForFeatureUpdates: 'dword',
  SetPolicyDrivenUpdateSourceForQualityUpdates: 'dword',
  SetPolicyDrivenUpdateSourceForDriverUpdates: 'dword',
  SetPolicyDrivenUpdateSourceForOtherUpdates: 'dword',
} as const satisfies Record<string, PolicyValueKind>;

/** The MDM store's Update values of one machine; absent values are null, unknown ones stay in `other`. */
export const MdmUpdatePolicySchema = z.object({
  /** True when the PolicyManager Update key exists (MDM set at least one Update policy). */
  present: z.boolean(),
  update: z.object(policyShape(MDM_UPDATE_VALUES)),
  /** ControlPolicyConflict!MDMWinsOverGP; null when absent (Group Policy wins). */
  mdmWinsOverGp: z.number().int().nullable(),
  other: z.record(z.string(), RegValueSchema),
});

/** See {@link MdmUpdatePolicySchema}. */
export type MdmUpdatePolicy = z.infer<typeof MdmUpdatePolicySchema>;
/** Typed values of the PolicyManager Update key. */
export type MdmUpdateValues = MdmUpdatePolicy['update'];

/** Builds the typed MDM Update policy from an export of the PolicyManager keys (other keys are ignored). */
export function toMdmUpdatePolicy(exp: RegistryExport): MdmUpdatePolicy {
  const update = Object.fromEntries(Object.keys(MDM_UPDATE_VALUES).map((n) => [n, null])) as Record<
    string,
    string | number | null
  >;
  const other: Record<string, RegValue> = {};
  const otherValues = new ValueMap(other);
  const budget = new OtherBudget();
  let present = false;
  let mdmWinsOverGp: number | null = null;
  const known = new Map(Object.keys(MDM_UPDATE_VALUES).map((n) => [n.toLowerCase(), n]));
  for (const key of exp.keys) {
    if (samePath(key.path, MDM_CONFLICT_KEY)) {
      for (const [name, value] of Object.entries(key.values)) {
        if (name.toLowerCase() === 'mdmwinsovergp' && value.type === 'REG_DWORD') mdmWinsOverGp = value.value;
      }
      continue;
    }
    if (!samePath(key.path, MDM_UPDATE_KEY)) continue;
    present = true;
    for (const [name, value] of Object.entries(key.values)) {
      const canonical = known.get(name.toLowerCase());
      const kind = canonical === undefined ? undefined : MDM_UPDATE_VALUES[canonical as keyof typeof MDM_UPDATE_VALUES];
      if (canonical !== undefined && kind === 'dword' && value.type === 'REG_DWORD') update[canonical] = value.value;
      else if (
        canonical !== undefined &&
        kind === 'string' &&
        (value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ')
      )
        update[canonical] = clipText(value.value);
      else {
        // Within the event's size bound (bounds.ts): what does not fit is left out.
        const bounded = boundValue(value);
        if (budget.take(name, bounded)) otherValues.put(name, bounded);
      }
    }
  }
  return { present, update: update as MdmUpdateValues, mdmWinsOverGp, other };
}

/** Reads the PolicyManager keys from `reg query … /s` output or a `.reg` file (any of their encodings). */
export function parseMdmPolicy(input: Buffer | string): MdmUpdatePolicy {
  const text = decodeWindowsText(input);
  const isRegFile = isRegFileText(registryLines(text));
  return toMdmUpdatePolicy(isRegFile ? parseRegFile(text) : parseRegQuery(text));
}
