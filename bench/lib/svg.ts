/** Hand-written SVG bar charts: one bar per labelled value, a min-max whisker, an optional target line. */

export interface Bar {
  label: string;
  value: number;
  min?: number;
  max?: number;
  /** 'ours' | 'baseline' | 'ceiling' picks the colour. */
  kind: 'ours' | 'baseline' | 'ceiling';
}

const COLORS = { ours: '#2f7d32', baseline: '#9e9e9e', ceiling: '#1f5fa8' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function barChart(title: string, unit: string, bars: Bar[], target?: { value: number; label: string }): string {
  const W = 720;
  const left = 60;
  const top = 40;
  const plotH = 240;
  const bottom = 110;
  const H = top + plotH + bottom;
  const slot = (W - left - 20) / Math.max(1, bars.length);
  const finite = bars.flatMap((b) => [b.value, b.max ?? b.value]).filter(Number.isFinite);
  const top0 = Math.max(1e-9, ...finite, target?.value ?? 0) * 1.15;
  const y = (v: number) => top + plotH - (Math.max(0, v) / top0) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${W - 20}" y2="${top + plotH}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (top0 / 4) * i;
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
    if (i) parts.push(`<line x1="${left}" y1="${y(v)}" x2="${W - 20}" y2="${y(v)}" stroke="#eee"/>`);
  }
  parts.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" fill="#333">${esc(unit)}</text>`);
  bars.forEach((b, i) => {
    const cx = left + slot * i + slot / 2;
    const bw = Math.min(50, slot * 0.6);
    const v = Number.isFinite(b.value) ? b.value : 0;
    parts.push(`<rect x="${cx - bw / 2}" y="${y(v)}" width="${bw}" height="${top + plotH - y(v)}" fill="${COLORS[b.kind]}"/>`);
    if (b.min !== undefined && b.max !== undefined && Number.isFinite(b.min) && Number.isFinite(b.max)) {
      parts.push(`<line x1="${cx}" y1="${y(b.min)}" x2="${cx}" y2="${y(b.max)}" stroke="#000"/>`);
      parts.push(`<line x1="${cx - 6}" y1="${y(b.min)}" x2="${cx + 6}" y2="${y(b.min)}" stroke="#000"/>`);
      parts.push(`<line x1="${cx - 6}" y1="${y(b.max)}" x2="${cx + 6}" y2="${y(b.max)}" stroke="#000"/>`);
    }
    parts.push(`<text x="${cx}" y="${y(Math.max(v, b.max ?? v)) - 5}" text-anchor="middle">${fmt(b.value)}</text>`);
    const ly = top + plotH + 14;
    parts.push(`<text x="${cx}" y="${ly}" text-anchor="end" transform="rotate(-35 ${cx} ${ly})">${esc(b.label)}</text>`);
  });
  if (target) {
    parts.push(`<line x1="${left}" y1="${y(target.value)}" x2="${W - 20}" y2="${y(target.value)}" stroke="#c62828" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${W - 22}" y="${y(target.value) - 4}" text-anchor="end" fill="#c62828">${esc(target.label)}</text>`);
  }
  const lx = left;
  const ly = H - 14;
  (['ours', 'baseline', 'ceiling'] as const).forEach((k, i) => {
    parts.push(`<rect x="${lx + i * 150}" y="${ly - 10}" width="12" height="12" fill="${COLORS[k]}"/>`);
    parts.push(`<text x="${lx + i * 150 + 18}" y="${ly}">${k === 'ours' ? 'this package' : k === 'baseline' ? 'core-node baseline' : 'ceiling (plain Node)'}</text>`);
  });
  parts.push(`<text x="${W - 20}" y="${ly}" text-anchor="end" fill="#555">median of runs, whisker = min-max</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface Series {
  label: string;
  kind: Bar['kind'];
  points: { x: number; y: number; min?: number; max?: number }[];
}

/** Lines over a categorical x axis (the x values in the order given), with min-max whiskers. */
export function lineChart(title: string, xUnit: string, yUnit: string, series: Series[], opts: { logY?: boolean; target?: { value: number; label: string } } = {}): string {
  const W = 720;
  const left = 70;
  const top = 40;
  const plotH = 260;
  const H = top + plotH + 80;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))];
  const slot = (W - left - 30) / Math.max(1, xs.length);
  const xOf = (x: number) => left + slot * xs.indexOf(x) + slot / 2;
  const vals = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.max ?? p.y, p.min ?? p.y])).filter((v) => Number.isFinite(v) && v > 0);
  if (opts.target) vals.push(opts.target.value);
  const hi = Math.max(1e-9, ...vals) * 1.15;
  const lo = opts.logY ? Math.max(1e-9, Math.min(...vals) / 1.5) : 0;
  const y = (v: number) => {
    if (opts.logY) return top + plotH - ((Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotH;
    return top + plotH - (Math.max(0, v) / hi) * plotH;
  };
  const colors = { ours: '#2f7d32', baseline: '#9e9e9e', ceiling: '#1f5fa8' };
  const dashes = ['', '6 3', '2 3'];
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  p.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  p.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  p.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  p.push(`<line x1="${left}" y1="${top + plotH}" x2="${W - 30}" y2="${top + plotH}" stroke="#333"/>`);
  const ticks = opts.logY ? Array.from({ length: 5 }, (_, i) => Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * i) / 4)) : Array.from({ length: 5 }, (_, i) => (hi / 4) * i);
  for (const v of ticks) {
    p.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)}</text>`);
    p.push(`<line x1="${left}" y1="${y(v)}" x2="${W - 30}" y2="${y(v)}" stroke="#eee"/>`);
  }
  for (const x of xs) p.push(`<text x="${xOf(x)}" y="${top + plotH + 16}" text-anchor="middle">${esc(x.toLocaleString('en-US'))}</text>`);
  p.push(`<text x="${left + (W - left - 30) / 2}" y="${top + plotH + 34}" text-anchor="middle" fill="#333">${esc(xUnit)}</text>`);
  p.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" fill="#333">${esc(yUnit)}</text>`);
  if (opts.target) {
    p.push(`<line x1="${left}" y1="${y(opts.target.value)}" x2="${W - 30}" y2="${y(opts.target.value)}" stroke="#c62828" stroke-dasharray="6 4"/>`);
    p.push(`<text x="${W - 32}" y="${y(opts.target.value) - 4}" text-anchor="end" fill="#c62828">${esc(opts.target.label)}</text>`);
  }
  series.forEach((s, i) => {
    const c = colors[s.kind];
    const pts = s.points.filter((q) => Number.isFinite(q.y));
    p.push(`<polyline fill="none" stroke="${c}" stroke-width="2" stroke-dasharray="${dashes[i % dashes.length]}" points="${pts.map((q) => `${xOf(q.x)},${y(q.y)}`).join(' ')}"/>`);
    for (const q of pts) {
      p.push(`<circle cx="${xOf(q.x)}" cy="${y(q.y)}" r="3.5" fill="${c}"/>`);
      if (q.min !== undefined && q.max !== undefined && Number.isFinite(q.min) && Number.isFinite(q.max))
        p.push(`<line x1="${xOf(q.x)}" y1="${y(q.min)}" x2="${xOf(q.x)}" y2="${y(q.max)}" stroke="${c}"/>`);
      p.push(`<text x="${xOf(q.x) + 6}" y="${y(q.y) - 6}" fill="${c}" font-size="10">${fmt(q.y)}</text>`);
    }
    p.push(`<line x1="${left + i * 220}" y1="${H - 18}" x2="${left + i * 220 + 24}" y2="${H - 18}" stroke="${c}" stroke-width="2" stroke-dasharray="${dashes[i % dashes.length]}"/>`);
    p.push(`<text x="${left + i * 220 + 30}" y="${H - 14}">${esc(s.label)}</text>`);
  });
  p.push(`<text x="${W - 30}" y="${H - 14}" text-anchor="end" fill="#555">median of runs, whisker = min-max</text>`);
  p.push('</svg>');
  return p.join('\n') + '\n';
}
