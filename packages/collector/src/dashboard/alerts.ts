/**
 * Hook for the machine page's "Alerts" section. Alerting is being built separately; until it is wired in,
 * `alertsFor` returns no alerts and the page shows the machine's status reasons (what alert rules act on) instead.
 */

/** A firing alert as the machine page shows it. */
export interface MachineAlert {
  id: string;
  rule: string;
  state: string;
  severity: string;
  title: string;
  summary: string;
  firingSince: Date | string;
}

/** Firing alerts that concern one machine. Placeholder: always empty until alerts are wired into the dashboard. */
export async function alertsFor(_machineId: string): Promise<MachineAlert[]> {
  return [];
}
