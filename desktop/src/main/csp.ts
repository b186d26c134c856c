// The renderer's Content-Security-Policy (sent as a header by the app:// handler and the preview
// server, and repeated in index.html): our own scripts, styles, images and sounds only; no inline
// script, no eval, no plugins, no framing, no form posts. `connect-src 'self'` lets the preview's
// bridge WebSocket reach its own server; the Electron app connects to nothing from the page.
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
