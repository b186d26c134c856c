// Who may call the IPC API: only the main frame of one of our own windows, showing our own page
// (app://herald, or the preview server's origin). A page that navigated elsewhere, an iframe, a
// stray webContents (devtools, a webview) or another website talking to the preview's local
// bridge is refused before its payload is even read.

export interface SenderInfo {
  /** Electron's webContents id (the preview: the bridge connection's id). */
  id: number;
  /** URL of the frame that sent the message (Electron: event.senderFrame.url; preview: the Origin header). */
  url: string;
  /** False for iframes and subframes. */
  mainFrame: boolean;
}

export interface SenderPolicy {
  /** Origins our pages are served from. */
  origins: readonly string[];
  /** Whether the id belongs to one of our windows (or bridge connections). */
  isOurs(id: number): boolean;
}

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    // Chromium reports "null" as the origin of non-standard schemes; compare scheme://host instead.
    return u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

/** A reason to refuse the sender, or undefined when it is trusted. */
export function checkSender(s: SenderInfo, p: SenderPolicy): string | undefined {
  if (!p.isOurs(s.id)) return `sender ${s.id} is not one of Herald's windows`;
  if (!s.mainFrame) return 'messages from subframes are refused';
  const origin = originOf(s.url);
  if (!origin || !p.origins.includes(origin)) return `sender origin ${JSON.stringify(origin ?? s.url.slice(0, 100))} is not Herald's`;
  return undefined;
}
