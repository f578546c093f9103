/**
 * Arbitraries of the parser fuzzing (fuzz.test.ts) and a raw-socket exchange. Each arbitrary
 * mixes the pieces its parser cares about (dots, escapes, `bytes=`, `Second-`…) with random
 * unicode and random bytes, so that cases reach the interesting branches and not only the
 * first syntax check.
 */
import net from 'node:net';
import fc from 'fast-check';
import { parseWire, type Reply } from './_support.js';

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
/** Strings made of `pieces` (weighted by repetition), random unicode and random bytes. */
const mix = (pieces: fc.Arbitrary<string>, maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.oneof({ arbitrary: pieces, weight: 4 }, fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength }).map((parts) => parts.join(''));

const percentByte = fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`);
const number = fc.oneof(fc.nat({ max: 60 }).map(String), fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String), pick('', '0', '00', '1e3', '0x1', '-1', '9007199254740993', '１', ' 1 '));

export const urlPathArb = mix(
  fc.oneof(
    pick('/', '/', '.', '..', '%2e', '%2E', '%2e%2e', '%2f', '%2F', '%5c', '\\', '%00', '%', '%25', '%252e', '%252f'),
    pick('%c0%ae', '%c0%af', '%e0%80%ae', '%ef%bc%8e', '%cc%81', '%ed%a0%80', '%f4%90%80%80', '%c2%85', '\u00e9', 'e\u0301', '\uff0e', '\u212b'),
    pick('a', 'f.txt', 'locked.txt', 'dir', 'CON', 'aux.txt', 'f~', 'd~', ' ', ';', '%20', 's'.repeat(250), 'd'.repeat(120)),
    percentByte,
  ),
  14,
);

const small = fc.nat({ max: 60 });
export const rangeArb = fc.oneof(
  // Well-formed single ranges around the size of the file (40 bytes): 206 and 416 answers.
  { arbitrary: fc.tuple(small, fc.option(small)).map(([a, b]) => `bytes=${a}-${b ?? ''}`), weight: 3 },
  { arbitrary: small.map((n) => `bytes=-${n}`), weight: 1 },
  // Units, numbers, lists and spaces mixed.
  {
    arbitrary: fc
      .tuple(
        pick('bytes=', 'bytes=', 'BYTES=', 'bytes =', 'bytes= ', 'items=', '', '=', 'bytes'),
        fc.array(
          fc.oneof(
            fc.tuple(number, number).map(([a, b]) => `${a}-${b}`),
            number.map((n) => `-${n}`),
            number.map((n) => `${n}-`),
            fc.nat({ max: 300 }).map((n) => ' '.repeat(n)),
            fc.string({ maxLength: 6 }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
      )
      .map(([unit, specs]) => unit + specs.join(',')),
    weight: 4,
  },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
);

export const etagArb = (tags: string[]): fc.Arbitrary<string> =>
  mix(
    fc.oneof(
      pick('*', '"', 'W/', ',', ', ', ' '),
      pick(...tags).map((tag) => `"${tag}"`),
      pick(...tags),
      fc.stringMatching(/^[0-9a-f]{1,64}$/),
    ),
    6,
  );

export const ifArb = (tokens: string[]): fc.Arbitrary<string> =>
  mix(fc.oneof(pick('(', ')', '<', '>', 'urn:uuid:', 'Not ', '[', ']', '"', ' ', '<http://x/files/f.txt>'), pick(...tokens), fc.uuid()), 8);

export const timeoutArb = mix(fc.oneof(pick('Second-', 'second-', 'Infinite', 'infinite', ',', ', ', ' ', '-'), number), 6);

const base64 = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'));
export const digestArb = mix(fc.oneof(pick('sha-256=:', 'SHA-256=:', 'sha-512=:', 'md5=:', ':', '=', ',', ', ', ' ', 'sha-256=', '!'), base64), 6);
export const md5Arb = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')),
  base64,
  fc.string({ maxLength: 30 }),
);

export const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(pick('version', 'versions', 'base', 'restore', 'pin', 'unpin', 'comment', 'checkin', 'lock', 'force', '__proto__', 'constructor', 'hasOwnProperty'), fc.string({ maxLength: 5 })),
      fc.option(fc.oneof(number, fc.string({ maxLength: 6 }), percentByte)),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join('&'));

export interface FuzzPart {
  name: string;
  filename: string | null;
  headers: [string, string][];
  data: Uint8Array;
}

export interface FuzzForm {
  boundary: string;
  parts: FuzzPart[];
  target: string;
}

const filenameArb = mix(pick('a.txt', 'sub/', '/', '..', '../', '.', '\\', 'C:', '%2e', '_seed/locked.txt', '"', ';', '\r\n', '\0'), 5);
const partArb: fc.Arbitrary<FuzzPart> = fc.record({
  name: fc.oneof(pick('file', 'comment', 'f'), fc.string({ maxLength: 10 })),
  filename: fc.option(filenameArb, { freq: 4 }),
  headers: fc.array(fc.tuple(fc.oneof(pick('Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition'), fc.stringMatching(/^[A-Za-z-]{1,12}$/)), fc.string({ maxLength: 24 })), {
    maxLength: 3,
  }),
  data: fc.uint8Array({ maxLength: 2048 }),
});

/** A well-formed multipart body with random names, file names, part headers and bytes. */
export const multipartArb: fc.Arbitrary<FuzzForm> = fc.record({
  boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/),
  parts: fc.array(partArb, { minLength: 1, maxLength: 5 }),
  target: pick('fz/', 'fz/', 'fz/one.txt', '_seed/locked.txt', 'fz/sub/', ''),
});

export function buildForm(form: FuzzForm): Buffer {
  const chunks: Buffer[] = [];
  for (const part of form.parts) {
    let head = `--${form.boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== null) head += `; filename="${part.filename}"`;
    for (const [name, value] of part.headers) head += `\r\n${name}: ${value}`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${form.boundary}--\r\n`));
  return Buffer.concat(chunks);
}

type Mutation = { kind: 'flip' | 'delete' | 'insert' | 'truncate'; at: number; bytes: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: pick('flip', 'delete', 'insert', 'truncate'),
  at: fc.nat(),
  bytes: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
    pick('\r\n', '\r\n\r\n', '--', '"', ';').map((s) => new Uint8Array(Buffer.from(s))),
  ),
});

function mutate(body: Buffer, boundary: string, mutations: Mutation[]): Buffer {
  let out = body;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    const bytes = m.kind === 'insert' && m.at % 5 === 0 ? Buffer.from(`\r\n--${boundary}\r\n`) : Buffer.from(m.bytes);
    if (m.kind === 'flip' && out.length > 0) out = Buffer.concat([out.subarray(0, at), Buffer.from([(out[at] ?? 0) ^ (bytes[0] ?? 1)]), out.subarray(at + 1)]);
    else if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + bytes.length)]);
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), bytes, out.subarray(at)]);
    else if (m.kind === 'truncate') out = out.subarray(0, at);
  }
  return out;
}

/** A valid body with 1 to 4 random byte mutations (flips, deletions, insertions, truncation). */
export const mutatedMultipartArb = fc
  .tuple(multipartArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([form, mutations]) => ({ form, body: mutate(buildForm(form), form.boundary, mutations) }));

/** Characters a request line cannot carry raw are percent-encoded (UTF-8), `%` is kept as it is. */
export function wireSafe(path: string): string {
  const hex = (ch: string) => [...Buffer.from(ch)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  return [...path].map((ch) => (/^[\x21-\x7e]$/.test(ch) ? ch : hex(ch))).join('');
}

/** Header values keep their bytes but not CR or LF, which would end the header. */
export const headerValue = (value: string): string => value.replace(/[\r\n]/g, '');

/**
 * One request on a fresh connection (`Connection: close`); status 0 when nothing came back in
 * 10 s. The socket is not half-closed: Node aborts a request whose client ends its side.
 */
export function exchange(base: string, method: string, target: string, headers: Record<string, string>, body: Buffer = Buffer.alloc(0)): Promise<Reply> {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: kluis', ...Object.entries(headers).map(([k, v]) => `${k}: ${headerValue(v)}`)];
  if (body.length > 0 || method === 'PUT' || method === 'POST') lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  const { port, hostname } = new URL(base);
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => socket.write(Buffer.concat([Buffer.from(lines.join('\r\n')), body])));
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseWire(Buffer.concat(chunks).toString('utf8')), ms: Date.now() - started });
    });
  });
}
