// A real local Redis Cluster (masters only) for the suites that must see CROSSSLOT, MOVED and ASK.
//
// Single-node Redis lets a script touch keys of different hash slots; Cluster rejects it. Only a
// real cluster proves the key layout is right, so this starts N cluster-enabled redis-server
// processes and joins them with `redis-cli --cluster create`.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOOPBACK } from './free-port.js';
import { findExecutable, startRedis, trackChild, type RedisHandle, REDIS_NOT_FOUND_MESSAGE } from './redis-server.js';
import { parseInfo, redisCommand, type RespValue } from './resp.js';

export const SLOT_COUNT = 16_384;

export interface ClusterNodeAddress {
  readonly host: string;
  readonly port: number;
}

export interface StartClusterOptions {
  /** Number of masters; Redis needs at least 3. Default 3. */
  readonly masters?: number | undefined;
  /** `cluster-node-timeout`. Default 2,000 ms (failure detection within a test's time budget). */
  readonly nodeTimeoutMs?: number | undefined;
  /** Bound on create + convergence. Default 30,000 ms. */
  readonly readyTimeoutMs?: number | undefined;
}

export interface ClusterHandle {
  /** Seed addresses, one per master, in start order. */
  readonly nodes: readonly ClusterNodeAddress[];
  /** The processes behind `nodes` (same order), for fault injection (pause, kill, restart). */
  readonly servers: readonly RedisHandle[];
  /** Hash slot of a key, computed locally (same as the module-level slotOf). */
  slotOf(key: string | Uint8Array): number;
  /** The master currently serving the key's slot, according to `CLUSTER SLOTS`. */
  nodeForKey(key: string | Uint8Array): Promise<ClusterNodeAddress>;
  /** Stops every node and removes their dirs. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Hash slots: CRC16/XMODEM (poly 0x1021, init 0, no reflection) of the key or its hash tag,
// modulo 16384, as in the Redis Cluster specification.

/** CRC16/XMODEM over bytes. Check value: crc16('123456789') === 0x31c3. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      // Shift left; when the top bit falls off, fold in the polynomial. Mask to 16 bits.
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The bytes Redis hashes: if the key has a `{` followed later by a `}` with at least one byte
 * between them, only the bytes between the *first* `{` and the first `}` after it; otherwise the
 * whole key. (`{}` or no closing brace: whole key. `{a}{b}`: `a`.) Works on UTF-8 bytes, as Redis
 * sees them.
 */
export function hashTagBytes(key: string | Uint8Array): Uint8Array {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const open = bytes.indexOf(OPEN_BRACE);
  if (open === -1) return bytes;
  const close = bytes.indexOf(CLOSE_BRACE, open + 1);
  if (close === -1 || close === open + 1) return bytes;
  return bytes.subarray(open + 1, close);
}

export function slotOf(key: string | Uint8Array): number {
  return crc16(hashTagBytes(key)) % SLOT_COUNT;
}

// ---------------------------------------------------------------------------------------------
// Cluster topology

interface SlotRange {
  readonly start: number;
  readonly end: number;
  readonly master: ClusterNodeAddress;
}

/** Parses `CLUSTER SLOTS`: [[start, end, [ip, port, id, ...], ...replicas], ...]. */
function parseClusterSlots(reply: RespValue): SlotRange[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected CLUSTER SLOTS reply: ${String(reply)}`);
  return reply.map((entry) => {
    if (!Array.isArray(entry)) throw new Error('unexpected CLUSTER SLOTS entry');
    const [start, end, master] = entry;
    if (typeof start !== 'number' || typeof end !== 'number' || !Array.isArray(master)) {
      throw new Error('unexpected CLUSTER SLOTS entry');
    }
    const [host, port] = master;
    if (typeof host !== 'string' || typeof port !== 'number') throw new Error('unexpected CLUSTER SLOTS node');
    return { start, end, master: { host, port } };
  });
}

async function slotTable(node: ClusterNodeAddress): Promise<SlotRange[]> {
  return parseClusterSlots(await redisCommand(node, ['CLUSTER', 'SLOTS']));
}

/** Runs redis-cli with a hard time limit; resolves with its output, rejects on non-zero exit. */
function runRedisCli(binary: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`redis-cli ${args.join(' ')} failed (code ${String(code)}, signal ${String(signal)}):\n${output}`));
    });
  });
}

/**
 * Ready means: every node reports cluster_state:ok, knows all N nodes, and has the same slot
 * table, all slots assigned. Checking only cluster_state on one node would let a client meet a
 * node that still redirects to an outdated owner.
 */
async function clusterConverged(nodes: readonly ClusterNodeAddress[]): Promise<string | undefined> {
  let reference: string | undefined;
  for (const node of nodes) {
    const info = await redisCommand(node, ['CLUSTER', 'INFO']);
    if (typeof info !== 'string') return `${node.port}: CLUSTER INFO gave ${String(info)}`;
    const fields = parseInfo(info);
    if (fields.get('cluster_state') !== 'ok') return `${node.port}: cluster_state:${String(fields.get('cluster_state'))}`;
    if (fields.get('cluster_known_nodes') !== String(nodes.length)) {
      return `${node.port}: knows ${String(fields.get('cluster_known_nodes'))} nodes`;
    }
    const table = (await slotTable(node)).sort((a, b) => a.start - b.start);
    const covered = table.reduce((sum, range) => sum + range.end - range.start + 1, 0);
    if (covered !== SLOT_COUNT) return `${node.port}: ${covered} slots assigned`;
    const serialised = JSON.stringify(table);
    reference ??= serialised;
    if (serialised !== reference) return `${node.port}: slot table differs from the first node's`;
  }
  return undefined;
}

export async function startCluster(options: StartClusterOptions = {}): Promise<ClusterHandle> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters, got ${masters}`);
  const cli = findExecutable('redis-cli');
  // redis-cli ships with redis-server (package redis-tools); the same install line fixes both.
  if (cli === undefined) throw new Error(REDIS_NOT_FOUND_MESSAGE.replace('redis-server not found', 'redis-cli not found'));
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;

  const servers: RedisHandle[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    // Started one after another: in parallel they would race for free ports.
    for (let i = 0; i < masters; i++) {
      servers.push(await startRedis({ cluster: { nodeTimeoutMs: options.nodeTimeoutMs ?? 2_000 } }));
    }
    const nodes = servers.map((server): ClusterNodeAddress => ({ host: server.host, port: server.port }));
    await runRedisCli(
      cli,
      ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      Math.max(1_000, deadline - Date.now()),
    );
    let problem: string | undefined = 'not checked yet';
    while (Date.now() < deadline) {
      problem = await clusterConverged(nodes).catch((error: unknown) => String(error));
      if (problem === undefined) break;
      await sleep(100);
    }
    if (problem !== undefined) throw new Error(`cluster did not converge within ${readyTimeoutMs} ms: ${problem}`);

    let stopping: Promise<void> | undefined;
    return {
      nodes,
      servers,
      slotOf,
      async nodeForKey(key: string | Uint8Array): Promise<ClusterNodeAddress> {
        const slot = slotOf(key);
        // Ask any live node: after a failover or reshard the first node may be down.
        let lastError: unknown;
        for (const node of nodes) {
          try {
            const range = (await slotTable(node)).find((r) => slot >= r.start && slot <= r.end);
            if (range === undefined) throw new Error(`slot ${slot} is not assigned`);
            // Nodes announce their bind address; normalise to what we connect to.
            return { host: range.master.host === '' ? LOOPBACK : range.master.host, port: range.master.port };
          } catch (error) {
            lastError = error;
          }
        }
        throw new Error(`no node could map slot ${slot}`, { cause: lastError });
      },
      stop(): Promise<void> {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
