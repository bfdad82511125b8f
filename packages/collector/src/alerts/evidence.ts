/** Evidence every alert rule builds the same way: an HRESULT explained from core's catalogue (tryDescribeHresult). */
import type { HresultDescription } from '@wuwatch/core';
import type { AlertEvidence } from './types.js';

/** The evidence fields of a described code: its code, name, meaning and HTTP status. */
export function hresultEvidence(d: HresultDescription | undefined): AlertEvidence {
  if (!d) return {};
  const ev: AlertEvidence = { hresult: d.code, hresultName: d.name, meaning: d.description };
  if (d.httpStatus !== undefined) ev.httpStatus = d.httpStatus;
  return ev;
}
