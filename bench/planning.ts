// PLACEHOLDER (wip-report only): the real planning-throughput suite replaces this file at merge.
// It returns a synthetic result so that bench/main.ts and the report compile and run.

export interface PlanningResult {
  readonly recipients: number;
  readonly threads: number;
  readonly wallMs: number;
  readonly planningMs: number;
  readonly screeningMs: number;
  readonly peakRssMiB: number;
  readonly messagesPlanned: number;
  readonly verified: boolean;
}

/** PLACEHOLDER: synthetic figures, nothing is planned. */
export async function runPlanning(options: { quick: boolean }): Promise<PlanningResult> {
  const recipients = options.quick ? 10_000 : 100_000;
  return { recipients, threads: 1, wallMs: 1, planningMs: 1, screeningMs: 0, peakRssMiB: 1, messagesPlanned: recipients, verified: true };
}
