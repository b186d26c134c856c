// How many connections a listening socket lets wait for accept(2). Node's default, 511, is what a
// company's morning overflows: 5,000 desktops signing in within a minute kept the XMPP listener's
// queue at 508-512 for ~13 s and the kernel dropped the rest (ListenOverflows; the clients saw
// "connection closed while waiting for stream features"). Linux caps it at net.core.somaxconn
// (4096 by default since 5.4).
export const LISTEN_BACKLOG = 4096;
