// What the desktop does with the admin's update setting: off checks nothing, notify asks the user
// (now / on quit / not now), automatic downloads and installs on quit; checks repeat on the clock.
// The updater is a recording fake of the port (the real one is electron-updater, in the main process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientConfig } from '../../../../gateway/src/protocol/api.ts';
import { FakeClock, settle } from '../../../test-support/fake-clock.ts';
import { createUpdateController, type UpdateChoice, type UpdaterPort } from './update-controller.ts';

const FEED = 'https://gw.example.com/updates/stable';
const config = (mode: 'off' | 'notify' | 'automatic' | undefined): ClientConfig =>
  ({
    user: { address: 'bob@example.com', displayName: 'Bob' },
    ...(mode ? { updates: { mode, feedUrl: FEED } } : {}),
  }) as ClientConfig;

class FakeUpdater implements UpdaterPort {
  calls: string[] = [];
  configured: { feedUrl: string; authorization: string; installOnQuit: boolean }[] = [];
  offer: { version: string } | null = { version: '1.2.0' };
  failCheck: Error | undefined;
  configure(o: { feedUrl: string; authorization: string; installOnQuit: boolean }) {
    this.configured.push(o);
    this.calls.push(`configure ${o.installOnQuit ? 'install-on-quit' : 'keep'}`);
  }
  async check() {
    this.calls.push('check');
    if (this.failCheck) throw this.failCheck;
    return this.offer;
  }
  async download() {
    this.calls.push('download');
  }
  installNow() {
    this.calls.push('install-now');
  }
}

function setup(choice: UpdateChoice = 'later') {
  const clock = new FakeClock();
  const updater = new FakeUpdater();
  const asked: string[] = [];
  const prompt = {
    async offer(v: string) {
      asked.push(v);
      return choice;
    },
  };
  const c = createUpdateController({ updater, prompt, clock, intervalMs: 3600_000, firstCheckMs: 60_000 });
  return { clock, updater, asked, c };
}

test('off, no setting (an older gateway) or no token: nothing is configured, checked or downloaded — even after days', async () => {
  for (const [cfg, token] of [[config('off'), 'tok'], [config(undefined), 'tok'], [config('automatic'), undefined], [undefined, 'tok']] as const) {
    const { clock, updater, c } = setup();
    c.apply(cfg, token);
    await clock.advance(3 * 24 * 3600_000);
    assert.equal(updater.calls.length, 0, updater.calls.join());
    assert.equal(c.state().phase, 'off');
    // The same controller checks once the setting allows it: the silence above was the setting's doing.
    c.apply(config('automatic'), 'tok');
    await clock.advance(60_000);
    assert.ok(updater.calls.includes('check'));
  }
});

test('automatic: feed and device token handed to the updater, first check after a minute, download, ready to install on quit', async () => {
  const { clock, updater, asked, c } = setup();
  c.apply(config('automatic'), 'device-token');
  assert.deepEqual(updater.configured, [{ feedUrl: FEED, authorization: 'Bearer device-token', installOnQuit: true }]);
  await clock.advance(59_999);
  assert.deepEqual(updater.calls, ['configure install-on-quit'], 'not before the first-check delay');
  await clock.advance(1);
  assert.deepEqual(updater.calls, ['configure install-on-quit', 'check', 'download']);
  assert.deepEqual(c.state(), { mode: 'automatic', phase: 'ready', version: '1.2.0' });
  assert.deepEqual(asked, [], 'nobody is asked');
  assert.ok(!updater.calls.includes('install-now'), 'installed when Herald quits, not now');
  await clock.advance(3600_000);
  assert.deepEqual(updater.calls.slice(3), ['check'], 'checked again an interval later; the same version is not downloaded twice');
});

test('notify: the user is asked; "now" downloads and installs now', async () => {
  const { clock, updater, asked, c } = setup('now');
  c.apply(config('notify'), 'tok');
  assert.equal(updater.configured[0]?.installOnQuit, false, 'nothing installs on quit before the user chose');
  await clock.advance(60_000);
  assert.deepEqual(asked, ['1.2.0']);
  assert.deepEqual(updater.calls, ['configure keep', 'check', 'configure install-on-quit', 'download', 'install-now']);
});

test('notify: "on quit" downloads and waits for the quit', async () => {
  const { clock, updater, c } = setup('on-quit');
  c.apply(config('notify'), 'tok');
  await clock.advance(60_000);
  assert.deepEqual(updater.calls, ['configure keep', 'check', 'configure install-on-quit', 'download']);
  assert.equal(c.state().phase, 'ready');
});

test('notify: "not now" downloads nothing and is not asked again for that version; a newer one is asked', async () => {
  const { clock, updater, asked, c } = setup('later');
  c.apply(config('notify'), 'tok');
  await clock.advance(60_000);
  await clock.advance(3600_000);
  assert.deepEqual(asked, ['1.2.0'], 'asked once, though checked twice');
  assert.equal(updater.calls.filter((x) => x === 'check').length, 2);
  assert.ok(!updater.calls.includes('download'));
  updater.offer = { version: '1.3.0' };
  await clock.advance(3600_000);
  assert.deepEqual(asked, ['1.2.0', '1.3.0']);
});

test('up to date: idle; a failed check is shown and retried at the next interval', async () => {
  const { clock, updater, c } = setup();
  updater.offer = null;
  c.apply(config('automatic'), 'tok');
  await clock.advance(60_000);
  assert.deepEqual(c.state(), { mode: 'automatic', phase: 'idle' });
  updater.failCheck = new Error('401 Unauthorized');
  await clock.advance(3600_000);
  assert.deepEqual(c.state(), { mode: 'automatic', phase: 'error', error: '401 Unauthorized' });
  updater.failCheck = undefined;
  updater.offer = { version: '2.0.0' };
  await clock.advance(3600_000);
  assert.deepEqual(c.state(), { mode: 'automatic', phase: 'ready', version: '2.0.0' });
});

test('the admin switches updates off: the schedule stops; the same config again does not restart it', async () => {
  const { clock, updater, c } = setup();
  c.apply(config('automatic'), 'tok');
  c.apply(config('automatic'), 'tok');
  assert.equal(updater.configured.length, 1, 'an unchanged config changes nothing');
  c.apply(config('off'), 'tok');
  await clock.advance(24 * 3600_000);
  assert.deepEqual(updater.calls, ['configure install-on-quit']);
  assert.equal(clock.pending, 0);
  assert.equal(c.state().phase, 'off');
});

test('checkNow while a check runs does not start a second one', async () => {
  const { updater, c } = setup();
  let release!: () => void;
  updater.check = async () => {
    updater.calls.push('check');
    await new Promise<void>((r) => (release = r));
    return null;
  };
  c.apply(config('automatic'), 'tok');
  const first = c.checkNow();
  await settle();
  await c.checkNow();
  release();
  await first;
  assert.equal(updater.calls.filter((x) => x === 'check').length, 1);
});
