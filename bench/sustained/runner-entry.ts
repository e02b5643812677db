// Entry of a sustained-run sending process (forked by bench/sustained/index.ts) and of the
// worker threads that the embedded-store run starts inside it: the same file, so that one
// bundled entry serves both. The process takes its spec over IPC and answers with its report.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { MemoryStoreHandle } from '../../src/index.js';
import { runShare, sluiceMemoryShare, type RunnerSpec } from './runner.js';

const self = fileURLToPath(import.meta.url);

if (!isMainThread) {
  const { spec, handle } = workerData as { spec: RunnerSpec; handle: MemoryStoreHandle };
  sluiceMemoryShare(spec, handle).then(
    (report) => parentPort?.postMessage(report),
    (e: unknown) => {
      throw e;
    },
  );
} else {
  process.once('message', (spec: RunnerSpec) => {
    runShare(spec, self).then(
      (report) => process.send?.({ ok: true, report }, () => process.exit(0)),
      (e: unknown) => process.send?.({ ok: false, error: e instanceof Error ? e.message : String(e) }, () => process.exit(1)),
    );
  });
}
