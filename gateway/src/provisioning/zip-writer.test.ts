import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { createZipWriter } from './zip-writer.ts';

test('the zip it writes is read back by Python’s zipfile: names (UTF-8), contents, CRCs', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-zip-'));
  const file = path.join(dir, 'out.zip');
  const z = createZipWriter(file);
  await z.add('alice@example.com/Herald.tar.gz', Readable.from([Buffer.from('part one, '), Buffer.from('part two')]));
  await z.add('jürgen@example.com/x.bin', Buffer.alloc(70_000, 7));
  await z.add('manifest.csv', Buffer.from('user,file\n'));
  await z.close();
  const py = `import zipfile,sys,json
z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(json.dumps({i.filename: len(z.read(i)) for i in z.infolist()} | {"first": z.read("alice@example.com/Herald.tar.gz").decode()}))`;
  const got = JSON.parse(execFileSync('python3', ['-c', py, file], { encoding: 'utf8' })) as Record<string, unknown>;
  assert.deepEqual(got, { 'alice@example.com/Herald.tar.gz': 18, 'jürgen@example.com/x.bin': 70_000, 'manifest.csv': 10, first: 'part one, part two' });
});
