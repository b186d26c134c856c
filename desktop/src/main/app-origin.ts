// Where the renderer lives: `app://herald/index.html` (a privileged custom scheme served by main
// from the built renderer and the skins' checked assets; see app-files.ts). Pages from anywhere
// else never get the preload bridge's answers (sender-check.ts).
export const APP_SCHEME = 'app';
export const APP_HOST = 'herald';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;
