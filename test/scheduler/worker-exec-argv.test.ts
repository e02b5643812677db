import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/scheduler/worker-path.js';

describe('workerExecArgv', () => {
  it("keeps the parent's options and turns require(esm) off, once, where Node knows the flag", () => {
    const argv = workerExecArgv();
    expect(argv.slice(0, process.execArgv.length)).toEqual(process.execArgv);
    const known = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module');
    // Where Node knows it (20.17+), Piscina then imports the ES-module worker scripts instead of requiring them.
    expect(argv.filter((a) => a === '--no-experimental-require-module')).toHaveLength(known ? 1 : 0);
    expect(argv).toHaveLength(process.execArgv.length + (known && !process.execArgv.includes('--no-experimental-require-module') ? 1 : 0));
  });
});
