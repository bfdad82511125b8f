// `diagnose` and `run` look at a folder the same way: same mode choice, same refusal of a folder that is not there.
import test from 'ava';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { capture } from './helpers/capture.js';
import { detectMode } from '../src/tail/mode.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { policyReg } from './helpers/sim.js';

const FIELD_REPORT = fileURLToPath(
  new URL('../../core/test/fixtures/shared/wulog/pasted/field-report-80244022.log', import.meta.url),
);

test('--simulate on a missing folder is an error for run and diagnose, and creates nothing', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-missing-'));
  try {
    const missing = join(root, 'srv-typo');
    const d = capture();
    t.is(await main(['diagnose', '--simulate', missing], d.io), 2);
    t.regex(d.err(), /srv-typo" does not exist/);
    const r = capture();
    t.is(
      await main(['run', '--simulate', missing, '--collector', 'http://127.0.0.1:9', '--enroll-secret', 'x'], r.io),
      2,
    );
    t.regex(r.err(), /srv-typo" does not exist/);
    t.false(existsSync(missing));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('diagnose reads detections from where run would: not from a pasted log that run does not tail', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-agree-'));
  const wsus = await startWsusStandin('healthy');
  try {
    await writeFile(join(root, 'policy.reg'), policyReg(wsus.url));
    await copyFile(FIELD_REPORT, join(root, 'WindowsUpdate.log'));
    // The field report excerpt is not a legacy log: run reads the event channels (none here), not this file.
    t.is((await detectMode(join(root, 'WindowsUpdate.log'))).mode, 'event');
    const c = capture();
    t.is(await main(['diagnose', '--simulate', root, '--json'], c.io), 0, c.out());
    t.notRegex(c.out(), /0x80244022/);
  } finally {
    await wsus.close();
    await rm(root, { recursive: true, force: true });
  }
});
