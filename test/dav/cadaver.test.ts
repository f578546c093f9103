/**
 * cadaver 0.24, the command-line WebDAV client, against `/dav/` on a real kluis process. A
 * WebDAV lock is a `/files` check-out: one session's `lock` must refuse another session's
 * `put` (423) until it `unlock`s, and every accepted `put` is a version.
 *
 * cadaver keeps its lock tokens per session and always exits 0, so the locking session is
 * one long-lived process fed a command at a time (cadaver reads stdin when it is not a TTY
 * and still prints its prompt), and every assertion is on what it printed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { request } from '../helpers/http.js';
import { sha256 } from '../helpers/server.js';
import { ensureTool, runTool, scratchDir, startDavServer } from './_tools.js';
import { tracked } from '../helpers/children.js';

/** `dav:/dav/> ` when connected, `dav:/dav/? ` when not; printed without a newline. */
const PROMPT = /dav:[^\n]*[>?] $/;

/** One cadaver process, driven command by command. */
class Session {
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (this.output += c.toString()));
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
  }

  /** Start cadaver on `url` and wait for its first prompt; returns the session and what it printed. */
  static async open(cadaver: string, url: string, options: { cwd: string; home: string }): Promise<{ session: Session; banner: string }> {
    const child = tracked(spawn(cadaver, [url], { cwd: options.cwd, env: { ...process.env, HOME: options.home }, stdio: ['pipe', 'pipe', 'pipe'] }));
    const session = new Session(child);
    return { session, banner: await session.untilPrompt('start') };
  }

  /** Everything printed from now until the next prompt (the echoed command included). */
  private async untilPrompt(what: string, timeoutMs = 30_000): Promise<string> {
    const start = this.output.length;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.output.slice(start);
      if (PROMPT.test(seen)) return seen;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`cadaver exited during ${what}:\n${this.output}`);
      // A command that asks for input (e.g. `unlock` without a token) never prompts again.
      if (Date.now() > deadline) throw new Error(`no cadaver prompt within ${timeoutMs / 1000} s after ${what}:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Run one command; its output up to the next prompt. */
  async send(command: string): Promise<string> {
    const start = this.output.length;
    this.child.stdin.write(`${command}\n`);
    await this.untilPrompt(`\`${command}\``);
    return this.output.slice(start);
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

test('cadaver: a lock taken in one session refuses a put from another (423) and a curl PUT (409, naming its lockowner) until unlocked; each put is a version', async (t) => {
  const cadaver = await ensureTool('cadaver', 'cadaver');
  const server = await startDavServer(t);
  const work = await scratchDir(t, 'kluis-cadaver-');
  // An empty HOME: no ~/.cadaverrc or ~/.netrc of the developer's is read.
  const home = path.join(work, 'home');
  await mkdir(home);
  const first = 'first content, written by the session that locks\n';
  const second = 'second content, from another session\n';
  await writeFile(path.join(work, 'first.txt'), first);
  await writeFile(path.join(work, 'second.txt'), second);
  const current = async () => (await request(`${server.url}/files/notes.txt`)).text;
  /** A separate, short cadaver session: its own connection and no lock tokens. */
  const otherSession = async (script: string) => {
    const run = await runTool(cadaver, [server.dav], { cwd: work, env: { HOME: home }, input: `${script}\nquit\n`, timeoutMs: 60_000 });
    return run.stdout + run.stderr;
  };

  const { session: holder, banner } = await Session.open(cadaver, server.dav, { cwd: work, home });
  t.teardown(() => holder.close());
  t.notRegex(banner, /Could not (open|access)/, `cadaver could not open ${server.dav}:\n${banner}`);
  t.regex(banner, /dav:\/dav\/> $/, `cadaver is not connected:\n${banner}`);

  const put1 = await holder.send('put first.txt notes.txt');
  t.regex(put1, /succeeded/, put1);
  t.is(await current(), first);

  // Who holds it: cadaver sends its `lockowner` as the lock's DAV:owner, and a refusal names it.
  await holder.send('set lockowner anna@example.org');
  const lock = await holder.send('lock notes.txt');
  t.regex(lock, /Locking `notes\.txt': succeeded/, lock);
  const curl = await request(`${server.url}/files/notes.txt`, { method: 'PUT', body: 'a scripted overwrite' });
  t.is(curl.status, 409, curl.text);
  t.is(curl.json?.lock?.label, 'anna@example.org', curl.text);
  t.regex(curl.json?.detail ?? '', /anna@example\.org/, curl.text);
  // The WebDAV lock is the /files check-out.
  t.is((await request(`${server.url}/files/notes.txt?lock`)).status, 200, 'GET /files/notes.txt?lock while the DAV lock is held');

  const refused = await otherSession('put second.txt notes.txt');
  t.regex(refused, /423|Locked/, `the second session's put was not refused with 423 Locked:\n${refused}`);
  t.notRegex(refused, /succeeded/, refused);
  t.is(await current(), first, 'the refused put changed the file');

  const unlock = await holder.send('unlock notes.txt');
  t.regex(unlock, /Unlocking `notes\.txt': succeeded/, unlock);
  t.is((await request(`${server.url}/files/notes.txt?lock`)).status, 404, 'the lock outlived UNLOCK');

  const put2 = await otherSession('put second.txt notes.txt');
  t.regex(put2, /succeeded/, put2);
  t.is(await current(), second);

  const history = await request(`${server.url}/files/notes.txt?versions`);
  t.is(history.status, 200, history.text);
  const versions = (history.json?.versions ?? []) as { version: number; sha256: string; size: number; deleted?: boolean }[];
  t.deepEqual(
    versions.map((v) => ({ version: v.version, sha256: v.sha256, size: v.size, deleted: v.deleted ?? false })),
    [
      { version: 2, sha256: await sha256(second), size: Buffer.byteLength(second), deleted: false },
      { version: 1, sha256: await sha256(first), size: Buffer.byteLength(first), deleted: false },
    ],
    history.text,
  );
  t.is(history.json?.lock ?? null, null, 'a lock is still reported');
  await holder.close();
});
