/**
 * The update services a Windows Update scan can run against, by service ID: the table "Service | ServiceId" of
 * Microsoft Learn "Windows Update log files" (windows/deployment/update/windows-update-logs.md: Windows Update
 * 9482F4B4…, Microsoft Update 7971F918…, Store 855E8A7C…, OS Flighting 8B24B027…, WSUS or Configuration Manager
 * 3DA21691… "via ServerSelection::ssManagedServer", and 00000000… for "Unspecified / Default"), plus the older Store
 * ID 117CAB2D… that Get-WUServiceManager lists as "Windows Store". The client writes a label after the ID
 * (`ServiceID = {…} Managed`, `Third party service`, `Windows Update`); the label is not the name (the flighting
 * service is logged as "Third party service"), so a service is identified by its ID and the label is kept only for IDs
 * that are not in this table.
 */

/** Stable key of a known update service. */
export type UpdateServiceKey = 'wsus' | 'windows_update' | 'microsoft_update' | 'store' | 'flighting' | 'default';

/** A known update service. */
export interface UpdateService {
  key: UpdateServiceKey;
  /** Upper-case GUID without braces. */
  id: string;
  name: string;
}

/** Every update service wuwatch tells apart. */
export const UPDATE_SERVICES: readonly UpdateService[] = Object.freeze([
  { key: 'wsus', id: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7', name: 'WSUS / Configuration Manager' },
  { key: 'windows_update', id: '9482F4B4-E343-43B6-B170-9A65BC822C77', name: 'Windows Update' },
  { key: 'microsoft_update', id: '7971F918-A847-4430-9279-4A52D1EFE18D', name: 'Microsoft Update' },
  { key: 'store', id: '855E8A7C-ECB4-4CA3-B045-1DFA50104289', name: 'Microsoft Store' },
  { key: 'store', id: '117CAB2D-82B1-4B5A-A08C-4D62DBEE7782', name: 'Microsoft Store' },
  { key: 'flighting', id: '8B24B027-1DEE-BABB-9A95-3517DFB9C552', name: 'OS Flighting' },
  // The all-zero ID: the default service, which is Windows Update, Microsoft Update or WSUS as the policy says.
  { key: 'default', id: '00000000-0000-0000-0000-000000000000', name: 'Default service (as configured)' },
]);

const BY_ID = new Map(UPDATE_SERVICES.map((s) => [s.id, s]));
const GUID = /^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$/;

/** Spellings seen so far: a log repeats the same few service IDs in every cycle. */
const seen = new Map<string, string | null>();

/** `{7971f918-…}` or `7971F918-…` → `7971F918-…`; null when the text is not a GUID. */
export function normalizeServiceId(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  let id = seen.get(raw);
  if (id === undefined) {
    const m = GUID.exec(raw.trim());
    // A copy (not a slice of the caller's text), so the cache keeps no log text alive.
    id = m === null ? null : Buffer.from(m[1]!.toUpperCase(), 'latin1').toString('latin1');
    if (seen.size >= 256) seen.clear();
    seen.set(Buffer.from(raw, 'utf16le').toString('utf16le'), id);
  }
  return id;
}

/** The known service with this ID (any spelling), or undefined. */
export function updateServiceById(raw: string | null | undefined): UpdateService | undefined {
  const id = normalizeServiceId(raw);
  return id === null ? undefined : BY_ID.get(id);
}

/**
 * The name to report for a service: the table's name for a known ID, else the label the log wrote after the ID
 * (`Managed` alone still means WSUS), else null.
 */
export function updateServiceName(id: string | null, label: string | null): string | null {
  const known = updateServiceById(id);
  if (known !== undefined) return known.name;
  const l = label?.trim() ?? '';
  if (l === 'Managed') return BY_ID.get('3DA21691-E39D-4DA6-8A4B-B43877BCB1B7')!.name;
  return l === '' ? null : l;
}
