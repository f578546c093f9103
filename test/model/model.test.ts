/**
 * Model-based test of the /files API: random command sequences run against the in-memory model
 * (model.ts) and the real service over HTTP; after every command the status, the problem code
 * (with the 409/412 conflict state) and what reads return must agree, and after every run the
 * whole history of every path and the set of stored blobs. Shrunk counterexamples are kept in
 * regressions.ts and replayed here as ordinary tests.
 *
 * Replay a failure with the KLUIS_MODEL_SEED=<seed>:<path>@<replayPath> it prints (`<seed>` alone reruns
 * the same sequences).
 */
import test from 'ava';
import fc from 'fast-check';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeUsers } from '../http/rest/_support.js';
import { CONTENTS, type Op, PATHS, TYPES, USERS } from './_ops.js';
import { Model } from './model.js';
import { REGRESSIONS } from './regressions.js';
import { finalCheck, newStats, openRun, type Real, runOp, summary } from './_support.js';

const SOAK = process.env.KLUIS_SOAK === '1';
const RUNS = SOAK ? 1000 : 40;
const MAX_COMMANDS = SOAK ? 60 : 25;
const REPLAY = parseSeed(process.env.KLUIS_MODEL_SEED);

/** `<seed>[:<path>][@<replayPath>]`: fast-check's seed and path, and fc.commands' own replay path. */
function parseSeed(value: string | undefined): { seed: number; path?: string; replayPath?: string } | undefined {
  const m = value ? /^(-?\d+)(?::([\d:]+))?(?:@(.+))?$/.exec(value) : null;
  if (!value) return undefined;
  if (!m) throw new Error(`KLUIS_MODEL_SEED must be <seed>[:<path>][@<replayPath>], not ${value}`);
  return { seed: Number(m[1]), ...(m[2] ? { path: m[2] } : {}), ...(m[3] ? { replayPath: m[3] } : {}) };
}

/** One server for the file (tests run serially: they share its clock); every run has its own paths. */
let shared: Promise<TestServer> | undefined;
const server = async (): Promise<TestServer> => (shared ??= makeUsers().then((users) => startServer({ users, lockDefaultSeconds: 60 })));
test.after.always(async () => (await shared)?.close());

/** One operation as a fast-check command; it prints as the JSON that regressions.ts stores. */
class OpCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: Op) {}
  check(model: Readonly<Model>): boolean {
    return model.applicable(this.op); // refusals are part of the model; this only skips duplicates
  }
  async run(model: Model, real: Real): Promise<void> {
    await runOp(model, real, this.op);
  }
  toString(): string {
    return JSON.stringify(this.op);
  }
}

/** The first path is used most, so that state builds up; the others make cross-path dedup. */
const path = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(PATHS.length - 1) });
/** Writers mostly; now and then the read-only user, whose writes are refused before any lock check. */
const user = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...USERS.filter((u) => u !== 'reader')) }, { weight: 1, arbitrary: fc.constant(USERS[3]) });
/** For lock operations: mostly the lock's owner, else anyone. */
const actor = fc.oneof({ weight: 3, arbitrary: fc.constant('holder' as const) }, { weight: 2, arbitrary: user });
const content = fc.constantFrom(...CONTENTS);
const type = fc.constantFrom(...TYPES);
const pick = fc.constantFrom('content' as const, 'marker' as const, 'missing' as const);
const i = fc.nat({ max: 3 });
/** Mostly unconditional; else one of the preconditions (current or stale). */
const cond = fc.oneof({ weight: 4, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('if-match', 'if-match-stale', 'if-none-match', 'base', 'base-stale') });

/** Weighted so that locks are taken often enough for their rules to matter. */
const OP: fc.Arbitrary<Op> = fc.oneof(
  // upload: raw PUT
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put'), path, user, content, type, token: fc.constant('none'), cond: fc.constant('none'), form: fc.boolean() }) },
  // conditional upload: current or stale ETag, If-None-Match: *, ?base=N current or stale
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('put'),
      path,
      user: actor,
      content,
      type,
      token: fc.constantFrom('none', 'held'),
      cond: fc.constantFrom('if-match', 'if-match-stale', 'if-none-match', 'base', 'base-stale'),
      form: fc.boolean(),
    }),
  },
  // upload with the lock token (own, someone else's, stale, never issued)
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('put'), path, user: actor, content, type, token: fc.constantFrom('held', 'held', 'stale', 'bogus'), cond: fc.constant('none'), form: fc.boolean() }),
  },
  // checkout by alice or bob (root too), or a refresh with the held token
  { weight: 8, arbitrary: fc.record({ op: fc.constant('checkout'), path, user: actor, token: fc.constantFrom('none', 'none', 'held', 'stale'), cond }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('checkin'), path, user: actor, method: fc.constantFrom('PUT', 'POST', 'FORM'), content, token: fc.constantFrom('held', 'held', 'none', 'stale'), cond }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('uncheckout'), path, user: actor, token: fc.constantFrom('held', 'held', 'stale', 'bogus', 'none') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('force'), path, user }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete'), path, user: actor, token: fc.constantFrom('none', 'held'), cond: fc.constantFrom('none', 'none', 'if-match', 'if-match-stale') }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('restore'), path, user: actor, pick, i, token: fc.constantFrom('none', 'held'), cond }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('read'), path, what: fc.constantFrom('current', 'history') }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('readVersion'), path, pick, i }) },
  // the clock: 25 s steps or 90 s (past any lock); no sum of steps lands within 10 s of the 60 s timeout
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance'), seconds: fc.constantFrom(25, 25, 90) }) },
);

test.serial('random command sequences: the service answers as the model does', async (t) => {
  t.timeout(SOAK ? 60 * 60_000 : 120_000);
  const s = await server();
  const stats = newStats();
  const replay = REPLAY?.replayPath ? { replayPath: REPLAY.replayPath } : {};
  const commands = fc.commands([OP.map((op) => new OpCommand(op))], { maxCommands: MAX_COMMANDS, size: 'max', ...replay });
  const property = fc.asyncProperty(commands, async (cmds) => {
    let run: { model: Model; real: Real } | undefined;
    await fc.asyncModelRun(async () => (run = { model: new Model(), real: await openRun(s, stats) }), cmds);
    if (run) await finalCheck(run.model, run.real);
  });
  const out = await fc.check(property, { numRuns: RUNS, ...(REPLAY ? { seed: REPLAY.seed, ...(REPLAY.path ? { path: REPLAY.path } : {}) } : {}) });
  t.log(summary(`model (${RUNS} runs of up to ${MAX_COMMANDS} commands, shrinking included)`, stats));
  if (!out.failed) {
    t.pass();
  } else {
    const printed = String(out.counterexample?.[0] ?? '');
    const ops = printed.replace(/\s*\/\*.*\*\/\s*$/s, '');
    const replayPath = /replayPath="([^"]+)"/.exec(printed)?.[1];
    t.fail(
      [
        `the service and the model differ after ${out.numRuns} runs (${out.numShrinks} shrinks)`,
        `replay: KLUIS_MODEL_SEED=${out.seed}:${out.counterexamplePath ?? ''}${replayPath ? `@${replayPath}` : ''}`,
        `counterexample for regressions.ts: [${ops}]`,
        String(out.errorInstance instanceof Error ? out.errorInstance.message : out.errorInstance),
      ].join('\n'),
    );
  }
});

for (const regression of REGRESSIONS) {
  // A service bug not fixed yet is replayed as a failing test, so the suite stays green until it is.
  const define = regression.bug ? test.serial.failing : test.serial;
  define(`regression: ${regression.name}`, async (t) => {
    const stats = newStats();
    const model = new Model();
    const real = await openRun(await server(), stats);
    for (const op of regression.ops) await runOp(model, real, op);
    await finalCheck(model, real);
    t.log(`${stats.commands} commands, ${stats.requests} requests, ${stats.versionsChecked} versions checked, ${stats.server5xx} 5xx`);
    t.pass();
  });
}
