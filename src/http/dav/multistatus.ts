import { STATUS_CODES } from 'node:http';
import type { Context } from 'koa';
import { escapeXml } from './xml.js';

/** `HTTP/1.1 200 OK`, as a multistatus `D:status` carries it. */
export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

/** One `D:propstat`: rendered property elements under one status. */
export function propstat(status: number, props: string[]): string {
  return `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>${statusLine(status)}</D:status></D:propstat>`;
}

/** One `D:response` with propstats, or with a status for the resource as a whole. */
export function response(href: string, body: { propstats: string[] } | { status: number; error?: string; description?: string }): string {
  const inner =
    'propstats' in body
      ? body.propstats.join('')
      : `<D:status>${statusLine(body.status)}</D:status>${body.error ? `<D:error>${body.error}</D:error>` : ''}${body.description ? `<D:responsedescription>${escapeXml(body.description)}</D:responsedescription>` : ''}`;
  return `<D:response><D:href>${escapeXml(href)}</D:href>${inner}</D:response>`;
}

/** Answer 207 Multi-Status with these responses. */
export function sendMultistatus(ctx: Context, responses: string[]): void {
  ctx.status = 207;
  ctx.type = 'application/xml; charset=utf-8';
  ctx.body = `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>\n`;
}

/** Answer an XML body (LOCK's `D:prop`, an error) with `status`. */
export function sendXml(ctx: Context, status: number, rootXml: string): void {
  ctx.status = status;
  ctx.type = 'application/xml; charset=utf-8';
  ctx.body = `<?xml version="1.0" encoding="utf-8"?>\n${rootXml}\n`;
}
