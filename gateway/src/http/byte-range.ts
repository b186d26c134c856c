// Single byte ranges (RFC 9110 §14): what electron-updater's differential download asks for when
// told not to use multi-range requests (the desktop sets `useMultipleRangeRequest: false`).
// A request for several ranges is answered with the whole file (200), which §14.2 allows ("a server
// MAY ignore the Range header field"); electron-updater then falls back to a full download.

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  /** 416 Range Not Satisfiable, with `Content-Range: bytes *\/size` (§15.5.17). */
  | { kind: 'unsatisfiable' };

/** What to send for `Range: <header>` on a representation of `size` bytes (end inclusive). */
export function byteRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined || header === '') return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  // Another range unit (§14.1) or garbage: ignored, as §14.2 says for unknown units.
  if (!m) return { kind: 'full' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return { kind: 'full' };
  const r = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
  if (r[1] === '') {
    // suffix-range: the last N bytes (§14.1.1); "-0" asks for nothing.
    const n = Number(r[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (r[2] !== '' && Number(r[2]) < start) return { kind: 'full' }; // invalid range-spec: ignored (§14.1.1)
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
