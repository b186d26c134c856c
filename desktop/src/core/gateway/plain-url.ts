// Plain http:// and ws:// carry mail passwords, device tokens and chat in clear: the desktop uses them
// only for a gateway on this machine (the demo, local tests), never across a network.
/** 127.0.0.0/8, [::1] and localhost: plain http or ws to these never crosses a network. */
export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Why plain http:// (or ws://) to `host` is refused, and what to use instead. */
export const plainRefusal = (host: string, secure: 'https' | 'wss') =>
  `refusing ${secure === 'https' ? 'http' : 'ws'}://${host}: passwords and tokens would cross the network unencrypted; use ${secure}://${host} (plain ${secure === 'https' ? 'http' : 'ws'} is accepted only for this machine: localhost, 127.0.0.1, [::1])`;
