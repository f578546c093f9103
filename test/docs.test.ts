/**
 * The documentation holds together: every relative link in README.md, CHANGELOG.md and docs/
 * names a file of the repository, and every `#anchor` a heading of that file (GitHub's slugs).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { ROOT } from './helpers/server.js';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

async function pages(): Promise<string[]> {
  const docs = (await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  return ['README.md', 'CHANGELOG.md', ...docs];
}

async function anchorsOf(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8');
  const outside = text.replace(/```[\s\S]*?```/g, '');
  return new Set([...outside.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)));
}

test('every relative link of the README, the changelog and docs/ resolves, anchors included', async (t) => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of await pages()) {
    const text = (await readFile(path.join(ROOT, page), 'utf8')).replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/i.test(target)) continue; // http(s), mailto: not checked here
      checked++;
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
      if (!resolved.startsWith(ROOT) || !(await stat(resolved).catch(() => undefined))) {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (anchor && !(await anchorsOf(resolved)).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  t.deepEqual(broken, []);
  t.true(checked > 20, `${checked} links checked`);
});

test('the README stays a newcomer’s page: under 12 KB, with the two commands, the walkthrough and a link to every docs/ page', async (t) => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  t.true(Buffer.byteLength(readme) < 12 * 1024, `${Buffer.byteLength(readme)} bytes`);
  for (const heading of ['## Two commands', '## Walkthrough', '## Where to read next']) t.true(readme.includes(heading), heading);
  for (const page of (await pages()).filter((p) => p.startsWith('docs/'))) t.true(readme.includes(`](${page})`), `README links ${page}`);
});
