// Real redis-server processes for the Redis suites: free port, own temp dir, stopped by pid.
//
// Why real processes: the faults the reliability scenarios need (SIGKILL, SIGSTOP, restart with and
// without AOF, eviction, cluster redirections) are properties of the server, not of a mock.
// Why never skip: a suite that silently skips when Redis is missing proves nothing in CI, so a
// missing binary is a loud error that says how to install it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, freePorts, LOOPBACK } from './free-port.js';
import { parseInfo, redisCommands } from './resp.js';

export const REDIS_NOT_FOUND_MESSAGE =
  'redis-server not found: install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`; the Redis suites never skip';

export interface StartRedisOptions {
  /** Extra command-line options, appended last so they override the defaults. */
  readonly args?: readonly string[] | undefined;
  /** `--appendonly yes` (AOF, fsync everysec unless `args` say otherwise). Default false. */
  readonly appendonly?: boolean | undefined;
  /** `--requirepass`; readiness checks and `url` use it. */
  readonly password?: string | undefined;
  /** `--maxmemory`, e.g. `'2mb'`. */
  readonly maxmemory?: string | undefined;
  /** `--maxmemory-policy`, e.g. `'allkeys-lru'` or `'noeviction'`. */
  readonly maxmemoryPolicy?: string | undefined;
  /**
   * Cluster mode: also reserves a free port for the cluster bus (`--cluster-port`), because the
   * default bus port (port + 10000) can exceed 65535 or belong to someone else. Used by
   * startCluster; nodes.conf lives in the server's own dir.
   */
  readonly cluster?: { readonly nodeTimeoutMs?: number | undefined } | undefined;
  /** How long to wait for the first PONG. Default 10,000 ms. */
  readonly readyTimeoutMs?: number | undefined;
}

export interface RedisHandle {
  readonly host: typeof LOOPBACK;
  readonly port: number;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  readonly dir: string;
  /** `redis://[:password@]127.0.0.1:port` */
  readonly url: string;
  readonly password: string | undefined;
  /** Cluster bus port when started with `cluster`, else undefined. */
  readonly busPort: number | undefined;
  /** True until the current process has exited. */
  readonly running: boolean;
  /** The last few KB of the server's stdout and stderr, for failure messages. */
  output(): string;
  /** SIGTERM (then SIGKILL after 5 s), wait for exit, remove the dir. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal to the current process without waiting. Default SIGKILL. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves once the current process has exited (bounded). */
  waitForExit(timeoutMs?: number): Promise<void>;
  /**
   * Stops the current process if it still runs (SIGTERM, so AOF is flushed; call kill('SIGKILL')
   * first to simulate a crash), then starts a new one on the same port with the same dir and
   * options, and waits for PONG.
   */
  restart(): Promise<void>;
  /** SIGSTOP: the process is frozen, connections stay open, nothing is answered. */
  pause(): void;
  /** SIGCONT: the process continues and handles whatever arrived meanwhile. */
  resume(): void;
}

// ---------------------------------------------------------------------------------------------
// Process registry: nothing we spawn may outlive the test process.

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Registers a child so that it is SIGKILLed if the test process exits while it still runs. */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

function trackDir(dir: string): void {
  installExitHook();
  liveDirs.add(dir);
}

function killEverythingNow(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      // SIGKILL also ends a SIGSTOPped process; SIGTERM would stay pending forever.
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  liveChildren.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort at exit: a leftover temp dir is not worth crashing the exit path.
    }
  }
  liveDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: process.kill and rmSync are.
  process.on('exit', killEverythingNow);
  // A signal that would kill us skips 'exit'. Clean up, then let the signal do what it would have
  // done, unless someone else (e.g. the test runner) handles it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killEverythingNow();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Binaries

/** Absolute path of an executable on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

/** redis-server's path, or a thrown Error that says how to install it. */
export function requireRedisServer(): string {
  const found = findExecutable('redis-server');
  if (found === undefined) throw new Error(REDIS_NOT_FOUND_MESSAGE);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Starting and stopping

const OUTPUT_LIMIT = 16 * 1024;

interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output(): string;
}

function spawnServer(binary: string, args: readonly string[], dir: string): Spawned {
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    // Keep only the tail: the interesting lines of a failed start are the last ones.
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    // 'error' without 'exit' happens when spawn itself fails (e.g. the binary vanished).
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      collect(Buffer.from(`\n[spawn error] ${error.message}\n`));
      resolve();
    });
  });
  return { child, exited, output: () => output };
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined;
}

function isAddressInUse(output: string): boolean {
  return /address already in use/i.test(output);
}

class RedisStartError extends Error {
  override readonly name = 'RedisStartError';
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

/**
 * Polls PING until it answers PONG from *our* process (INFO's process_id must be our pid: on a
 * port race another server could answer). Fails fast if the process exits, and after `timeoutMs`.
 */
async function waitUntilReady(
  spawned: Spawned,
  port: number,
  password: string | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { child } = spawned;
  const options = password === undefined ? { timeoutMs: 1_000 } : { timeoutMs: 1_000, password };
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      const output = spawned.output();
      throw new RedisStartError(
        `redis-server on port ${port} exited during start-up (code ${String(child.exitCode)}, signal ${String(child.signalCode)}):\n${output}`,
        isAddressInUse(output),
      );
    }
    try {
      const [pong, info] = await redisCommands({ host: LOOPBACK, port }, [['PING'], ['INFO', 'server']], options);
      const pid = typeof info === 'string' ? parseInfo(info).get('process_id') : undefined;
      if (pong === 'PONG' && pid === String(child.pid)) return;
      lastProblem = `PING → ${String(pong)}, process_id ${String(pid)} (ours is ${String(child.pid)})`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(25);
  }
  child.kill('SIGKILL');
  await spawned.exited;
  throw new RedisStartError(
    `redis-server on port ${port} did not answer PING within ${timeoutMs} ms (${lastProblem}):\n${spawned.output()}`,
    false,
  );
}

/** SIGTERM (+SIGCONT in case it is paused), then SIGKILL if it will not go. */
async function terminate(spawned: Spawned, graceMs = 5_000): Promise<void> {
  const { child } = spawned;
  if (hasExited(child)) {
    await spawned.exited;
    return;
  }
  child.kill('SIGTERM');
  // A stopped process keeps SIGTERM pending until it is continued.
  child.kill('SIGCONT');
  const timedOut = Symbol('timeout');
  const first = await Promise.race([spawned.exited, sleep(graceMs, timedOut)]);
  if (first !== timedOut) return;
  child.kill('SIGKILL');
  const second = await Promise.race([spawned.exited, sleep(5_000, timedOut)]);
  if (second === timedOut) throw new Error(`redis-server pid ${String(child.pid)} survived SIGKILL`);
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisHandle> {
  const binary = requireRedisServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sluice-redis-'));
  trackDir(dir);
  const password = options.password;
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;

  const buildArgs = (port: number, busPort: number | undefined): string[] => {
    const args = [
      '--port', String(port),
      '--bind', LOOPBACK,
      '--dir', dir,
      // No RDB snapshots: tests decide persistence explicitly through appendonly.
      '--save', '',
      '--appendonly', options.appendonly === true ? 'yes' : 'no',
      '--protected-mode', 'no',
      '--daemonize', 'no',
    ];
    if (password !== undefined) args.push('--requirepass', password);
    if (options.maxmemory !== undefined) args.push('--maxmemory', options.maxmemory);
    if (options.maxmemoryPolicy !== undefined) args.push('--maxmemory-policy', options.maxmemoryPolicy);
    if (options.cluster !== undefined && busPort !== undefined) {
      args.push(
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', String(options.cluster.nodeTimeoutMs ?? 2_000),
        '--cluster-port', String(busPort),
      );
    }
    args.push(...(options.args ?? []));
    return args;
  };

  // Start on fresh ports; a lost port race (EADDRINUSE) just means trying other ports.
  let port = 0;
  let busPort: number | undefined;
  let current: Spawned | undefined;
  for (let attempt = 1; current === undefined; attempt++) {
    if (options.cluster === undefined) {
      port = await freePort();
    } else {
      // Picked together so the two can never be the same port.
      const [dataPort, clusterBusPort] = await freePorts(2);
      port = dataPort ?? 0;
      busPort = clusterBusPort;
    }
    const spawned = spawnServer(binary, buildArgs(port, busPort), dir);
    try {
      await waitUntilReady(spawned, port, password, readyTimeoutMs);
      current = spawned;
    } catch (error) {
      await terminate(spawned);
      if (!(error instanceof RedisStartError && error.addressInUse && attempt < 5)) {
        liveDirs.delete(dir);
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  let active: Spawned = current;
  let stopping: Promise<void> | undefined;
  const fixedPort = port;
  const fixedBusPort = busPort;
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;

  const handle: RedisHandle = {
    host: LOOPBACK,
    port: fixedPort,
    get pid(): number {
      // spawnServer only hands out processes that answered PING, so pid is set.
      return active.child.pid ?? -1;
    },
    dir,
    url: `redis://${auth}${LOOPBACK}:${fixedPort}`,
    password,
    busPort: fixedBusPort,
    get running(): boolean {
      return !hasExited(active.child);
    },
    output: () => active.output(),
    stop(): Promise<void> {
      stopping ??= (async () => {
        await terminate(active);
        liveDirs.delete(dir);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
    kill(signal: NodeJS.Signals = 'SIGKILL'): void {
      if (!hasExited(active.child)) active.child.kill(signal);
    },
    async waitForExit(timeoutMs = 5_000): Promise<void> {
      const timedOut = Symbol('timeout');
      const result = await Promise.race([active.exited, sleep(timeoutMs, timedOut)]);
      if (result === timedOut) throw new Error(`redis-server pid ${handle.pid} still running after ${timeoutMs} ms`);
    },
    async restart(): Promise<void> {
      if (stopping !== undefined) throw new Error('restart() after stop()');
      await terminate(active);
      // Same port: Redis sets SO_REUSEADDR, so TIME_WAIT is no obstacle, but another process may
      // have grabbed the port in the gap; retry briefly, then report.
      let lastError: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        const spawned = spawnServer(binary, buildArgs(fixedPort, fixedBusPort), dir);
        try {
          await waitUntilReady(spawned, fixedPort, password, readyTimeoutMs);
          active = spawned;
          return;
        } catch (error) {
          await terminate(spawned);
          lastError = error;
          if (!(error instanceof RedisStartError && error.addressInUse)) break;
          await sleep(100);
        }
      }
      throw lastError;
    },
    pause(): void {
      if (!hasExited(active.child)) active.child.kill('SIGSTOP');
    },
    resume(): void {
      if (!hasExited(active.child)) active.child.kill('SIGCONT');
    },
  };
  return handle;
}
