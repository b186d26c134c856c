// Applies a skin live: its CSS custom properties (built by the core from [SysMetrics], values
// already rebuilt from numbers, so no skin can inject CSS) go on the root element, replacing the
// previous skin's; the stylesheet reads only these variables. Skins that define Windows' 3D edge
// colours (ButtonHilight and ButtonDkShadow) get bevelled controls, as Windows draws them.
import type { Skin } from '../shared/skins.ts';

let applied: string[] = [];
const THEME_IMAGES = [
  ['Caption', 'caption'],
  ['FrameLeft', 'frame-left'],
  ['FrameRight', 'frame-right'],
  ['FrameBottom', 'frame-bottom'],
  ['Button', 'button'],
] as const;

export function applySkin(skin: Skin | null): void {
  const root = document.documentElement;
  for (const name of applied) root.style.removeProperty(name);
  applied = [];
  if (!skin) {
    delete root.dataset.skin;
    delete root.dataset.bevel;
    delete root.dataset.themeImages;
    return;
  }
  for (const [name, value] of Object.entries(skin.css)) {
    if (!/^--herald-[a-z0-9-]+$/.test(name)) continue;
    root.style.setProperty(name, value);
    applied.push(name);
  }
  // Images of an imported Windows theme (caption, frame, button), drawn by the stylesheet with
  // border-image and the theme's sizing margins (--herald-caption-slice ...). The URL is ours
  // (skinAssetUrl encodes every segment, so no quote or bracket can end the url()). Made absolute
  // here: a url() inside a custom property resolves against the stylesheet that uses the var()
  // (CSS Variables §2.4 note), which lives under /assets/, not against this document.
  const themed: string[] = [];
  for (const [role, name] of THEME_IMAGES) {
    const a = skin.images[role];
    if (!a) continue;
    const prop = `--herald-image-${name}`;
    root.style.setProperty(prop, `url("${new URL(skinAssetUrl(skin, a.relative), document.baseURI).href}")`);
    applied.push(prop);
    themed.push(name);
  }
  if (themed.length) root.dataset.themeImages = themed.join(' ');
  else delete root.dataset.themeImages;
  root.dataset.skin = skin.id;
  const bevel = '--herald-button-hilight' in skin.css && '--herald-button-dk-shadow' in skin.css;
  if (bevel) root.dataset.bevel = '';
  else delete root.dataset.bevel;
}

/** Where our origin serves a skin's declared asset (see desktop/src/main/app-files.ts). */
export function skinAssetUrl(skin: Skin, relative: string): string {
  return `./skins/${encodeURIComponent(skin.id)}/${relative.split('/').map(encodeURIComponent).join('/')}`;
}
