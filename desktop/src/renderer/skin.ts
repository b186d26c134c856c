// Applies a skin live: its CSS custom properties (built by the core from [SysMetrics], values
// already rebuilt from numbers, so no skin can inject CSS) go on the root element, replacing the
// previous skin's; the stylesheet reads only these variables. Skins that define Windows' 3D edge
// colours (ButtonHilight and ButtonDkShadow) get bevelled controls, as Windows draws them.
import type { Skin } from '../shared/skins.ts';

let applied: string[] = [];

export function applySkin(skin: Skin | null): void {
  const root = document.documentElement;
  for (const name of applied) root.style.removeProperty(name);
  applied = [];
  if (!skin) {
    delete root.dataset.skin;
    delete root.dataset.bevel;
    return;
  }
  for (const [name, value] of Object.entries(skin.css)) {
    if (!/^--herald-[a-z0-9-]+$/.test(name)) continue;
    root.style.setProperty(name, value);
    applied.push(name);
  }
  root.dataset.skin = skin.id;
  const bevel = '--herald-button-hilight' in skin.css && '--herald-button-dk-shadow' in skin.css;
  if (bevel) root.dataset.bevel = '';
  else delete root.dataset.bevel;
}

/** Where our origin serves a skin's declared asset (see desktop/src/main/app-files.ts). */
export function skinAssetUrl(skin: Skin, relative: string): string {
  return `./skins/${encodeURIComponent(skin.id)}/${relative.split('/').map(encodeURIComponent).join('/')}`;
}
