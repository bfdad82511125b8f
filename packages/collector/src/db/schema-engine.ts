import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/** The slice of the WebAssembly global we use; lib "es2023" without DOM does not declare it. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
}

interface PanicRegistry {
  set_message(message: string): void;
}

/** Message of the engine's last Rust panic, captured by {@link engineImports}. */
let lastPanic = '';

let runtime: Promise<EngineModule> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * The wasm imports, with two fixes. (1) The engine arms 10 s timers (timeouts raced against queries) and never
 * clears them, which kept `db:migrate` and test processes alive 10 s after their work; unref'd timers still fire but
 * hold nothing open. (2) Panics are reported through `globalThis.PRISMA_WASM_PANIC_REGISTRY`, which the Prisma client
 * runtime replaces with one that throws from inside the panic hook; the engine's panics are captured here instead.
 */
function engineImports(rt: EngineModule): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...rt };
  for (const [name, original] of Object.entries(imports)) {
    if (name.startsWith('__wbg_setTimeout_')) {
      imports[name] = (fn: () => void, ms: number) => setTimeout(fn, ms >>> 0).unref();
    } else if (name.startsWith('__wbg_set_message_') && typeof original === 'function') {
      imports[name] = (...args: unknown[]) => {
        const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
        const saved = g.PRISMA_WASM_PANIC_REGISTRY;
        g.PRISMA_WASM_PANIC_REGISTRY = { set_message: (m) => (lastPanic = m) };
        try {
          (original as (...a: unknown[]) => void)(...args);
        } finally {
          g.PRISMA_WASM_PANIC_REGISTRY = saved;
        }
      };
    }
  }
  return imports;
}

/**
 * Instantiates the wasm schema engine once per process. wasm-bindgen keeps the instance in a module global
 * (`__wbg_set_wasm`), so a second instantiation would swap the memory under engines that are still running.
 */
function loadRuntime(): Promise<EngineModule> {
  runtime ??= (async () => {
    const rt: EngineModule = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    const wasmPath = join(
      dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
      'schema_engine_bg.wasm',
    );
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(await readFile(wasmPath)), {
      './schema_engine_bg.js': engineImports(rt),
    });
    rt.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return rt;
  })();
  return runtime;
}

/**
 * Runs `fn` with a fresh schema engine over `factory`, one at a time per process, and frees the engine afterwards.
 * Serialising keeps concurrent callers (parallel tests, a CLI and a server in one process) off the shared wasm memory.
 */
export function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const run = async (): Promise<T> => {
    const rt = await loadRuntime();
    const engine = await rt.SchemaEngine.new(
      { datamodels: undefined },
      () => {},
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    lastPanic = '';
    try {
      return await fn(engine);
    } catch (err) {
      if (lastPanic) throw new Error(`schema engine panicked: ${lastPanic}`, { cause: err });
      throw err;
    } finally {
      engine.free();
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}
