/** The behaviours a WSUS stand-in can have (pure: shared by the scenario schema and the stand-ins). */

/** Behaviour of a WSUS stand-in. */
export type StandinMode = 'healthy' | '503' | 'hang' | '404' | '500' | 'refuse';

/** Every stand-in behaviour, for validation. */
export const STANDIN_MODES = [
  'healthy',
  '503',
  'hang',
  '404',
  '500',
  'refuse',
] as const satisfies readonly StandinMode[];
