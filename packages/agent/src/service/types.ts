/** Types of the Windows service installer: the account the service runs as, and the steps of a plan. */

/** Account the service runs as. LocalSystem (the default) matches Windows Update's own context. */
export type ServiceAccount =
  | { kind: 'LocalSystem' }
  | { kind: 'LocalService' }
  | { kind: 'NetworkService' }
  /** A domain or local account; for a gMSA end the name in `$` and give no password. */
  | { kind: 'user'; domain?: string; user: string; password?: string; allowServiceLogon?: boolean };

/** One step of a plan. `description` says why, in words an operator reads in a dry run. */
export type PlanStep =
  | { kind: 'mkdir'; description: string; path: string }
  | {
      kind: 'write';
      description: string;
      path: string;
      content: string;
      /** What a dry run prints instead of `content` (secrets replaced). */
      display?: string;
    }
  | {
      kind: 'copy';
      description: string;
      from: string;
      path: string;
      /** Skip silently when `from` does not exist. */
      optional?: boolean;
    }
  | {
      kind: 'exec';
      description: string;
      argv: string[];
      /** A non-zero exit is expected at times (stopping a stopped service) and does not end the plan. */
      ignoreFailure?: boolean;
    };

/** An ordered list of steps. */
export type Plan = PlanStep[];
