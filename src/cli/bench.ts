import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `sluice bench [options]`: runs the packaged bench (dist/bench/main.js, next to this CLI in the
 * package) in its own Node process with the same options and returns its exit code. A separate
 * process because the bench owns its process: worker threads, child sender processes, a local
 * redis-server, and an exit code that carries the CI verdict.
 */
export function runBench(args: readonly string[]): Promise<number> {
  const script = fileURLToPath(new URL('../bench/main.js', import.meta.url));
  if (!existsSync(script)) {
    process.stderr.write(`sluice: the bench is not built (${script} is missing): run \`npm run build\`\n`);
    return Promise.resolve(2);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    // Ctrl-C reaches the child through the terminal's process group; wait for it to finish.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal === null ? 70 : 128 + signalNumber(signal)));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[signal] ?? 1;
}
