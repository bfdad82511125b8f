/**
 * Types and zod schemas of the Windows Update policy: raw registry exports and the typed policy built from them.
 * Absent values are `null` (never `undefined`) so a policy survives JSON on the wire with absent ≠ 0 intact.
 */
import * as z from 'zod';

/** Registry value types that hold a string. */
export const RegStringType = z.enum(['REG_SZ', 'REG_EXPAND_SZ']);
/** Registry value types shown as lower-case hex bytes. */
export const RegBinaryType = z.enum([
  'REG_BINARY',
  'REG_NONE',
  'REG_LINK',
  'REG_RESOURCE_LIST',
  'REG_FULL_RESOURCE_DESCRIPTOR',
  'REG_RESOURCE_REQUIREMENTS_LIST',
]);

/**
 * One registry value. DWORDs are unsigned numbers; QWORDs are exact decimal strings (they may exceed 2^53);
 * binary-like types are lower-case hex without separators; REG_MULTI_SZ is the list without the terminators.
 */
export const RegValueSchema = z.discriminatedUnion('type', [
  z.object({ type: RegStringType, value: z.string() }),
  z.object({ type: z.literal('REG_MULTI_SZ'), value: z.array(z.string()) }),
  z.object({
    type: z.enum(['REG_DWORD', 'REG_DWORD_BIG_ENDIAN']),
    value: z.number().int().min(0).max(0xffffffff),
  }),
  z.object({ type: z.literal('REG_QWORD'), value: z.string().regex(/^\d+$/) }),
  z.object({ type: RegBinaryType, value: z.string().regex(/^(?:[0-9a-f]{2})*$/) }),
]);

/** One key: its path with the hive spelled out (`HKEY_LOCAL_MACHINE\…`) and its values by name (`''` = default). */
export const RegistryKeySchema = z.object({
  path: z.string(),
  values: z.record(z.string(), RegValueSchema),
});

/** The keys of a `reg query /s` capture or a `.reg` file, in input order. */
export const RegistryExportSchema = z.object({ keys: z.array(RegistryKeySchema) });

/** Expected registry type of a known policy value. */
export type PolicyValueKind = 'string' | 'dword';

/** Known values of `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate` (design notes §4). */
export const WINDOWS_UPDATE_VALUES = {
  WUServer: 'string',
  WUStatusServer: 'string',
  UpdateServiceUrlAlternate: 'string',
  FillEmptyContentUrls: 'dword',
  SetProxyBehaviorForUpdateDetection: 'dword',
  DoNotEnforceEnterpriseTLSCertPinningForUpdateDetection: 'dword',
  TargetGroup: 'string',
  TargetGroupEnabled: 'dword',
  ElevateNonAdmins: 'dword',
  AcceptTrustedPublisherCerts: 'dword',
  DisableWindowsUpdateAccess: 'dword',
  DoNotConnectToWindowsUpdateInternetLocations: 'dword',
  SetDisableUXWUAccess: 'dword',
  DisableDualScan: 'dword',
  // Windows Update for Business deferrals: with a WSUS server they switch Dual Scan on (policy/sources.ts).
  DeferFeatureUpdates: 'dword',
  DeferFeatureUpdatesPeriodInDays: 'dword',
  DeferQualityUpdates: 'dword',
  DeferQualityUpdatesPeriodInDays: 'dword',
  BranchReadinessLevel: 'dword',
  PauseFeatureUpdatesStartTime: 'string',
  PauseQualityUpdatesStartTime: 'string',
  DeferUpgrade: 'dword',
  DeferUpgradePeriod: 'dword',
  DeferUpdatePeriod: 'dword',
  ExcludeWUDriversInQualityUpdate: 'dword',
  // "Specify source service for specific classes of Windows Updates": 0 Windows Update, 1 WSUS.
  SetPolicyDrivenUpdateSourceForFeatureUpdates: 'dword',
  SetPolicyDrivenUpdateSourceForQualityUpdates: 'dword',
  SetPolicyDrivenUpdateSourceForDriverUpdates: 'dword',
  SetPolicyDrivenUpdateSourceForOtherUpdates: 'dword',
} as const satisfies Record<string, PolicyValueKind>;

/** Known values of `…\WindowsUpdate\AU` (design notes §4 plus the restart/UX values of WindowsUpdate.admx). */
export const AU_VALUES = {
  UseWUServer: 'dword',
  NoAutoUpdate: 'dword',
  AUOptions: 'dword',
  ScheduledInstallDay: 'dword',
  ScheduledInstallTime: 'dword',
  DetectionFrequencyEnabled: 'dword',
  DetectionFrequency: 'dword',
  AutoInstallMinorUpdates: 'dword',
  NoAutoRebootWithLoggedOnUsers: 'dword',
  RescheduleWaitTimeEnabled: 'dword',
  RescheduleWaitTime: 'dword',
  RebootWarningTimeoutEnabled: 'dword',
  RebootWarningTimeout: 'dword',
  RebootRelaunchTimeoutEnabled: 'dword',
  RebootRelaunchTimeout: 'dword',
  AlwaysAutoRebootAtScheduledTime: 'dword',
  AlwaysAutoRebootAtScheduledTimeMinutes: 'dword',
  IncludeRecommendedUpdates: 'dword',
  EnableFeaturedSoftware: 'dword',
  AllowMUUpdateService: 'dword',
  NoAUShutdownOption: 'dword',
  NoAUAsDefaultShutdownOption: 'dword',
  // Without it the SetPolicyDrivenUpdateSourceFor* values are ignored (wufb-wsus, "Specify scan source").
  UseUpdateClassPolicySource: 'dword',
} as const satisfies Record<string, PolicyValueKind>;

type PolicyShape<T extends Record<string, PolicyValueKind>> = {
  [K in keyof T]: T[K] extends 'string' ? z.ZodNullable<z.ZodString> : z.ZodNullable<z.ZodNumber>;
};

/** zod shape of typed policy values: each known name nullable, of its kind. */
export function policyShape<T extends Record<string, PolicyValueKind>>(spec: T): PolicyShape<T> {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const [name, kind] of Object.entries(spec)) {
    shape[name] = kind === 'string' ? z.string().nullable() : z.number().int().min(0).max(0xffffffff).nullable();
  }
  return shape as PolicyShape<T>;
}

/** Typed values of the WindowsUpdate key; property names are the registry value names. */
export const WindowsUpdateValuesSchema = z.object(policyShape(WINDOWS_UPDATE_VALUES));
/** Typed values of the AU key; property names are the registry value names. */
export const AuValuesSchema = z.object(policyShape(AU_VALUES));

/**
 * The Windows Update policy of one machine. Every known value is `null` when absent (0 is a real value).
 * `other` keeps what is not typed: unknown values, known values stored with the wrong registry type, and values of
 * other subkeys, as `other[keyPath][valueName]`. Keys outside the WindowsUpdate subtree are not kept.
 */
export const UpdatePolicySchema = z.object({
  keys: z.object({ windowsUpdate: z.boolean(), au: z.boolean() }),
  windowsUpdate: WindowsUpdateValuesSchema,
  au: AuValuesSchema,
  other: z.record(z.string(), z.record(z.string(), RegValueSchema)),
});

/** Stable codes of policy problems. */
export const PolicyProblemCode = z.enum([
  'USE_WUSERVER_WITHOUT_WUSERVER',
  'WUSERVER_IGNORED',
  'STATUS_SERVER_MISMATCH',
  'STATUS_SERVER_MISSING',
  'HTTP_NOT_HTTPS',
  'INVALID_WSUS_URL',
  'ACCESS_DISABLED_NO_WSUS',
  'NO_INTERNET_NO_WSUS',
  'AU_DISABLED',
  'AU_OPTIONS_INVALID',
  'DETECTION_FREQUENCY_INVALID',
  'WRONG_VALUE_TYPE',
]);

/** One problem found in a policy; `message` tells the operator what to do. */
export const PolicyProblemSchema = z.object({
  code: PolicyProblemCode,
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string(),
  value: z.union([z.string(), z.number()]).optional(),
});

/** Where a machine gets updates from, and what is wrong with its policy. */
export const PolicyAssessmentSchema = z.object({
  source: z.enum(['wsus', 'windows_update', 'disabled']),
  wsusUrl: z.string().nullable(),
  statusUrl: z.string().nullable(),
  detectionIntervalHours: z.number().int().min(1).max(22),
  problems: z.array(PolicyProblemSchema),
});

export type RegStringType = z.infer<typeof RegStringType>;
export type RegBinaryType = z.infer<typeof RegBinaryType>;
export type RegValue = z.infer<typeof RegValueSchema>;
export type RegistryKey = z.infer<typeof RegistryKeySchema>;
export type RegistryExport = z.infer<typeof RegistryExportSchema>;
export type WindowsUpdateValues = z.infer<typeof WindowsUpdateValuesSchema>;
export type AuValues = z.infer<typeof AuValuesSchema>;
export type UpdatePolicy = z.infer<typeof UpdatePolicySchema>;
export type PolicyProblemCode = z.infer<typeof PolicyProblemCode>;
export type PolicyProblem = z.infer<typeof PolicyProblemSchema>;
export type PolicyAssessment = z.infer<typeof PolicyAssessmentSchema>;
