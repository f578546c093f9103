import type { Context } from 'koa';
import type { Target } from '../../domain/paths.js';
import { Problem } from '../../errors.js';
import type { WriteDeps } from './write.js';
import { fileKey } from './write.js';
import { intParam } from './request.js';

/**
 * `POST /files/<path>?pin=N` keeps version N from retention; `?unpin=N` lets it go again.
 * 200 with the version record (idempotent). Metadata only: it needs write access but not the lock.
 */
export async function pin(ctx: Context, target: Target, deps: WriteDeps): Promise<void> {
  const pinN = intParam(ctx, 'pin', 1);
  const unpinN = intParam(ctx, 'unpin', 1);
  if ((pinN === undefined) === (unpinN === undefined)) throw new Problem('bad-request', 'give one of ?pin=N or ?unpin=N');
  const key = fileKey(target, pinN !== undefined ? 'pin' : 'unpin');
  ctx.body = await deps.files.pin(key, (pinN ?? unpinN) as number, pinN !== undefined);
}
