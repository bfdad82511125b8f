import test from 'ava';
import { isWuwatchError } from '@wuwatch/core';
import { programDataDir, resolveStateDir, system32Path } from '../src/platform/index.js';

test('programDataDir reads %ProgramData% and falls back like Windows does', (t) => {
  t.is(programDataDir({ ProgramData: 'D:\\PD' }), 'D:\\PD');
  t.is(programDataDir({ ALLUSERSPROFILE: 'C:\\ProgramData2' }), 'C:\\ProgramData2');
  t.is(programDataDir({}), 'C:\\ProgramData');
});

test('the Windows state directory is %ProgramData%\\wuwatch, built with Windows separators on any host', (t) => {
  t.is(resolveStateDir({ platform: 'win32', env: { ProgramData: 'C:\\ProgramData' } }), 'C:\\ProgramData\\wuwatch');
  t.is(resolveStateDir({ platform: 'win32', env: {}, override: 'E:\\wuwatch-state' }), 'E:\\wuwatch-state');
});

test('on Linux the state directory must be passed in', (t) => {
  t.is(resolveStateDir({ platform: 'linux', override: '/var/lib/wuwatch' }), '/var/lib/wuwatch');
  const err = t.throws(() => resolveStateDir({ platform: 'linux', override: '  ' }));
  t.true(isWuwatchError(err, 'CONFIG_INVALID'));
  t.regex(err.message, /stateDir is required on linux/);
});

test('system32Path uses %SystemRoot% so tools are never looked up on PATH', (t) => {
  t.is(system32Path('reg.exe', { SystemRoot: 'D:\\WINDOWS' }), 'D:\\WINDOWS\\System32\\reg.exe');
  t.is(system32Path('netsh.exe', {}), 'C:\\Windows\\System32\\netsh.exe');
});
