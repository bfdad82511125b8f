/**
 * The collector URLs an agent may talk to: one URL, a comma-separated list (one MSI property, one flag, one
 * environment variable can carry several) or a JSON array. Several collectors share one database, so any of them
 * accepts this agent's token; the transport and enrollment go down the list when one does not answer.
 */
import * as z from 'zod';
import { makeError } from '@wuwatch/core';

const SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/** Why one list entry is not usable, or null when it is. */
function entryProblem(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `"${entry}" must be a ws://, wss://, http:// or https:// URL`;
  }
  if (!SCHEMES.has(url.protocol) || url.hostname === '')
    return `"${entry}" must be a ws://, wss://, http:// or https:// URL`;
  return null;
}

/**
 * One collector however its URL is spelled: ws(s) as http(s) (the agent derives one from the other), the host in
 * lower case, no default port, no trailing slash. Used to tell whether a listed URL is the collector the agent
 * enrolled with: enrolling again would make a second agent and machine for the same host.
 */
export function collectorKey(url: string): string {
  try {
    const u = new URL(url.trim());
    if (u.protocol === 'ws:') u.protocol = 'http:';
    if (u.protocol === 'wss:') u.protocol = 'https:';
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim();
  }
}

/**
 * Splits and checks a collector URL setting: every problem found, in order, or the URLs (trimmed, in the order
 * given). An empty entry (a stray comma), a URL of another scheme and a URL listed twice are problems.
 */
export function checkCollectorUrls(value: string | readonly string[]): { urls: string[]; problems: string[] } {
  const entries = typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','));
  const urls: string[] = [];
  const problems: string[] = [];
  for (const [i, raw] of entries.entries()) {
    const entry = raw.trim();
    if (entry === '') {
      problems.push(`entry ${i + 1} of the collector URL list is empty (a stray comma?)`);
      continue;
    }
    const problem = entryProblem(entry);
    if (problem) problems.push(problem);
    else if (urls.some((u) => collectorKey(u) === collectorKey(entry))) problems.push(`"${entry}" is listed twice`);
    else urls.push(entry);
  }
  if (entries.length === 0) problems.push('no collector URL is given');
  return { urls, problems };
}

/** The URLs of a collector URL setting; throws WUW_CONFIG_INVALID naming every problem. */
export function parseCollectorUrls(value: string | readonly string[]): string[] {
  const { urls, problems } = checkCollectorUrls(value);
  if (problems.length > 0) throw makeError('CONFIG_INVALID', [`collectorUrl: ${problems.join('; ')}`]);
  return urls;
}

/** A collector URL setting as the config file, environment or a flag give it: one string (commas allowed) or a list. */
export const CollectorUrlsInput = z.union([z.string(), z.array(z.string()).min(1)]);
