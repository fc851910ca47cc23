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
