import type { Context } from 'koa';
import type { Target } from '../../domain/paths.js';
import type { PropChange, Namespace } from '../../domain/namespace.js';
import { Problem } from '../../errors.js';

import { checkIf, type DavIf } from './conditions.js';
import { propstat, response, sendMultistatus } from './multistatus.js';
import { isLive, propElement, propKey } from './props.js';
import { MAX_XML_BYTES } from './propfind.js';
import { hrefOf } from './request.js';
import { children, DAV, readXmlBody, serializeInner } from './xml.js';
import { callerOf } from '../auth.js';

/**
 * PROPPATCH (RFC 4918 §9.2): set and remove dead properties, in document order, all or none.
 * A live property cannot be changed (403, the others 424 Failed Dependency).
 */
export async function proppatch(ctx: Context, dav: Namespace, target: Target, ifs: DavIf): Promise<void> {
  const body = await readXmlBody(ctx.req, MAX_XML_BYTES);
  if (!body || body.ns !== DAV || body.name !== 'propertyupdate') throw new Problem('bad-request', 'a PROPPATCH body is a DAV:propertyupdate element');
  const changes: PropChange[] = [];
  for (const instruction of children(body)) {
    const remove = instruction.ns === DAV && instruction.name === 'remove';
    if (!remove && !(instruction.ns === DAV && instruction.name === 'set')) continue;
    for (const prop of children(instruction, DAV, 'prop')) {
      for (const el of children(prop)) {
        const name = propKey(el.ns, el.name);
        changes.push(remove ? { name, remove: true } : { name, value: serializeInner(el) });
      }
    }
  }
  if (changes.length === 0) throw new Problem('bad-request', 'DAV:propertyupdate names no property to set or remove');
  const resource = await dav.collections.resolve(target.key, target.directory);
  if (resource.kind === 'none') throw new Problem('not-found', `nothing at ${target.key || '/'}`);
  await checkIf(ctx, dav, target.key, ifs, target.directory);
  const href = hrefOf(target.key, resource.kind === 'collection');
  const names = [...new Set(changes.map((c) => c.name))];
  const refused = names.filter(isLive);
  if (refused.length > 0) {
    const failed = names.filter((n) => !isLive(n));
    const propstats = [
      propstat(
        403,
        refused.map((n) => propElement(n, '')),
      ),
    ];
    if (failed.length > 0)
      propstats.push(
        propstat(
          424,
          failed.map((n) => propElement(n, '')),
        ),
      );
    sendMultistatus(ctx, [response(href, { propstats })]);
    return;
  }
  await dav.patchProps(callerOf(ctx), target.key, resource.kind, ifs.tokens, changes);
  sendMultistatus(ctx, [
    response(href, {
      propstats: [
        propstat(
          200,
          names.map((n) => propElement(n, '')),
        ),
      ],
    }),
  ]);
}
