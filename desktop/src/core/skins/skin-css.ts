// [SysMetrics] → CSS custom properties of the renderer. Colours are Windows GetSysColor names as
// `r g b`; `Font=Face, size[, bold]`. Values are rebuilt from parsed numbers and a checked face
// name, never copied, so a skin cannot inject CSS.
import type { IniEntry } from './msstyles-ini.ts';

/** Windows system colour names (GetSysColor, COLOR_*), as skins write them. */
export const SYS_COLORS = [
  'ActiveBorder', 'ActiveCaption', 'AppWorkspace', 'Background', 'ButtonAlternateFace', 'ButtonDkShadow', 'ButtonFace',
  'ButtonHilight', 'ButtonLight', 'ButtonShadow', 'ButtonText', 'CaptionText', 'GradientActiveCaption',
  'GradientInactiveCaption', 'GrayText', 'Highlight', 'HighlightText', 'HotTrackingColor', 'InactiveBorder',
  'InactiveCaption', 'InactiveCaptionText', 'InfoText', 'InfoWindow', 'Menu', 'MenuBar', 'MenuHilight', 'MenuText',
  'Scrollbar', 'TitleText', 'Window', 'WindowFrame', 'WindowText',
] as const;
/** A skin must set these; the rest fall back to the renderer's stylesheet. */
export const REQUIRED_COLORS = ['Window', 'WindowText', 'Highlight', 'HighlightText'] as const;

const byLower = new Map<string, string>(SYS_COLORS.map((c) => [c.toLowerCase(), c]));

/** `ButtonHilight` → `--herald-button-hilight` */
export const cssVarName = (name: string) => `--herald-${name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase()}`;

export function sysMetricsToCss(entries: IniEntry[], warnings: string[]): { css: Record<string, string> } | { error: string } {
  const css: Record<string, string> = {};
  const set = new Set<string>();
  for (const e of entries) {
    if (e.key.toLowerCase() === 'font') {
      const m = /^([A-Za-z0-9 _-]{1,64}?)\s*,\s*(\d{1,2}(?:\.\d)?)\s*(?:,\s*(bold|normal)\s*)?$/i.exec(e.value);
      if (!m) return { error: `line ${e.line}: Font must be "Face, size[, bold]" with a plain face name (letters, digits, space, - and _), got ${JSON.stringify(e.value.slice(0, 80))}` };
      const size = Number(m[2]);
      if (size < 6 || size > 36) return { error: `line ${e.line}: Font size ${size} is outside 6–36 points` };
      css['--herald-font-family'] = `"${m[1]!.trim()}", system-ui, sans-serif`;
      css['--herald-font-size'] = `${size}pt`;
      css['--herald-font-weight'] = m[3]?.toLowerCase() === 'bold' ? '700' : '400';
      continue;
    }
    const name = byLower.get(e.key.toLowerCase());
    if (!name) {
      warnings.push(`line ${e.line}: unknown [SysMetrics] key ${e.key} ignored`);
      continue;
    }
    const m = /^(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})$/.exec(e.value);
    const rgb = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
    if (!m || rgb.some((v) => v > 255)) return { error: `line ${e.line}: ${e.key} must be three numbers 0–255 ("r g b"), got ${JSON.stringify(e.value.slice(0, 80))}` };
    css[cssVarName(name)] = `rgb(${rgb.join(', ')})`;
    set.add(name);
  }
  const missing = REQUIRED_COLORS.filter((c) => !set.has(c));
  if (missing.length) return { error: `[SysMetrics] lacks ${missing.join(', ')}` };
  return { css };
}
