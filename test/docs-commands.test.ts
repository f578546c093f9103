/**
 * The command blocks of the README and docs/ work as printed. Every ```sh block is run here,
 * line by line, against a real server (`localhost:8080` pointed at it), in a folder holding the
 * files the lines name; a block that cannot run here (Docker, AWS, a server that runs until
 * stopped) or that another test runs says so in an HTML comment just above it, and is left
 * out by name. curl lines must get a 2xx answer; other lines must exit 0 and print no failure.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { ensureTool } from './dav/_tools.js';
import { put } from './helpers/http.js';
import { ROOT, startServer, tempDir } from './helpers/server.js';

const exec = promisify(execFile);

interface Block {
  page: string;
  line: number;
  /** The HTML comment just above the block: why it is not run here, or which test runs it. */
  marked?: string;
  commands: string[];
}

async function blocks(): Promise<Block[]> {
  const pages = ['README.md', ...(await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const found: Block[] = [];
  for (const page of pages) {
    const text = await readFile(path.join(ROOT, page), 'utf8');
    for (const m of text.matchAll(/(?:<!-- ([^>]*) -->\n)?```sh\n([\s\S]*?)```/g)) {
      const line = text.slice(0, m.index).split('\n').length;
      const commands = (m[2] ?? '').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      found.push({ page, line, ...(m[1] ? { marked: m[1] } : {}), commands });
    }
  }
  return found;
}

test('every command block of the README and docs/ is run here, or says why not', async (t) => {
  const all = await blocks();
  t.true(all.length >= 6, `${all.length} blocks`);
  for (const block of all.filter((b) => b.marked)) t.regex(block.marked as string, /^(not run|run by test\/)/, `${block.page}:${block.line}`);
  const run = all.filter((b) => !b.marked);
  t.true(run.length >= 2, 'some blocks are run');

  await ensureTool('cadaver', 'cadaver');
  await ensureTool('rclone', 'rclone');
  const dataDir = await tempDir('kluis-docs-');
  const s = await startServer({ dataDir });
  t.teardown(() => s.close());
  const host = s.url.replace('http://', '');
  await put(s.url, 'docs/report.pdf', Buffer.from('a report'));
  const cwd = await tempDir('kluis-docs-cwd-');
  await mkdir(path.join(cwd, 'photos'));
  await writeFile(path.join(cwd, 'photos', 'beach.jpg'), 'not really a photo');
  await writeFile(path.join(cwd, 'report.pdf'), 'a report');

  for (const block of run) {
    for (const command of block.commands) {
      const where = `${block.page}:${block.line}: ${command}`;
      // The comment after a command goes (what follows is added to the command); stdin is empty (cadaver quits).
      const line = command.replaceAll('localhost:8080', host).replace(/\s+#.*$/, '');
      const curl = line.startsWith('curl ');
      const script = curl ? `${line} -sS -o /dev/null -w '%{http_code}'` : `${line} < /dev/null`;
      // npm scripts run in the project, as a user runs them from a checkout; the rest in the folder of files.
      const out = await exec('bash', ['-c', script], { cwd: line.startsWith('npm ') ? ROOT : cwd, env: { ...process.env, KLUIS_DATA_DIR: dataDir, HOME: cwd }, timeout: 60_000 }).catch(
        (err: { code?: number; stdout?: string; stderr?: string }) => ({ failed: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
      );
      t.false('failed' in out, `${where} exited ${'failed' in out ? out.failed : 0}: ${out.stderr}`);
      if (curl) t.regex(out.stdout.trim(), /^2\d\d$/, `${where}: HTTP ${out.stdout}`);
      else t.notRegex(`${out.stdout}\n${out.stderr}`, /could not|failed|error/i, where);
    }
  }
  // What the WebDAV block's rclone line copied is a file of kluis.
  t.is(await fetch(`${s.url}/files/photos/beach.jpg`).then((r) => r.text()), 'not really a photo');
});
