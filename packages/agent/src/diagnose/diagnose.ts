/**
 * `diagnose`: one machine's Windows Update health in plain words, from its policy, a WSUS probe, recent detections
 * and WUA results. Pure: data in, verdict out. Problems, in the order they explain each other: broken policy, a
 * WUServer that is ignored, an unreachable or failing WSUS server, failing detection, stale detection.
 * `healthy` needs positive evidence (a good probe or a recent success); with none and no problem it is `unknown`.
 */
import { assessPolicy, describeHresult } from '@wuwatch/core';
import type { PolicyAssessment, PolicyProblem, ProbeData, UpdatePolicy } from '@wuwatch/core';
import { codeWithMeaning, dateOf, summarizeHistory, whenOf } from './history.js';
import type { HistorySummary } from './history.js';
import { describeProbe } from './probe-words.js';
import type { ProbeWords } from './probe-words.js';
import { VERDICT_EXIT_CODES } from './types.js';
import type { DiagnoseInput, Diagnosis, DiagnosisFinding, Evidence, Verdict } from './types.js';

/** The Group Policy setting that points machines at WSUS, quoted as the operator sees it in gpedit. */
export const GP_SETTING = "'Specify intranet Microsoft update service location'";
const NOT_CONFIGURED_FIX =
  `set the policy ${GP_SETTING} to Not Configured in the GPO that sets it (GPMC or gpedit.msc), ` +
  'run gpupdate /force and restart the wuauserv service so this machine uses Microsoft Update';
const STALE_FIX =
  'To fix: check that the Windows Update service (wuauserv) is not disabled (0x80070422) and that Automatic Updates ' +
  'is on, then start a scan (UsoClient StartScan on Windows 10/Server 2016 and later, wuauclt /detectnow on older ' +
  'systems) and look for a successful detection.';
const DEFAULT_FAILURE_THRESHOLD = 2;
const HOUR_MS = 3_600_000;

interface Problem {
  finding: DiagnosisFinding;
  headline: string;
  fix: string | null;
}

/** Diagnoses one machine. */
export function diagnose(input: DiagnoseInput): Diagnosis {
  if (input.policy === null) return unreadablePolicy(input.policyError ?? null);
  const policy = input.policy;
  const assessment = input.assessment ?? assessPolicy(policy);
  const wsusUrl = assessment.source === 'wsus' ? assessment.wsusUrl : null;
  const history = summarizeHistory(input.detections, input.wua?.lastSearchSuccessDate ?? null);
  const nowMs = typeof input.now === 'string' ? Date.parse(input.now) : input.now.getTime();
  const threshold = input.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  const staleAfterHours = input.staleAfterHours ?? 3 * assessment.detectionIntervalHours;

  const problems: Problem[] = [];
  const notes: DiagnosisFinding[] = [];
  const source = sourceSentence(policy, assessment);
  const policyText: string[] = [];
  const evidenceText: string[] = [];
  notes.push(note('UPDATE_SOURCE', source, sourceEvidence(assessment)));

  for (const p of assessment.problems) {
    if (p.severity === 'error' || p.code === 'WUSERVER_IGNORED') {
      problems.push(policyProblem(p, wsusUrl));
      policyText.push(p.message);
    } else {
      notes.push(note(p.code, p.message, { severity: p.severity, value: p.value ?? null }));
    }
  }

  const probe = wsusUrl !== null && input.probe !== null ? describeProbe(input.probe) : null;
  if (probe !== null && input.probe !== null) {
    evidenceText.push(probe.sentence);
    if (probe.kind === 'ok') notes.push(note('WSUS_REACHABLE', probe.sentence, probeEvidence(input.probe)));
    else problems.push(probeProblem(probe, input.probe, wsusUrl!));
  } else if (wsusUrl !== null) {
    notes.push(note('WSUS_NOT_PROBED', 'The WSUS server was not probed from this machine.', { wsusUrl }));
  }

  const detection = detectionSentence(history);
  if (detection !== null) evidenceText.push(detection);
  const run = history.run;
  if (run !== null && run.count >= threshold) {
    problems.push(failingProblem(history, detection!, wsusUrl, probe));
  } else if (run !== null) {
    notes.push(note('DETECTION_FAILED_ONCE', detection!, runEvidence(history)));
  } else if (history.lastSuccess !== null) {
    const evidence = { lastSuccess: history.lastSuccess.time, source: history.lastSuccess.source };
    notes.push(note('DETECTION_OK', detection!, evidence));
  } else {
    notes.push(note('NO_DETECTION_HISTORY', NO_HISTORY, {}));
  }

  const channel = input.eventChannel ?? null;
  if (channel?.state === 'disabled') {
    const message = `The event channel ${OPERATIONAL} is disabled, so no detection on this machine is recorded where wuwatch (or anyone) can see it.`;
    problems.push({
      finding: { code: 'EVENT_CHANNEL_DISABLED', severity: 'problem', message, evidence: { channel: OPERATIONAL } },
      headline: 'Windows Update events are not recorded: their event channel is disabled',
      fix: `Enable it: wevtutil sl ${OPERATIONAL} /e:true (or in Event Viewer: Applications and Services Logs > Microsoft > Windows > WindowsUpdateClient > Operational > Enable Log).`,
    });
    evidenceText.push(message);
  } else if (channel?.state === 'no_wevtutil' || channel?.state === 'unknown') {
    const message =
      channel.state === 'no_wevtutil'
        ? 'wevtutil.exe is missing, so the Windows Update event channels cannot be read; policy, probe and WUA results still are.'
        : `Whether the ${OPERATIONAL} channel is enabled could not be read (${channel.detail ?? 'no answer'}).`;
    notes.push(
      note(channel.state === 'no_wevtutil' ? 'NO_WEVTUTIL' : 'EVENT_CHANNEL_UNKNOWN', message, {
        detail: channel.detail ?? null,
      }),
    );
  }

  const stale = staleProblem(history, nowMs, staleAfterHours, assessment.detectionIntervalHours);
  if (stale !== null) {
    evidenceText.push(stale.finding.message);
    problems.push(stale);
  }

  const sentences = [source, ...policyText, ...evidenceText];
  const findings = [...problems.map((p) => p.finding), ...notes];
  const primary = problems[0];
  if (primary !== undefined) {
    if (primary.fix !== null) sentences.push(primary.fix);
    return result('problem', primary.headline, findings, sentences);
  }
  const recentSuccess = history.lastSuccess !== null && stale === null;
  if (probe?.kind === 'ok' || recentSuccess) {
    return result('healthy', healthyHeadline(wsusUrl, history, recentSuccess), findings, sentences);
  }
  sentences.push(
    wsusUrl === null
      ? 'No detection history is available, so wuwatch cannot tell whether updates work.'
      : 'No detection history is available and the server was not probed, so wuwatch cannot tell whether updates work.',
  );
  return result('unknown', 'Not enough information to judge Windows Update on this machine', findings, sentences);
}

const OPERATIONAL = 'Microsoft-Windows-WindowsUpdateClient/Operational';

const NO_HISTORY = 'No detection history is available (no log records, events or WUA results).';

function unreadablePolicy(reason: string | null): Diagnosis {
  const message =
    `wuwatch could not read the Windows Update policy of this machine${reason === null ? '' : ` (${reason})`}, ` +
    'so it cannot tell where updates should come from. Run the agent as Administrator or LocalSystem and try again.';
  return result(
    'unknown',
    'Could not read the Windows Update policy',
    [{ code: 'POLICY_UNREADABLE', severity: 'problem', message, evidence: { reason } }],
    [message],
  );
}

function sourceSentence(policy: UpdatePolicy, a: PolicyAssessment): string {
  const codes = new Set(a.problems.map((p) => p.code));
  if (a.source === 'wsus')
    return `Windows Update is managed by WSUS at ${a.wsusUrl} (Group Policy ${GP_SETTING} = Enabled).`;
  if (codes.has('USE_WUSERVER_WITHOUT_WUSERVER')) {
    return 'Group Policy tells Windows Update to use a WSUS server (UseWUServer = 1) but names none (WUServer is empty).';
  }
  if (codes.has('WUSERVER_IGNORED')) {
    return (
      `Windows Update gets updates from Microsoft Update: WUServer is set to ${policy.windowsUpdate.WUServer?.trim()} ` +
      `but UseWUServer is ${policy.au.UseWUServer ?? 'absent'}, so that server is ignored.`
    );
  }
  if (a.source === 'disabled') {
    return 'Group Policy turns off access to Windows Update (DisableWindowsUpdateAccess = 1) and names no WSUS server.';
  }
  return 'Windows Update gets updates from Microsoft Update; no WSUS server is set by Group Policy.';
}

function sourceEvidence(a: PolicyAssessment): Evidence {
  return {
    source: a.source,
    wsusUrl: a.wsusUrl,
    statusUrl: a.statusUrl,
    detectionIntervalHours: a.detectionIntervalHours,
  };
}

const POLICY_HEADLINES: Record<string, string> = {
  USE_WUSERVER_WITHOUT_WUSERVER: 'Windows Update policy enables WSUS but names no server',
  INVALID_WSUS_URL: 'The WSUS URL set by Group Policy is not usable',
  ACCESS_DISABLED_NO_WSUS: 'Group Policy turns off access to Windows Update',
};

function policyProblem(p: PolicyProblem, wsusUrl: string | null): Problem {
  const headline =
    p.code === 'WUSERVER_IGNORED'
      ? `WUServer ${String(p.value)} is set but ignored (UseWUServer is not 1)`
      : (POLICY_HEADLINES[p.code] ?? `Windows Update policy problem: ${p.code}`);
  return {
    finding: { code: p.code, severity: 'problem', message: p.message, evidence: { value: p.value ?? null, wsusUrl } },
    headline,
    fix: null, // the policy message already says what to do
  };
}

function probeEvidence(probe: ProbeData): Evidence {
  return {
    url: probe.url,
    class: probe.class,
    httpStatus: probe.httpStatus,
    hresult: probe.hresult,
    failedStep: probe.failedStep,
    message: probe.message,
  };
}

function probeProblem(words: ProbeWords, probe: ProbeData, wsusUrl: string): Problem {
  const code =
    words.kind === 'server_error'
      ? 'WSUS_SERVER_ERROR'
      : words.kind === 'proxy_auth'
        ? 'WSUS_PROXY_AUTH'
        : words.kind === 'invalid_url'
          ? 'WSUS_INVALID_URL'
          : words.kind === 'proxy'
            ? 'WINHTTP_PROXY_UNREACHABLE'
            : 'WSUS_UNREACHABLE';
  const headline =
    words.kind === 'server_error'
      ? `WSUS server ${wsusUrl} answers with an error (${words.short})`
      : words.kind === 'proxy_auth' || words.kind === 'proxy'
        ? `The WinHTTP proxy keeps this machine from WSUS server ${wsusUrl} (${words.short})`
        : `WSUS server ${wsusUrl} is unreachable from this machine (${words.short})`;
  const fix =
    words.kind === 'proxy_auth' || words.kind === 'proxy'
      ? `To fix: ${words.restore}.`
      : `To fix: ${words.restore}, or ${NOT_CONFIGURED_FIX}.`;
  return {
    finding: { code, severity: 'problem', message: words.sentence, evidence: probeEvidence(probe) },
    headline,
    fix,
  };
}

function detectionSentence(h: HistorySummary): string | null {
  const run = h.run;
  const last = h.lastSuccess === null ? '' : ` The last successful detection was on ${whenOf(h.lastSuccess.time)}.`;
  if (run === null)
    return h.lastSuccess === null ? null : `The last detection succeeded on ${whenOf(h.lastSuccess.time)}.`;
  const code = run.code === null ? ' without an error code' : ` with ${codeWithMeaning(run.code)}`;
  if (run.count === 1) {
    return `The last detection failed${run.last === null ? '' : ` on ${whenOf(run.last)}`}${code}.${last}`;
  }
  const since = run.since === null ? '' : ` since ${dateOf(run.since)}`;
  const how = run.mixedCodes && run.code !== null ? `, most often with ${codeWithMeaning(run.code)}` : code;
  const none = h.lastSuccess === null ? ' No successful detection is recorded.' : last;
  return `Detection has failed ${run.count} times${since}${how}.${none}`;
}

function runEvidence(h: HistorySummary): Evidence {
  const run = h.run!;
  return {
    count: run.count,
    since: run.since,
    last: run.last,
    hresult: run.code,
    name: run.code === null ? null : describeHresult(run.code).name,
    source: run.source,
    lastSuccess: h.lastSuccess?.time ?? null,
  };
}

function failingProblem(
  h: HistorySummary,
  sentence: string,
  wsusUrl: string | null,
  probe: ProbeWords | null,
): Problem {
  const run = h.run!;
  const cls = run.code === null ? 'unknown' : describeHresult(run.code).class;
  const since = run.since === null ? '' : ` since ${dateOf(run.since)}`;
  const headline = `Windows Update detection is failing (${run.count} times${since}${run.code === null ? '' : `, ${run.code}`})`;
  let fix: string | null;
  if (wsusUrl !== null && (cls === 'unreachable' || cls === 'server_error')) {
    fix = `To fix: ${probe?.restore ?? 'restore the server'}, or ${NOT_CONFIGURED_FIX}.`;
  } else if (run.code !== null) {
    fix = `To fix: ${describeHresult(run.code).remedy.split('\n')[0]}`;
  } else {
    fix = null;
  }
  return {
    finding: { code: 'DETECTION_FAILING', severity: 'problem', message: sentence, evidence: runEvidence(h) },
    headline,
    fix,
  };
}

function staleProblem(
  h: HistorySummary,
  nowMs: number,
  staleAfterHours: number,
  intervalHours: number,
): Problem | null {
  const last = h.lastSuccess;
  if (last === null || last.ms === null || Number.isNaN(nowMs)) return null;
  const hours = (nowMs - last.ms) / HOUR_MS;
  if (hours <= staleAfterHours) return null;
  const span = hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} hours`;
  const message =
    `No detection has succeeded for ${span} (last success ${whenOf(last.time)}); ` +
    `Windows Update should scan every ${intervalHours} hours.`;
  return {
    finding: {
      code: 'DETECTION_STALE',
      severity: 'problem',
      message,
      evidence: { lastSuccess: last.time, source: last.source, hoursSince: Math.floor(hours), staleAfterHours },
    },
    headline: `No successful Windows Update detection for ${span}`,
    fix: STALE_FIX,
  };
}

function healthyHeadline(wsusUrl: string | null, h: HistorySummary, recentSuccess: boolean): string {
  const when =
    recentSuccess && h.lastSuccess !== null ? `, last detection succeeded on ${whenOf(h.lastSuccess.time)}` : '';
  if (wsusUrl === null) return `Windows Update is healthy: Microsoft Update${when}`;
  return recentSuccess
    ? `Windows Update is healthy: WSUS server ${wsusUrl} answers${when}`
    : `Windows Update looks healthy: WSUS server ${wsusUrl} answers (no recent detection to confirm)`;
}

function note(code: string, message: string, evidence: Evidence): DiagnosisFinding {
  return { code, severity: 'note', message, evidence };
}

function result(verdict: Verdict, headline: string, findings: DiagnosisFinding[], sentences: string[]): Diagnosis {
  return { verdict, exitCode: VERDICT_EXIT_CODES[verdict], headline, findings, text: sentences.join(' ') };
}
