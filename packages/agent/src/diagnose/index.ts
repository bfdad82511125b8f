/** `diagnose`: a machine's Windows Update health in plain words, with a verdict and an exit code. */
export { GP_SETTING, diagnose } from './diagnose.js';
export { formatDiagnosis, formatDiagnosisJson } from './format.js';
export { DiagnosisFindingSchema, DiagnosisSchema, VERDICT_EXIT_CODES } from './types.js';
export type {
  DiagnoseDetection,
  DiagnoseInput,
  Diagnosis,
  DiagnosisFinding,
  Evidence,
  PlainDetection,
  Verdict,
} from './types.js';
export { codeWithMeaning, dateOf, summarizeHistory, toAttempt, whenOf } from './history.js';
export type { Attempt, FailureRun, HistorySummary } from './history.js';
export { describeProbe } from './probe-words.js';
export type { ProbeKind, ProbeWords } from './probe-words.js';
