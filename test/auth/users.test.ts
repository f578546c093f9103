import test, { type ExecutionContext } from 'ava';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashSecret, verifySecret } from '../../src/auth/secrets.js';
import { UserDirectory } from '../../src/auth/users.js';
import { tempDir } from '../helpers/server.js';

/** Hashes made once: scrypt is deliberately slow. */
const hashes = (async () => ({
  alice: await hashSecret('alice-pw'),
  bob: await hashSecret('bob-pw'),
  token: await hashSecret('alice-token'),
  robot: await hashSecret('robot-token'),
}))();

async function usersFile(t: ExecutionContext, content: unknown): Promise<string> {
  const dir = await tempDir('kluis-users-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'users.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function directory(t: ExecutionContext): Promise<UserDirectory> {
  const h = await hashes;
  return UserDirectory.load(
    await usersFile(t, {
      users: [
        { name: 'alice', role: 'admin', password: h.alice, tokens: [h.token] },
        { name: 'bob', password: h.bob },
        { name: 'robot', role: 'read-only', tokens: [h.robot] },
      ],
    }),
  );
}

test('basic: the right password gives the caller with its role; wrong ones give nothing', async (t) => {
  const users = await directory(t);
  t.is(users.size, 3);
  t.deepEqual(await users.basic('alice', 'alice-pw'), { name: 'alice', role: 'admin' });
  t.deepEqual(await users.basic('bob', 'bob-pw'), { name: 'bob', role: 'user' }, 'role defaults to user');
  t.is(await users.basic('alice', 'bob-pw'), undefined);
  t.is(await users.basic('bob', 'alice-pw'), undefined);
  t.is(await users.basic('mallory', 'alice-pw'), undefined);
  t.is(await users.basic('alice', ''), undefined);
  // A token is not a password, and a user with tokens only has no password.
  t.is(await users.basic('alice', 'alice-token'), undefined);
  t.is(await users.basic('robot', 'robot-token'), undefined);
});

test('a remembered credential does not let a different password in', async (t) => {
  const users = await directory(t);
  t.truthy(await users.basic('alice', 'alice-pw'));
  t.truthy(await users.basic('alice', 'alice-pw'));
  t.is(await users.basic('alice', 'alice-pw '), undefined);
});

test('bearer: any user’s token identifies that user; unknown tokens give nothing', async (t) => {
  const users = await directory(t);
  t.deepEqual(await users.bearer('alice-token'), { name: 'alice', role: 'admin' });
  t.deepEqual(await users.bearer('robot-token'), { name: 'robot', role: 'read-only' });
  t.is(await users.bearer('alice-pw'), undefined, 'a password is not a token');
  t.is(await users.bearer('nope'), undefined);
});

test('a UserDirectory built in code works like a loaded one', async (t) => {
  const h = await hashes;
  const users = new UserDirectory([{ name: 'carol', role: 'user', password: h.bob }]);
  t.deepEqual(await users.basic('carol', 'bob-pw'), { name: 'carol', role: 'user' });
  t.is(await users.bearer('bob-pw'), undefined);
});

async function refusedFile(t: ExecutionContext, content: unknown, message: RegExp): Promise<void> {
  const file = await usersFile(t, content);
  const err = await t.throwsAsync(UserDirectory.load(file));
  t.regex(err?.message ?? '', message);
  t.true(err?.message.includes(file), 'the message names the file');
}

test('users file: a plain-text password or token is refused', async (t) => {
  const h = await hashes;
  await refusedFile(t, { users: [{ name: 'alice', password: 'alice-pw' }] }, /plain text/);
  await refusedFile(t, { users: [{ name: 'alice', password: h.alice, tokens: ['alice-token'] }] }, /plain text/);
});

test('users file: duplicate names are refused', async (t) => {
  const h = await hashes;
  await refusedFile(
    t,
    {
      users: [
        { name: 'alice', password: h.alice },
        { name: 'alice', password: h.bob },
      ],
    },
    /users\[1\].*duplicate user alice/,
  );
});

test('users file: an unknown role is refused', async (t) => {
  const h = await hashes;
  await refusedFile(t, { users: [{ name: 'alice', role: 'superuser', password: h.alice }] }, /role must be admin, user or read-only/);
  await refusedFile(t, { users: [{ name: 'alice', role: 'Admin', password: h.alice }] }, /role/);
});

test('users file: other shapes are refused with a message naming the problem', async (t) => {
  const h = await hashes;
  await refusedFile(t, '{ not json', /users file/);
  await refusedFile(t, { users: [] }, /at least one user/);
  await refusedFile(t, { people: [{ name: 'alice', password: h.alice }] }, /"users"/);
  await refusedFile(t, [], /"users"/);
  await refusedFile(t, { users: [{ password: h.alice }] }, /name/);
  await refusedFile(t, { users: [{ name: 'has space', password: h.alice }] }, /name/);
  await refusedFile(t, { users: [{ name: 'alice' }] }, /needs a password or tokens/);
  await refusedFile(t, { users: [{ name: 'alice', tokens: [] }] }, /needs a password or tokens/);
});

test('users file: a hash whose scrypt parameters cannot be used is refused at load, not at every login', async (t) => {
  const h = await hashes;
  await refusedFile(t, { users: [{ name: 'alice', password: 'scrypt$1000$8$1$c2FsdA==$a2V5' }] }, /scrypt/);
  await refusedFile(t, { users: [{ name: 'alice', password: h.alice, tokens: ['scrypt$1048576$8$1$c2FsdA==$a2V5'] }] }, /scrypt/);
});

test('users file: a missing file is an error naming it', async (t) => {
  const dir = await tempDir('kluis-users-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'absent.json');
  const err = await t.throwsAsync(UserDirectory.load(file));
  t.true(err?.message.includes(file));
});

test('Basic auth: an unknown name, or a name without a password, runs scrypt against a dummy hash like a known one (no timing oracle of names)', async (t) => {
  const h = await hashes;
  const checked: string[] = [];
  const verify = async (secret: string, hash: string) => {
    checked.push(hash);
    return verifySecret(secret, hash);
  };
  const users = new UserDirectory(
    [
      { name: 'carol', role: 'user', password: h.bob },
      { name: 'robot', role: 'read-only', tokens: [h.bob] },
    ],
    verify,
  );
  t.is(await users.basic('carol', 'wrong'), undefined);
  t.deepEqual(checked, [h.bob], 'a known name: its own hash');
  checked.length = 0;
  t.is(await users.basic('mallory', 'wrong'), undefined);
  t.is(checked.length, 1, 'an unknown name: one scrypt check all the same');
  t.not(checked[0], h.bob);
  t.regex(checked[0] ?? '', /^scrypt\$16384\$8\$1\$/, 'at the cost of a real password hash');
  checked.length = 0;
  t.is(await users.basic('robot', 'bob-pw'), undefined, 'a user with tokens only has no password');
  t.is(checked.length, 1, 'and is checked against the dummy hash too');
});
