import type { ReplayResult } from './trace-replay';

/**
 * The allocation curve of a replay (GPU allocation % against arrived demand %), as CSV for
 * tools and as an SVG chart for people: one line per policy (mean over seeds) with the
 * seed-to-seed min..max band, the ideal line, and a zoom on the saturated end where
 * policies differ by tenths of a point.
 */

/** One row per integer arrived demand: mean, min, max over seeds, then each seed's value. */
export function allocationCurveCsv(result: ReplayResult): string {
  const seeds = result.perSeed.map((r) => r.seed);
  const lines = [
    [
      'demand_percent',
      'mean_allocation_percent',
      'min_allocation_percent',
      'max_allocation_percent',
      ...seeds.map((s) => `seed_${s}`),
    ].join(','),
  ];
  for (const p of result.curve) {
    const perSeed = result.perSeed.map((r) => {
      const v = r.curve[p.demandPercent];
      return v === null || v === undefined ? '' : v.toFixed(4);
    });
    lines.push([p.demandPercent, p.mean.toFixed(4), p.min.toFixed(4), p.max.toFixed(4), ...perSeed].join(','));
  }
  return `${lines.join('\n')}\n`;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Panel {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
  readonly xStep: number;
  readonly yStep: number;
  readonly title: string;
}

function niceStep(range: number): number {
  const raw = range / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function drawPanel(panel: Panel, results: readonly ReplayResult[]): string {
  const { x0, y0, width, height, xMin, xMax, yMin, yMax } = panel;
  const sx = (x: number) => x0 + ((x - xMin) / (xMax - xMin)) * width;
  const sy = (y: number) => y0 + height - ((y - yMin) / (yMax - yMin)) * height;
  const out: string[] = [];
  const clipId = `clip-${x0}`;
  out.push(`<clipPath id="${clipId}"><rect x="${x0}" y="${y0}" width="${width}" height="${height}"/></clipPath>`);
  out.push(`<rect x="${x0}" y="${y0}" width="${width}" height="${height}" fill="#fff" stroke="#333"/>`);
  const digits = panel.yStep < 1 ? 1 : 0;
  for (let x = Math.ceil(xMin / panel.xStep) * panel.xStep; x <= xMax + 1e-9; x += panel.xStep) {
    out.push(
      `<line x1="${sx(x).toFixed(1)}" y1="${y0}" x2="${sx(x).toFixed(1)}" y2="${y0 + height}" stroke="#e5e5e5"/>`,
    );
    out.push(`<text x="${sx(x).toFixed(1)}" y="${y0 + height + 16}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  for (let y = Math.ceil(yMin / panel.yStep) * panel.yStep; y <= yMax + 1e-9; y += panel.yStep) {
    out.push(
      `<line x1="${x0}" y1="${sy(y).toFixed(1)}" x2="${x0 + width}" y2="${sy(y).toFixed(1)}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${x0 - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="11">${y.toFixed(digits)}</text>`,
    );
  }
  out.push(
    `<text x="${x0 + width / 2}" y="${y0 - 8}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  out.push(
    `<text x="${x0 + width / 2}" y="${y0 + height + 34}" text-anchor="middle" font-size="12">Arrived GPU demand (% of cluster GPUs)</text>`,
  );
  out.push(
    `<text x="${x0 - 40}" y="${y0 + height / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 - 40} ${y0 + height / 2})">GPU allocation (% of cluster GPUs)</text>`,
  );
  const g: string[] = [];
  // Ideal: everything that arrived is allocated, up to the cluster's size.
  const ideal = [xMin, Math.min(100, xMax), xMax].filter((x, i, a) => a.indexOf(x) === i && x >= xMin);
  g.push(
    `<polyline fill="none" stroke="#999" stroke-dasharray="5,4" points="${ideal.map((x) => `${sx(x).toFixed(1)},${sy(Math.min(x, 100)).toFixed(1)}`).join(' ')}"/>`,
  );
  results.forEach((r, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = r.curve.filter((p) => p.demandPercent >= xMin && p.demandPercent <= xMax);
    if (pts.length === 0) return;
    if (r.perSeed.length > 1) {
      const upper = pts.map((p) => `${sx(p.demandPercent).toFixed(1)},${sy(p.max).toFixed(1)}`);
      const lower = [...pts].reverse().map((p) => `${sx(p.demandPercent).toFixed(1)},${sy(p.min).toFixed(1)}`);
      g.push(`<polygon fill="${color}" fill-opacity="0.18" stroke="none" points="${[...upper, ...lower].join(' ')}"/>`);
    }
    g.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${sx(p.demandPercent).toFixed(1)},${sy(p.mean).toFixed(1)}`).join(' ')}"/>`,
    );
  });
  out.push(`<g clip-path="url(#${clipId})">${g.join('')}</g>`);
  return out.join('\n');
}

/** An SVG chart of one or more replays (e.g. several policies on the same trace and seeds). */
export function allocationCurveSvg(result: ReplayResult | readonly ReplayResult[], title?: string): string {
  const results: readonly ReplayResult[] = Array.isArray(result) ? result : [result as ReplayResult];
  if (results.length === 0) throw new RangeError('nothing to draw');
  const xMax = Math.max(...results.flatMap((r) => r.curve.map((p) => p.demandPercent)), 100);
  const zoomFrom = Math.min(90, xMax - 10);
  const zoomValues = results.flatMap((r) => r.curve.filter((p) => p.demandPercent >= zoomFrom).map((p) => p.min));
  const zoomLow = Math.floor((zoomValues.length > 0 ? Math.min(...zoomValues) : 80) - 0.5);
  const zoomYMin = Math.max(0, Math.min(zoomLow, 99));
  const width = 1040;
  const height = 450 + Math.ceil(results.length / 2) * 20;
  const seeds = results[0].seeds;
  const heading =
    title ??
    `GPU allocation vs arrived demand (${results[0].gpus} GPUs, ${results[0].nodes} nodes, seeds ${seeds.length > 1 ? `${seeds[0]}..${seeds[seeds.length - 1]}` : seeds[0]}, tune ${results[0].tune})`;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fafafa"/>`);
  parts.push(
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(heading)}</text>`,
  );
  parts.push(
    drawPanel(
      {
        x0: 70,
        y0: 60,
        width: 380,
        height: 300,
        xMin: 0,
        xMax,
        yMin: 0,
        yMax: 100,
        xStep: 20,
        yStep: 20,
        title: 'Whole run',
      },
      results,
    ),
  );
  const yRange = 100 - zoomYMin;
  parts.push(
    drawPanel(
      {
        x0: 580,
        y0: 60,
        width: 420,
        height: 300,
        xMin: zoomFrom,
        xMax,
        yMin: zoomYMin,
        yMax: 100,
        xStep: niceStep(xMax - zoomFrom),
        yStep: niceStep(yRange),
        title: `Saturated end (demand ${zoomFrom}% to ${xMax}%)`,
      },
      results,
    ),
  );
  // Legend: colour, policy, and the headline figures.
  const legendY = 415;
  results.forEach((r, i) => {
    const color = COLORS[i % COLORS.length];
    const x = 70 + (i % 2) * 480;
    const y = legendY + Math.floor(i / 2) * 20;
    const fig = `${r.policy}: ${r.allocation['100'].toFixed(2)}% at 100, ${r.allocation['130'].toFixed(2)}% at 130 (sd ${r.spread['130'].toFixed(2)})`;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${x + 34}" y="${y + 4}" font-size="12">${escapeXml(fig)}</text>`);
  });
  const noteY = legendY + Math.ceil(results.length / 2) * 20 + 6;
  parts.push(
    `<text x="70" y="${noteY}" font-size="11" fill="#555">Lines: mean over seeds; shaded: min..max over seeds; dashed grey: ideal (all arrived demand allocated up to 100%).</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
