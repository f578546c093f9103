import test from 'ava';
import type { UploadState } from '../../../src/domain/upload-state.js';
import { Problem } from '../../../src/errors.js';
import { heldHead } from '../../../src/http/tus/headers.js';

const state = (fields: Partial<UploadState>): UploadState => ({
  id: 'key',
  owner: 'anonymous',
  path: 'a.txt',
  length: 3,
  position: { length: 3 },
  metadata: {},
  contentType: null,
  intent: { conditions: {}, checkin: false },
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-02T00:00:00.000Z',
  ...fields,
});

test('HEAD holds back every complete upload that is no version yet: refused, or its commit under way', (t) => {
  const refused = t.throws(() => heldHead(state({ refused: { code: 'locked' } })), { instanceOf: Problem });
  t.is(refused?.code, 'upload-held');
  t.regex(refused?.message ?? '', /refused \(locked\)/);
  const running = t.throws(() => heldHead(state({ claim: { id: 'c', until: '2026-01-01T00:00:10.000Z' } })), { instanceOf: Problem });
  t.regex(running?.message ?? '', /under way/);
  t.notThrows(() => heldHead(state({ position: { length: 2 } })), 'receiving: its offset');
  t.notThrows(() => heldHead(state({ version: 1 })), 'committed: its offset (done)');
});
