// CSV for the console's exports (RFC 4180): every field quoted when it holds a comma, quote, CR or
// LF (quotes doubled), CRLF between records. And safe to open in a spreadsheet (OWASP "CSV
// Injection"): a field starting with = + - @ (or a tab / CR, which some programs skip before
// reading a formula) gets a leading apostrophe, so it is shown as text, never run as a formula.

const FORMULA = /^[=+\-@\t\r]/;

export function csvField(value: string | number | boolean | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvRecord(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
