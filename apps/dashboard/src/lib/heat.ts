/**
 * The heat map's colour scale: ColorBrewer's sequential "Blues" (pale at 0, deep blue at 1; it
 * stays blue through the middle, where a two-colour blend turns grey), interpolated between its
 * stops in linear RGB, with the text colour picked for contrast (WCAG relative luminance) so
 * every cell stays readable.
 */
const STOPS = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"].map((h) => [
  parseInt(h.slice(1, 3), 16),
  parseInt(h.slice(3, 5), 16),
  parseInt(h.slice(5, 7), 16),
]);

const toLinear = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};
const fromLinear = (l: number) => Math.round(255 * (l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055));

export function heatRgb(x: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, Number.isFinite(x) ? x : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const [a, b, f] = [STOPS[i]!, STOPS[i + 1]!, t - i];
  return [0, 1, 2].map((c) => fromLinear(toLinear(a[c]!) + (toLinear(b[c]!) - toLinear(a[c]!)) * f)) as [number, number, number];
}

export function luminance([r, g, b]: [number, number, number]): number {
  return 0.2126 * toLinear(r) + 0.7152 * toLinear(g) + 0.0722 * toLinear(b);
}

export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

// Pure black, not the page's ink: near luminance 0.18 only black text still reaches 4.5:1.
const INK: [number, number, number] = [0, 0, 0];
const WHITE: [number, number, number] = [255, 255, 255];

export function heatColors(x: number): { background: string; color: string } {
  const bg = heatRgb(x);
  const fg = contrast(bg, INK) >= contrast(bg, WHITE) ? INK : WHITE;
  return { background: `rgb(${bg.join(" ")})`, color: `rgb(${fg.join(" ")})` };
}
