/**
 * The planning suite's result, read tolerantly: an array of rows, an object holding one (`rows`,
 * `runs` or `results`), or a single row. A row is an object; only its plain figures are shown.
 */
export type PlanningRow = Record<string, unknown>;

const isRow = (v: unknown): v is PlanningRow => typeof v === 'object' && v !== null && !Array.isArray(v);

export function planningRows(value: unknown): PlanningRow[] {
  if (Array.isArray(value)) return value.filter(isRow);
  if (!isRow(value)) return [];
  for (const field of ['rows', 'runs', 'results']) {
    const inner = value[field];
    if (Array.isArray(inner)) return inner.filter(isRow);
  }
  return [value];
}

/**
 * The planning suite's plan-quality rows (`quality`, see bench/plan-quality.ts), each an object;
 * none when the result holds no such list (older results, other shapes).
 */
export function planningQuality(value: unknown): PlanningRow[] {
  if (!isRow(value)) return [];
  const quality = value['quality'];
  return Array.isArray(quality) ? quality.filter(isRow) : [];
}

/** Columns to show: every key holding a number, string or boolean in some row, first-seen order. */
export function planningColumns(rows: readonly PlanningRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') seen.add(k);
  }
  return [...seen];
}
