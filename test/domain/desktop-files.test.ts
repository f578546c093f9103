import test, { type ExecutionContext } from 'ava';
import { copyMove } from '../../src/domain/copy-move.js';
import { deleteResource } from '../../src/domain/dav-delete.js';
import { DEFAULT_DESKTOP_FILES, DesktopFiles, parseDesktopFiles } from '../../src/domain/desktop-files.js';
import { currentVersion } from '../../src/domain/rules.js';
import { createDomain } from '../../src/domain/services.js';
import { alice, bob, memoryStore, refused, stageText, START } from './_support.js';

test('the default names: Finder, Explorer, Office and LibreOffice files, in any case; nothing that merely looks alike', (t) => {
  const desktop = new DesktopFiles();
  for (const key of ['._report.pdf', 'a/b/._.', '.DS_Store', 'docs/.ds_store', 'Thumbs.db', 'x/thumbs.db', 'desktop.ini', 'Desktop.ini', 'docs/~$report.docx', '.~lock.report.odt#']) {
    t.true(desktop.matches(key), key);
  }
  for (const key of ['report.pdf', 'a._b.txt', '.gitignore', 'docs/.DS_Store.bak', 'x.~lock.a#', '.~lock.a', 'thumbs.db.txt', '._dir/report.pdf', 'report~$.docx']) {
    t.false(desktop.matches(key), key);
  }
  t.is(desktop.companionOf('docs/report.pdf'), 'docs/._report.pdf');
  t.is(desktop.companionOf('report.pdf'), '._report.pdf');
  t.is(desktop.companionOf('docs/._report.pdf'), undefined, 'a desktop file has no companion');
  t.is(new DesktopFiles(['.DS_Store']).companionOf('docs/report.pdf'), undefined, 'no companion when ._ names are not desktop files');
});

test('KLUIS_DESKTOP_FILES: unset or empty is the defaults, none is off, patterns are names with * and ?', (t) => {
  t.deepEqual(parseDesktopFiles(undefined), { patterns: DEFAULT_DESKTOP_FILES, problems: [] });
  t.deepEqual(parseDesktopFiles(''), { patterns: DEFAULT_DESKTOP_FILES, problems: [] });
  t.deepEqual(parseDesktopFiles(' none '), { patterns: [], problems: [] });
  const custom = parseDesktopFiles(' .DS_Store , *.tmp, ~?lock ');
  t.deepEqual(custom, { patterns: ['.DS_Store', '*.tmp', '~?lock'], problems: [] });
  const desktop = new DesktopFiles(custom.patterns);
  t.true(desktop.matches('a/b.tmp'));
  t.true(desktop.matches('~xlock'));
  t.false(desktop.matches('~lock'));
  t.false(desktop.matches('._report.pdf'), 'only the listed names');
  t.false(new DesktopFiles([]).matches('.DS_Store'), 'an empty list is no filter');
  t.true(new DesktopFiles(['a+b(c).[x]{1}^$|\\']).matches('a+b(c).[x]{1}^$|\\'), 'regular expression characters are plain');
  t.is(parseDesktopFiles('*,a/b,').problems.length, 3, 'every name, a path and an empty pattern are refused');
  for (const typo of ['?*', '*?', '*.*', '*.pdf', 'a.*', '*e*']) t.is(parseDesktopFiles(typo).problems.length, 1, `${typo} would hide ordinary documents`);
});

function domain(t: ExecutionContext, desktop?: DesktopFiles) {
  const { storage } = memoryStore(t);
  let now = START;
  const d = createDomain(storage, { clock: () => now, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 }, ...(desktop ? { desktopFiles: desktop } : {}) });
  const save = async (key: string, text: string, caller = alice, tokens: string[] = []) => {
    now += 1000;
    return d.files.upload(caller, key, { conditions: {}, tokens }, await stageText(storage.blobs, text));
  };
  return { ...d, storage, save };
}

test('a desktop file keeps one version: each save replaces it, a delete too, and no history page is written', async (t) => {
  const d = domain(t);
  for (let i = 1; i <= 40; i++) await save(d, 'docs/.DS_Store', `finder view ${i}`);
  const record = await d.files.get('docs/.DS_Store');
  t.true(record?.unversioned);
  t.is(record?.versions.length, 1);
  t.is(record?.versions[0]?.version, 40, 'numbers go on, so a client never sees a number twice');
  t.is(record?.sealed, undefined);
  t.deepEqual(await collect(d.storage.history.scan()), [], 'no history page');
  await d.files.remove(alice, 'docs/.DS_Store', { conditions: {} }, true);
  t.deepEqual(
    (await d.files.get('docs/.DS_Store'))?.versions.map((v) => [v.version, v.deleted]),
    [[41, true]],
  );
  await save(d, 'docs/.DS_Store', 'again');
  t.deepEqual(
    (await d.files.get('docs/.DS_Store'))?.versions.map((v) => v.version),
    [42],
  );
  // A real document saved as often keeps every version.
  for (let i = 1; i <= 3; i++) await save(d, 'docs/report.odt', `draft ${i}`);
  t.is((await d.files.get('docs/report.odt'))?.versions.length, 3);
});

async function save(d: ReturnType<typeof domain>, key: string, text: string) {
  return d.save(key, text);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test('a desktop file locked before its first save (a lock-null resource) keeps one version; a file versioned before its name was listed stays versioned', async (t) => {
  const d = domain(t);
  const { lock } = await d.files.checkout(alice, 'docs/._report.pdf', { conditions: {} }, 60);
  await d.save('docs/._report.pdf', 'apple double 1', alice, [lock.token]);
  await d.save('docs/._report.pdf', 'apple double 2', alice, [lock.token]);
  t.is((await d.files.get('docs/._report.pdf'))?.versions.length, 1);
  t.is((await d.files.get('docs/._report.pdf'))?.lock?.token, lock.token, 'the lock stays with the file');

  const before = domain(t, new DesktopFiles([]));
  await before.save('Thumbs.db', 'one');
  await before.save('Thumbs.db', 'two');
  const later = createDomain(before.storage, { clock: () => START + 10_000, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  await later.files.upload(alice, 'Thumbs.db', { conditions: {} }, await stageText(before.storage.blobs, 'three'));
  t.deepEqual(
    (await later.files.get('Thumbs.db'))?.versions.map((v) => v.version),
    [1, 2, 3],
    'its history is never dropped',
  );
  t.is((await later.files.get('Thumbs.db'))?.unversioned, undefined);
});

test('the filter turned off and on again never drops a version, pinned or not', async (t) => {
  const on = domain(t);
  await on.save('desktop.ini', 'kept as a desktop file');
  const off = createDomain(on.storage, { clock: () => START + 60_000, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 }, desktopFiles: new DesktopFiles([]) });
  for (const text of ['two', 'three', 'four']) await off.files.upload(alice, 'desktop.ini', { conditions: {} }, await stageText(on.storage.blobs, text));
  await off.files.pin('desktop.ini', 3, true);
  t.is((await off.files.get('desktop.ini'))?.unversioned, undefined, 'versioned again: an ordinary file from then on');
  const again = createDomain(on.storage, { clock: () => START + 120_000, lockTimeouts: { defaultSeconds: 60, maxSeconds: 3600 } });
  await again.files.upload(alice, 'desktop.ini', { conditions: {} }, await stageText(on.storage.blobs, 'five'));
  t.deepEqual(
    (await again.files.get('desktop.ini'))?.versions.map((v) => [v.version, v.pinned ?? false]),
    [
      [1, false],
      [2, false],
      [3, true],
      [4, false],
      [5, false],
    ],
  );

  // Even a file kept as a desktop file, pinned while the filter was off, keeps its pinned version.
  await on.save('Thumbs.db', 'one');
  await off.files.pin('Thumbs.db', 1, true);
  await again.files.upload(alice, 'Thumbs.db', { conditions: {} }, await stageText(on.storage.blobs, 'two'));
  t.deepEqual(
    (await again.files.get('Thumbs.db'))?.versions.map((v) => v.version),
    [1, 2],
  );
});

test('/files neither lists nor writes a desktop file; the WebDAV side lists it', async (t) => {
  const d = domain(t);
  await d.save('docs/report.pdf', 'the report');
  await d.save('docs/._report.pdf', 'finder metadata');
  await d.save('docs/.DS_Store', 'finder view');
  const listed = await d.reader.list('docs');
  t.deepEqual(
    listed.entries.map((e) => e.name),
    ['report.pdf'],
  );
  await d.files.remove(alice, 'docs/report.pdf', { conditions: {} });
  t.deepEqual(
    (await d.reader.list('docs', true)).entries.map((e) => e.name),
    ['report.pdf'],
    'nor among the deleted',
  );
  await refused(t, d.dav.beforeFilesWrite('docs/desktop.ini', alice, { conditions: {} }), 'desktop-file');
  await refused(t, d.dav.beforeFilesWrite('docs/~$report.docx', alice, { conditions: {} }, 'remove'), 'desktop-file');
  const members = await d.dav.collections.members('docs');
  t.true(members.files.includes('.DS_Store') && members.files.includes('._report.pdf'), JSON.stringify(members));
});

test('an AppleDouble file goes when its file is deleted, moves when it moves, and stays when someone else locked it', async (t) => {
  const d = domain(t);
  await d.save('docs/report.pdf', 'the report');
  await d.save('docs/._report.pdf', 'finder tags');
  const live = async (key: string) => currentVersion(await d.files.get(key)) !== null;

  const move = { fromCollection: false, toCollection: false, depth: 'infinity' as const, overwrite: true, move: true, tokens: [] };
  await copyMove(d.dav, alice, { ...move, from: 'docs/report.pdf', to: 'docs/final.pdf' });
  t.false(await live('docs/._report.pdf'));
  t.true(await live('docs/._final.pdf'));
  t.is(currentVersion(await d.files.get('docs/._final.pdf'))?.sha256, (await stageText(d.storage.blobs, 'finder tags')).sha256);

  // Moved over a file with its own companion: the destination's goes, the source's takes its place.
  await d.save('docs/old.pdf', 'the old one');
  await d.save('docs/._old.pdf', 'old tags');
  await copyMove(d.dav, alice, { ...move, from: 'docs/final.pdf', to: 'docs/old.pdf' });
  t.is(currentVersion(await d.files.get('docs/._old.pdf'))?.sha256, (await stageText(d.storage.blobs, 'finder tags')).sha256);
  t.false(await live('docs/._final.pdf'));

  // /files moves it too (the same MOVE, under /files rules).
  await copyMove(d.dav, alice, { ...move, from: 'docs/old.pdf', to: 'archive/2024.pdf', files: true });
  t.true(await live('archive/._2024.pdf'));
  t.false(await live('docs/._old.pdf'));

  await deleteResource(d.dav, alice, 'archive/2024.pdf', 'file', []);
  t.false(await live('archive/._2024.pdf'), 'a delete takes it');

  // A folder's AppleDouble file (`._photos` beside `photos/`) moves and goes with the folder.
  await d.save('photos/cat.jpg', 'a cat');
  await d.save('._photos', 'folder colour');
  await copyMove(d.dav, alice, { ...move, from: 'photos', to: 'pictures', fromCollection: true, toCollection: true });
  t.false(await live('._photos'));
  t.true(await live('._pictures'));
  await deleteResource(d.dav, alice, 'pictures', 'collection', []);
  t.false(await live('._pictures'));

  await d.save('docs/kept.pdf', 'kept');
  await d.save('docs/._kept.pdf', 'kept tags');
  await d.files.checkout(bob, 'docs/._kept.pdf', { conditions: {} }, 60);
  await copyMove(d.dav, alice, { ...move, from: 'docs/kept.pdf', to: 'docs/moved.pdf' });
  t.true(await live('docs/moved.pdf'), 'the move itself succeeds');
  t.true(await live('docs/._kept.pdf'), "bob's lock keeps the companion where it is");
  t.false(await live('docs/._moved.pdf'), 'and no copy of it is made');
  await deleteResource(d.dav, alice, 'docs/moved.pdf', 'file', []);
  t.false(await live('docs/moved.pdf'), 'the delete itself succeeds');
  t.true(await live('docs/._kept.pdf'), "bob's lock keeps the companion");
});

test('with the filter off, every name is versioned and /files serves it', async (t) => {
  const d = domain(t, new DesktopFiles([]));
  await d.save('.DS_Store', 'one');
  await d.save('.DS_Store', 'two');
  t.is((await d.files.get('.DS_Store'))?.versions.length, 2);
  t.deepEqual(
    (await d.reader.list('')).entries.map((e) => e.name),
    ['.DS_Store'],
  );
  await d.dav.beforeFilesWrite('.DS_Store', alice, { conditions: {} });
  t.pass();
});
