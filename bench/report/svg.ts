/**
 * A few hand-drawn SVG charts for the bench report: line charts (linear or log axes, reference
 * lines) and horizontal bar charts. Pure functions from data to markup; every text is escaped.
 * Inline SVG in HTML needs no namespace attribute, so the markup names no URL at all.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A number for coordinates: finite, two decimals. */
const n2 = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : 0);

export interface Tick {
  readonly value: number;
  readonly label: string;
}

/** Compact figures: 950, 9.5k, 1.2M. */
export function fmtCount(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString('en');
  return trim(v);
}
const trim = (v: number) => String(Number(v.toPrecision(3)));

/** A duration given in µs: 0.35 µs, 640 µs, 3.5 ms, 1.2 s. */
export function fmtUs(v: number): string {
  if (v >= 1e6) return `${trim(v / 1e6)} s`;
  if (v >= 1e3) return `${trim(v / 1e3)} ms`;
  return `${trim(v)} µs`;
}

/** About `count` round ticks (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5, format: (v: number) => string = fmtCount): Tick[] {
  if (!(max > min)) return [{ value: min, label: format(min) }];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: Tick[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    const value = Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12));
    ticks.push({ value, label: format(value) });
  }
  return ticks;
}

/** Ticks of a log axis: powers of ten, with 2 and 5 between them when the range is short. */
export function logTicks(min: number, max: number, format: (v: number) => string = fmtCount): Tick[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of steps) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push({ value: v, label: format(v) });
    }
  }
  return ticks;
}

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** Draw a dot at every point (for sparse series). */
  readonly markers?: boolean;
  readonly dash?: boolean;
}

export interface RefLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
}

export interface AxisSpec {
  readonly label: string;
  readonly log?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Fixed ticks (e.g. a percentile axis); otherwise round ones are chosen. */
  readonly ticks?: readonly Tick[];
  readonly format?: (v: number) => string;
}

export interface LineChartSpec {
  readonly title: string;
  readonly x: AxisSpec;
  readonly y: AxisSpec;
  readonly series: readonly Series[];
  /** Horizontal reference lines (a budget), labelled at the right end. */
  readonly hlines?: readonly RefLine[];
  readonly width?: number;
  readonly height?: number;
}

const FONT = 'font-size="12"';
const AXIS = '#555';
const GRID = '#e3e3e3';

interface Mapper {
  readonly map: (v: number) => number;
  readonly ticks: readonly Tick[];
}

function axis(spec: AxisSpec, values: readonly number[], from: number, to: number, zeroBased: boolean): Mapper {
  const format = spec.format ?? fmtCount;
  if (spec.log === true) {
    const positive = values.filter((v) => v > 0 && Number.isFinite(v));
    const dataMin = positive.length > 0 ? Math.min(...positive) : 1;
    const dataMax = positive.length > 0 ? Math.max(...positive) : 10;
    const min = spec.min ?? 10 ** Math.floor(Math.log10(dataMin));
    const max = spec.max ?? 10 ** Math.ceil(Math.log10(Math.max(dataMax, min * 10)));
    const l0 = Math.log10(min);
    const l1 = Math.log10(max);
    const map = (v: number) => from + ((Math.log10(Math.max(v, min)) - l0) / (l1 - l0)) * (to - from);
    return { map, ticks: spec.ticks ?? logTicks(min, max, format) };
  }
  const finite = values.filter((v) => Number.isFinite(v));
  let min = spec.min ?? (zeroBased ? Math.min(0, ...finite) : finite.length > 0 ? Math.min(...finite) : 0);
  let max = spec.max ?? (finite.length > 0 ? Math.max(...finite) : 1);
  if (spec.max === undefined && zeroBased) max = max * 1.08;
  if (!(max > min)) max = min + 1;
  if (spec.ticks === undefined && spec.max === undefined) {
    // Extend to the last round tick so the top gridline bounds the plot.
    const t = niceTicks(min, max, 5, format);
    const last = t[t.length - 1];
    if (last !== undefined && last.value > max) max = last.value;
    if (spec.min === undefined && t[0] !== undefined && t[0].value < min) min = t[0].value;
  }
  const lo = min;
  const hi = max;
  const map = (v: number) => from + ((v - lo) / (hi - lo)) * (to - from);
  return { map, ticks: spec.ticks ?? niceTicks(lo, hi, 5, format) };
}

/** A line chart with labelled axes, gridlines, optional reference lines and an HTML legend. */
export function lineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 640;
  const H = spec.height ?? 280;
  const m = { left: 64, right: 40, top: 30, bottom: 46 };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...spec.series.flatMap((s) => s.points.map((p) => p[1])), ...(spec.hlines ?? []).map((h) => h.value)];
  const X = axis(spec.x, xs, m.left, W - m.right, false);
  const Y = axis(spec.y, ys, H - m.bottom, m.top, true);
  const out: string[] = [];
  out.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" font-family="system-ui, sans-serif">`);
  out.push(`<text x="${m.left}" y="18" ${FONT} font-weight="600" fill="#222">${esc(spec.title)}</text>`);
  for (const t of Y.ticks) {
    const y = n2(Y.map(t.value));
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}" stroke="${GRID}"/>`);
    out.push(`<text x="${m.left - 6}" y="${n2(y + 4)}" ${FONT} text-anchor="end" fill="${AXIS}">${esc(t.label)}</text>`);
  }
  for (const t of X.ticks) {
    const x = n2(X.map(t.value));
    out.push(`<line x1="${x}" x2="${x}" y1="${H - m.bottom}" y2="${H - m.bottom + 5}" stroke="${AXIS}"/>`);
    out.push(`<text x="${x}" y="${H - m.bottom + 18}" ${FONT} text-anchor="middle" fill="${AXIS}">${esc(t.label)}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="${AXIS}"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="${AXIS}"/>`);
  out.push(`<text x="${n2((m.left + W - m.right) / 2)}" y="${H - 8}" ${FONT} text-anchor="middle" fill="#333">${esc(spec.x.label)}</text>`);
  out.push(`<text transform="translate(14 ${n2((m.top + H - m.bottom) / 2)}) rotate(-90)" ${FONT} text-anchor="middle" fill="#333">${esc(spec.y.label)}</text>`);
  for (const h of spec.hlines ?? []) {
    const y = n2(Y.map(h.value));
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}" stroke="${esc(h.color)}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - m.right - 4}" y="${n2(y - 5)}" ${FONT} text-anchor="end" fill="${esc(h.color)}">${esc(h.label)}</text>`);
  }
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n2(X.map(p[0]))} ${n2(Y.map(p[1]))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2"${s.dash === true ? ' stroke-dasharray="3 3"' : ''}/>`);
    if (s.markers === true || s.points.length === 1) {
      for (const p of s.points) out.push(`<circle cx="${n2(X.map(p[0]))}" cy="${n2(Y.map(p[1]))}" r="3" fill="${esc(s.color)}"/>`);
    }
  }
  out.push('</svg>');
  return `<figure>${out.join('')}${legend(spec.series, spec.hlines ?? [])}</figure>`;
}

function legend(series: readonly Series[], hlines: readonly RefLine[]): string {
  const items = [
    ...series.map((s) => `<span class="key"><span class="swatch" style="background:${esc(s.color)}"></span>${esc(s.label)}</span>`),
    ...hlines.map((h) => `<span class="key"><span class="swatch dashed" style="border-color:${esc(h.color)}"></span>${esc(h.label)}</span>`),
  ];
  return items.length === 0 ? '' : `<figcaption>${items.join(' ')}</figcaption>`;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  /** Printed at the end of the bar (defaults to the formatted value). */
  readonly text?: string;
}

export interface BarChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly bars: readonly Bar[];
  /** A vertical reference line (a budget, the 1.0× line). */
  readonly ref?: RefLine;
  readonly format?: (v: number) => string;
  readonly width?: number;
  /** Room for the row labels, px (longer labels are cut, the full one kept as a tooltip). */
  readonly labelWidth?: number;
}

/** Horizontal bars, one per row, with a labelled value axis and an optional reference line. */
export function barChart(spec: BarChartSpec): string {
  const W = spec.width ?? 640;
  const format = spec.format ?? fmtCount;
  const rowH = 24;
  const m = { left: spec.labelWidth ?? 230, right: 80, top: 40, bottom: 44 };
  const maxChars = Math.floor((m.left - 12) / 6.6);
  const H = m.top + spec.bars.length * rowH + m.bottom;
  const values = [...spec.bars.map((b) => b.value), ...(spec.ref === undefined ? [] : [spec.ref.value])];
  const X = axis({ label: spec.xLabel, format }, values, m.left, W - m.right, true);
  const base = H - m.bottom;
  const out: string[] = [];
  out.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" font-family="system-ui, sans-serif">`);
  out.push(`<text x="8" y="16" ${FONT} font-weight="600" fill="#222">${esc(spec.title)}</text>`);
  for (const t of X.ticks) {
    const x = n2(X.map(t.value));
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${base}" stroke="${GRID}"/>`);
    out.push(`<text x="${x}" y="${base + 16}" ${FONT} text-anchor="middle" fill="${AXIS}">${esc(t.label)}</text>`);
  }
  spec.bars.forEach((b, i) => {
    const y = m.top + i * rowH + 4;
    const x0 = X.map(0);
    const w = Math.max(0, X.map(Math.max(0, b.value)) - x0);
    const label = b.label.length > maxChars ? `${b.label.slice(0, maxChars - 1)}…` : b.label;
    out.push(`<text x="${m.left - 8}" y="${y + 12}" ${FONT} text-anchor="end" fill="#222"><title>${esc(b.label)}</title>${esc(label)}</text>`);
    out.push(`<rect x="${n2(x0)}" y="${y}" width="${n2(w)}" height="${rowH - 8}" fill="${esc(b.color)}"/>`);
    out.push(`<text x="${n2(x0 + w + 4)}" y="${y + 12}" ${FONT} fill="#222">${esc(b.text ?? format(b.value))}</text>`);
  });
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${base}" y2="${base}" stroke="${AXIS}"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${base}" stroke="${AXIS}"/>`);
  out.push(`<text x="${n2((m.left + W - m.right) / 2)}" y="${H - 8}" ${FONT} text-anchor="middle" fill="#333">${esc(spec.xLabel)}</text>`);
  if (spec.ref !== undefined) {
    const x = n2(X.map(spec.ref.value));
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top - 8}" y2="${base}" stroke="${esc(spec.ref.color)}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${n2(x + 4)}" y="${m.top - 10}" ${FONT} fill="${esc(spec.ref.color)}">${esc(spec.ref.label)}</text>`);
  }
  out.push('</svg>');
  return `<figure>${out.join('')}</figure>`;
}
