// XEP-0363: HTTP File Upload — the upload service found by disco (feature urn:xmpp:http:upload:0,
// its max-file-size from the XEP-0128 form), a slot request (§4: filename, size, content-type),
// the PUT of the file with progress, only the headers §5 allows (Authorization, Cookie, Expires),
// and the GET URL to share (the chat sends it as body + XEP-0066 jabber:x:oob, as Conversations
// and Gajim do). The PUT streams the file from disk: memory stays flat for large files.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { Element } from 'ltx';
import { ChatError } from './chat-errors.ts';
import type { ServiceFinder } from './disco.ts';
import { NS } from './ns.ts';
import { iq, type XmppConnection } from './xmpp-connection.ts';

const PUT_HEADERS = new Set(['authorization', 'cookie', 'expires']);
const PROGRESS_STEP = 64 * 1024;
const TYPES: Record<string, string> = {
  '.txt': 'text/plain', '.pdf': 'application/pdf', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
  '.gif': 'image/gif', '.webp': 'image/webp', '.svg': 'image/svg+xml', '.zip': 'application/zip', '.gz': 'application/gzip',
  '.json': 'application/json', '.csv': 'text/csv', '.html': 'text/html', '.mp3': 'audio/mpeg', '.mp4': 'video/mp4',
  '.doc': 'application/msword', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.odt': 'application/vnd.oasis.opendocument.text', '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
};

export const contentTypeOf = (file: string): string => TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

export interface Slot {
  put: string;
  get: string;
  headers: Record<string, string>;
}

export function createUploader(d: { conn: XmppConnection; services: ServiceFinder; trusted: () => string[] }) {
  async function service(): Promise<{ jid: string; maxBytes?: number }> {
    const s = await d.services.find(NS.upload);
    if (!s) throw new ChatError('not_supported', 'the server has no HTTP file upload service');
    const max = Number(s.forms.get(NS.upload)?.get('max-file-size'));
    return { jid: s.jid, ...(Number.isFinite(max) && max > 0 ? { maxBytes: max } : {}) };
  }

  async function slot(jid: string, filename: string, size: number, contentType: string): Promise<Slot> {
    const res = await d.conn.request(iq('get', jid, new Element('request', { xmlns: NS.upload, filename, size: String(size), 'content-type': contentType })), `upload slot for ${filename}`);
    const s = res.getChild('slot', NS.upload);
    const put = s?.getChild('put')?.attrs.url;
    const get = s?.getChild('get')?.attrs.url;
    if (!put || !get || !/^https?:\/\//i.test(put) || !/^https?:\/\//i.test(get)) throw new ChatError('refused', `the upload service gave no usable slot for ${filename}`);
    const headers: Record<string, string> = {};
    for (const h of s!.getChild('put')!.getChildren('header')) {
      const name = (h.attrs.name ?? '').toLowerCase();
      // §5: anything else is ignored; and never a header that could split the request.
      if (PUT_HEADERS.has(name) && !/[\r\n]/.test(h.getText())) headers[name] = h.getText();
    }
    return { put, get, headers };
  }

  function putFile(s: Slot, file: string, size: number, contentType: string, progress: (sent: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const url = new URL(s.put);
      const trusted = d.trusted();
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, {
        method: 'PUT',
        headers: { ...s.headers, 'content-type': contentType, 'content-length': String(size) },
        ...(url.protocol === 'https:' && trusted.length ? { ca: [...tls.rootCertificates, ...trusted] } : {}),
        timeout: 60_000,
      });
      let sent = 0;
      let reported = 0;
      req.once('response', (res) => {
        res.resume();
        if (res.statusCode === 200 || res.statusCode === 201) {
          progress(size);
          resolve();
        } else reject(new ChatError('upload_failed', `uploading ${path.basename(file)} failed: HTTP ${res.statusCode}`));
      });
      req.once('timeout', () => req.destroy(new Error('no progress for 60 s')));
      req.once('error', (e) => reject(e instanceof ChatError ? e : new ChatError('upload_failed', `uploading ${path.basename(file)} failed: ${e.message}`)));
      const body = createReadStream(file);
      body.on('data', (chunk) => {
        sent += chunk.length;
        if (sent - reported >= PROGRESS_STEP && sent < size) {
          reported = sent;
          progress(sent);
        }
      });
      body.once('error', (e) => req.destroy(e));
      body.pipe(req);
    });
  }

  return {
    /** Uploads a file; its GET URL. `progress` gets bytes sent so far (and the total at the end). */
    async upload(file: string, progress: (sent: number, total: number) => void): Promise<{ url: string; name: string; size: number }> {
      let st;
      try {
        st = await stat(file);
      } catch (e) {
        throw new ChatError('bad_request', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      if (!st.isFile()) throw new ChatError('bad_request', `${file} is not a file`);
      const name = path.basename(file);
      const svc = await service();
      if (svc.maxBytes !== undefined && st.size > svc.maxBytes) throw new ChatError('upload_failed', `${name} is ${st.size} bytes; the server takes files up to ${svc.maxBytes} bytes`, 'file-too-large');
      const type = contentTypeOf(file);
      const s = await slot(svc.jid, name, st.size, type);
      progress(0, st.size);
      await putFile(s, file, st.size, type, (sent) => progress(sent, st.size));
      return { url: s.get, name, size: st.size };
    },
  };
}
