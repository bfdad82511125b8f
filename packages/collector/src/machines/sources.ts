/** A machine's update sources from its stored policy, MDM values and OS version, through core's assessment. */
import {
  assessUpdateSources,
  MdmUpdatePolicySchema,
  osBuildOf,
  type UpdatePolicy,
  type UpdateSources,
} from '@wuwatch/core';

/**
 * Where each class of update comes from and which services' scans count (core's assessUpdateSources), or null while
 * no policy is known. A policy that cannot be assessed (admission lets only assessable ones in; older rows may hold
 * others) gives null too: the status then counts every service but Store and flighting (status/services.ts).
 */
export function updateSourcesOf(policy: unknown, mdm: unknown, osVersion: string | null): UpdateSources | null {
  if (!policy || typeof policy !== 'object') return null;
  const parsedMdm = mdm ? MdmUpdatePolicySchema.safeParse(mdm) : null;
  try {
    return assessUpdateSources({
      policy: policy as UpdatePolicy,
      mdm: parsedMdm?.success ? parsedMdm.data : null,
      osBuild: osBuildOf(osVersion),
    });
  } catch {
    return null;
  }
}
