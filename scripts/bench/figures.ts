/** What the bench measures, and how a request's figure is set against its baseline's. */

export interface Figure {
  /** Requests per second, the load generator's average. */
  rps: number;
  /** Latency percentiles, milliseconds. */
  p50: number;
  p99: number;
}

/** One line of a table: a request, and what it is compared with. */
export interface Comparison {
  name: string;
  subject: Figure;
  baselineName: string;
  baseline: Figure;
  /** The least ratio subject / baseline (of req/s) that meets the target; none: reported only. */
  target?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The median of each figure over the rounds, taken separately. */
export function medianFigure(figures: readonly Figure[]): Figure {
  return {
    rps: median(figures.map((figure) => figure.rps)),
    p50: median(figures.map((figure) => figure.p50)),
    p99: median(figures.map((figure) => figure.p99)),
  };
}

/** subject / baseline of req/s, or null when the baseline answered nothing. */
export function ratioOf(comparison: Comparison): number | null {
  if (comparison.baseline.rps === 0) return null;
  return comparison.subject.rps / comparison.baseline.rps;
}

/** Whether a comparison falls short of its target (one without a target, or a ratio, never does). */
export function missed(comparison: Comparison): boolean {
  const ratio = ratioOf(comparison);
  return ratio !== null && comparison.target !== undefined && ratio < comparison.target;
}

function targetCell(comparison: Comparison): string {
  if (comparison.target === undefined) return "";
  const target = `≥ ${comparison.target.toFixed(2)}`;
  if (ratioOf(comparison) === null) return target;
  return `${target} ${missed(comparison) ? "MISSED" : "ok"}`;
}

function figureCells(figure: Figure): [string, string] {
  return [figure.rps.toFixed(0), `${figure.p50} / ${figure.p99}`];
}

/** A Markdown table of the comparisons; `baselineColumn` names what the right-hand side is. */
export function comparisonTable(subjectColumn: string, baselineColumn: string, comparisons: readonly Comparison[]) {
  const lines = [
    `| ${subjectColumn} | req/s | p50 / p99 ms | ${baselineColumn} | req/s | p50 / p99 ms | ratio | target |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const comparison of comparisons) {
    const ratio = ratioOf(comparison);
    const cells = [
      comparison.name,
      ...figureCells(comparison.subject),
      comparison.baselineName,
      ...figureCells(comparison.baseline),
      ratio === null ? "" : ratio.toFixed(2),
      targetCell(comparison),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}
