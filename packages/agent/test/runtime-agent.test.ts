// The agent's policy event, read back from its real spool after a run in --simulate mode.
import test from 'ava';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyData } from '@wuwatch/core';
import { MDM_POLICY_FILE } from '../src/sources/index.js';
import { SPOOL_DIR_NAME } from '../src/runtime/tail-cursor.js';
import { Spool } from '../src/spool/index.js';
import { cycles, makeSimDir, startSimAgent } from './helpers/sim.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url));
// Nobody listens on port 1: the events stay in the spool, where the test reads them.
const DEAD_COLLECTOR = 'http://127.0.0.1:1';

async function policyEvents(withMdm: boolean): Promise<Record<string, unknown>[]> {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-agent-policy-'));
  try {
    const today = new Date().toISOString().slice(0, 10);
    const wsus = 'http://127.0.0.1:1';
    const dir = await makeSimDir(root, 'srv-mdm', wsus, cycles(today, 0, 1, wsus, null));
    if (withMdm) await copyFile(fixturePath('regquery-mdm-update.txt'), join(dir, MDM_POLICY_FILE));
    const agent = await startSimAgent(dir, DEAD_COLLECTOR, { agentId: 'a-1', token: 'wwa_test' }, 'srv-mdm');
    await agent.stop(100);
    const spool = await Spool.open({ dir: join(dir, 'state', SPOOL_DIR_NAME) });
    try {
      const events = await spool.peek(0, 10_000, 64 << 20);
      return events.filter((e) => e.kind === 'policy').map((e) => e.data);
    } finally {
      await spool.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('the policy event carries the MDM store from mdm.reg as data.mdm, valid for the wire protocol', async (t) => {
  const [data] = await policyEvents(true);
  t.truthy(data);
  const parsed = PolicyData.parse(data);
  t.like(parsed.mdm, { present: true, update: { DeferQualityUpdatesPeriodInDays: 7 } });
  t.like(parsed.policy, { keys: { windowsUpdate: true } });
});

test('without mdm.reg the policy event says the MDM store is absent', async (t) => {
  const [data] = await policyEvents(false);
  t.like(PolicyData.parse(data).mdm, { present: false, mdmWinsOverGp: null });
});
