/** Types of the update-source assessment (policy/sources.ts): where each class of update really comes from. */
import * as z from 'zod';

/** The classes Windows Update's scan source policy tells apart (Microsoft Learn "wufb-wsus"). */
export const UPDATE_CLASSES = ['quality', 'feature', 'driver', 'other'] as const;
/** One of {@link UPDATE_CLASSES}. */
export type UpdateClass = (typeof UPDATE_CLASSES)[number];

/** Where a class of update comes from: the WSUS server, Windows Update, or nowhere (blocked or excluded). */
export const UpdateClassSource = z.enum(['wsus', 'windows_update', 'none']);

/** Stable codes of the source findings. */
export const SourceFindingCode = z.enum([
  'DUAL_SCAN_ACTIVE',
  'DUAL_SCAN_POSSIBLE',
  'DUAL_SCAN_DISABLED',
  'SCAN_SOURCE_SPLIT',
  'SCAN_SOURCE_IGNORED',
  'SCAN_SOURCE_WITHOUT_WSUS',
  'DUAL_SCAN_WITH_SCAN_SOURCE',
  'WINDOWS_UPDATE_BLOCKED',
  'MDM_GP_CONFLICT',
  'MDM_POLICY',
]);

/** One plain-words finding about where updates come from. */
export const SourceFindingSchema = z.object({
  code: SourceFindingCode,
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string(),
});

const ClassSourceSchema = z.object({
  source: UpdateClassSource,
  /** Which setting decided it, in plain words. */
  reason: z.string(),
});

/** The assessment: per class source, Dual Scan state, and whether the machine scans Windows Update beside WSUS. */
export const UpdateSourcesSchema = z.object({
  wsusManaged: z.boolean(),
  classes: z.object({
    quality: ClassSourceSchema,
    feature: ClassSourceSchema,
    driver: ClassSourceSchema,
    other: ClassSourceSchema,
  }),
  /**
   * `active`: Dual Scan is on; `possible`: it is on if the machine runs Windows 10 1607 or later (build unknown);
   * `disabled`: DisableDualScan turns it off; `superseded`: the scan source policy decides instead; `not_applicable`.
   */
  dualScan: z.enum(['active', 'possible', 'disabled', 'superseded', 'not_applicable']),
  /** True when a WSUS-managed machine takes some class from Windows Update; null when that depends on the OS build. */
  bypassesWsus: z.boolean().nullable(),
  /**
   * Update service IDs whose scans decide this machine's health (catalogue/services.ts): the WSUS service for classes
   * from WSUS, Windows Update and Microsoft Update for classes from Windows Update. Scans of other services (Store,
   * flighting) are context.
   */
  servicesThatMatter: z.array(z.string()),
  findings: z.array(SourceFindingSchema),
  /** One sentence: which source each class really comes from. */
  summary: z.string(),
});

export type UpdateClassSource = z.infer<typeof UpdateClassSource>;
export type SourceFindingCode = z.infer<typeof SourceFindingCode>;
export type SourceFinding = z.infer<typeof SourceFindingSchema>;
export type UpdateSources = z.infer<typeof UpdateSourcesSchema>;
