import type { Context } from 'koa';
import type { Namespace } from '../../domain/namespace.js';
import { hrefOf } from './request.js';
import { escapeXml } from './xml.js';
import { childKey } from '../../domain/paths.js';

/** GET of a collection: a plain HTML index of its members, for a browser pointed at /dav/. */
export async function listing(ctx: Context, dav: Namespace, key: string): Promise<void> {
  const members = await dav.collections.members(key);
  const link = (href: string, name: string) => `<li><a href="${escapeXml(href)}">${escapeXml(name)}</a></li>`;
  const items = [...members.collections.map((name) => link(hrefOf(childKey(key, name), true), `${name}/`)), ...members.files.map((name) => link(hrefOf(childKey(key, name), false), name))];
  const title = escapeXml(hrefOf(key, true));
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html>\n<title>${title}</title>\n<h1>${title}</h1>\n<ul>\n${items.join('\n')}\n</ul>\n`;
}
