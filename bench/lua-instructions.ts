// How many machine instructions redis-server spends inside EVALSHA per admission call, counted by
// valgrind's callgrind: unlike wall time on a shared 2-core machine (±30% between runs), the count
// repeats to within ~1%, so a change to lua/admit.lua of a few percent can be seen at all.
//
// Method: the shipped RedisStore makes real calls against a plain redis-server and the EVALSHA
// arguments are captured (the explicit clock fixed, so that a replay decides the same way); then a
// redis-server under callgrind (counting only inside evalShaCommand: the script, the commands it
// runs and its reply) replays them from an empty database. `node dist/bench/lua-instructions.js`
// after `npm run build`; needs valgrind (`apt-get install -y valgrind`). Takes a few minutes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisStore, type Policy } from '../src/index.js';
import { four, message, OPEN, single } from './redis.js';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { SCRIPTS } from '../src/store/redis/scripts.js';
import { freePort } from '../test/support/free-port.js';
import { findExecutable, startRedis } from '../test/support/redis-server.js';

interface Capture {
  readonly args: string[][];
  readonly messages: number;
  /** The script body the calls ran (sluice's admit script, or the peer's). */
  readonly lua: string;
}

/** Runs `calls` against a fresh redis-server and returns the EVALSHA argument lists they sent. */
async function captureEvalsha(calls: (client: Redis) => Promise<void>): Promise<string[][]> {
  const server = await startRedis();
  const client = new Redis({ host: server.host, port: server.port });
  try {
    const args: string[][] = [];
    type Send = (command: { name: string; args: unknown[] }, ...rest: unknown[]) => unknown;
    const original = client.sendCommand.bind(client) as unknown as Send;
    (client as unknown as { sendCommand: Send }).sendCommand = (command, ...rest) => {
      if (command.name === 'evalsha') args.push(command.args.map(String));
      return original(command, ...rest);
    };
    await calls(client);
    return args;
  } finally {
    client.disconnect();
    await server.stop();
  }
}

/** The peer's consume (rate-limiter-flexible RateLimiterRedis, one limit) on the same server. */
async function capturePeer(calls: number): Promise<Capture> {
  let lua = '';
  const args = await captureEvalsha(async (client) => {
    const peer = new RateLimiterRedis({ storeClient: client, points: OPEN, duration: 1, keyPrefix: 'rlf' });
    for (let c = 0; c < calls; c++) await peer.consume(`num-${c % 4}`);
    // ioredis loads a defined command's body without going through sendCommand: read it from the peer.
    lua = String((peer as unknown as { _incrTtlLuaScript?: string })._incrTtlLuaScript ?? '');
  });
  if (lua === '' || args.length === 0) throw new Error('the peer script or its calls were not captured');
  return { args, messages: calls, lua };
}

/** `calls` admission calls of `perCall` messages each (concurrent admits, coalesced by the store). */
async function capture(policy: Policy, perCall: number, calls: number): Promise<Capture> {
  const args = await captureEvalsha(async (client) => {
    const store = await RedisStore.connect(policy, client, { prefix: `${policy.name}:` });
    for (let c = 0; c < calls; c++) {
      if (perCall > 16) await store.admitMany(Array.from({ length: perCall }, (_, i) => message(c * perCall + i)));
      else await Promise.all(Array.from({ length: perCall }, (_, i) => store.admit(message(c * perCall + i))));
    }
  });
  // A fixed clock (ARGV[2]) and no remembered epoch or seq (ARGV[4], ARGV[5]): the replay starts
  // from an empty database and must not read that as lost state.
  const clock = Date.now() - 1000;
  args.forEach((a, i) => {
    const keys = Number(a[1]);
    a[2 + keys + 1] = String(clock + i);
    a[2 + keys + 3] = '-1';
    a[2 + keys + 4] = '-1';
  });
  return { args, messages: calls * perCall, lua: cutShort(SCRIPTS.admit.lua) };
}

/**
 * `SLUICE_LUA_CUT=N`: the admit script returns right after its (bundled) line N, so that the
 * difference between two cuts is what the lines between them cost. Cut at statement boundaries.
 */
function cutShort(lua: string): string {
  const cut = process.env['SLUICE_LUA_CUT'];
  if (cut === undefined || cut === '') return lua;
  const lines = lua.split('\n');
  const at = Number(cut);
  if (!Number.isInteger(at) || at < 1 || at > lines.length) throw new Error(`SLUICE_LUA_CUT: a line number from 1 to ${lines.length}`);
  return [...lines.slice(0, at), 'do return {} end', ...lines.slice(at)].join('\n');
}

/** Instructions inside EVALSHA while a fresh redis-server under callgrind replays `captured`. */
async function countInstructions(captured: Capture): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-callgrind-'));
  const port = await freePort();
  const out = path.join(dir, 'callgrind.out');
  const child = spawn('valgrind', ['--tool=callgrind', '--toggle-collect=evalShaCommand', `--callgrind-out-file=${out}`, 'redis-server', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const client = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    for (let tries = 0; ; tries++) {
      try {
        await client.connect();
        break;
      } catch (err) {
        if (tries > 300) throw err;
        await sleep(100);
      }
    }
    const sha = (await client.script('LOAD', captured.lua)) as string;
    for (const a of captured.args) await client.call('EVALSHA', sha, ...a.slice(1));
    await client.shutdown('NOSAVE').catch(() => {});
    client.disconnect();
    await exited;
    const report = execFileSync('callgrind_annotate', [out], { encoding: 'utf8' });
    const total = /([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(report) ?? /([\d,]+)\s+PROGRAM TOTALS/.exec(report);
    if (!total?.[1]) throw new Error('callgrind_annotate printed no total');
    return Number(total[1].replace(/,/g, ''));
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.env['SLUICE_LUA_LINES']) {
    // Where a cut can go: the bundled script's top-level statements, numbered.
    SCRIPTS.admit.lua.split('\n').forEach((line, i) => {
      if (/^(local|for|if|do|end)\b/.test(line)) console.log(`${i + 1}\t${line}`);
    });
    return;
  }
  if (findExecutable('valgrind') === undefined) throw new Error('valgrind not found: install it with `apt-get install -y valgrind`');
  const cases: [string, Policy, number, number][] = [
    ['1 limit, 1 message per call', single, 1, 200],
    ['1 limit, 128 messages per call (batched)', single, 128, 10],
    ['4-limit, 1 message per call', four, 1, 200],
    ['4-limit, 8 messages per call (16 in flight)', four, 8, 50],
    ['4-limit, 128 messages per call (batched)', four, 128, 10],
  ];
  const cut = process.env['SLUICE_LUA_CUT'];
  console.log(`instructions redis-server runs inside EVALSHA (callgrind), script ${SCRIPTS.admit.name}${cut ? `, cut short after line ${cut}` : ''}`);
  // SLUICE_LUA_CASE=text: only the cases whose name contains it (and no peer row).
  const only = process.env['SLUICE_LUA_CASE'];
  for (const [name, policy, perCall, calls] of cases) {
    if (only && !name.includes(only)) continue;
    const captured = await capture(policy, perCall, calls);
    const ir = await countInstructions(captured);
    console.log(`  ${name.padEnd(46)} ${String(Math.round(ir / captured.args.length)).padStart(10)} per call ${String(Math.round(ir / captured.messages)).padStart(8)} per message`);
  }
  if (only) return;
  const peer = await capturePeer(200);
  const ir = await countInstructions(peer);
  console.log(`  ${'rate-limiter-flexible consume (1 limit)'.padEnd(46)} ${String(Math.round(ir / peer.args.length)).padStart(10)} per call ${String(Math.round(ir / peer.messages)).padStart(8)} per consume`);
}

await main();
