import type { Context } from 'koa';
import { parseUrlPath } from '../../domain/paths.js';
import { Problem } from '../../errors.js';
import { requireWriter, callerOf } from '../auth.js';
import { checkinPost, checkout, uncheckout } from './checkout.js';
import { mkdir } from './folders.js';
import { move } from './move.js';
import { pin } from './pin.js';
import { read, type ReadDeps } from './read.js';
import { hasFlag } from './request.js';
import { fileKey, postMultipart, put, remove, restore, type WriteDeps } from './write.js';
import { draftCreate, interopVersion } from '../tus/ietf.js';
import type { Uploads } from '../../domain/uploads.js';

export type FilesDeps = ReadDeps & WriteDeps & { uploads: Uploads };

/** The methods /files answers, as its `Allow` header lists them (also for CONNECT, answered before routing). */
export const FILES_ALLOW = 'GET, HEAD, PUT, POST, DELETE, CHECKOUT, UNLOCK, OPTIONS';
const ALLOW = FILES_ALLOW;

/**
 * The /files API (the contract in docs/api.md): one handler per method and query form. Order of
 * checks: auth (middleware, then read-only), path, then the domain's lock, conditions, base.
 */
export function filesHandler(deps: FilesDeps) {
  return async (ctx: Context): Promise<void> => {
    const method = ctx.method;
    const reads = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
    if (!reads) requireWriter(callerOf(ctx));
    // Koa's path drops a raw `#` and what follows: that would name another file than the one sent.
    if (ctx.req.url?.includes('#')) throw new Problem('invalid-path', 'a raw # in the request target; percent-encode it as %23');
    const raw = ctx.path === '/files' ? '' : ctx.path.slice('/files/'.length);
    const target = parseUrlPath(raw);
    // Desktop files (domain/desktop-files.ts) live on the WebDAV mount only: none here, none made here.
    if (!target.directory && method !== 'OPTIONS' && deps.dav.desktop.matches(target.key)) {
      if (reads) throw new Problem('not-found', `no file at ${target.key}`);
      deps.dav.refuseDesktopFile(target.key);
    }
    switch (method) {
      case 'GET':
      case 'HEAD':
        return read(ctx, target, deps);
      case 'OPTIONS':
        ctx.set('Allow', ALLOW);
        ctx.status = 204;
        return;
      case 'PUT':
        return put(ctx, target, deps);
      case 'DELETE':
        return remove(ctx, target, deps);
      case 'CHECKOUT':
        return checkout(ctx, target, deps);
      case 'UNLOCK':
        return uncheckout(ctx, target, deps);
      case 'POST': {
        const draft = interopVersion(ctx);
        if (draft) return draftCreate(ctx, fileKey(target, 'a resumable upload'), deps.uploads, draft);
        if (hasFlag(ctx, 'mkdir')) return mkdir(ctx, target, deps.dav);
        if (hasFlag(ctx, 'move-to')) return move(ctx, target, deps.dav);
        if (hasFlag(ctx, 'checkout')) return checkout(ctx, target, deps);
        if (hasFlag(ctx, 'checkin')) return checkinPost(ctx, target, deps);
        if (hasFlag(ctx, 'uncheckout')) return uncheckout(ctx, target, deps);
        if (hasFlag(ctx, 'restore')) return restore(ctx, target, deps);
        if (hasFlag(ctx, 'pin') || hasFlag(ctx, 'unpin')) return pin(ctx, target, deps);
        return postMultipart(ctx, target, deps);
      }
      default:
        ctx.set('Allow', ALLOW);
        throw new Problem('method-not-allowed', `${method} is not supported on /files; allowed: ${ALLOW} (WebDAV LOCK belongs to a WebDAV mount)`);
    }
  };
}
