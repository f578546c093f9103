import type { Context } from 'koa';
import { nameOf } from '../domain/paths.js';

/**
 * Types a browser shows without running anything the upload carried: shown inline. Every other
 * type (HTML, SVG, XML, scripts, unknown ones) is served as an attachment, so an uploaded page
 * never runs with the web UI's origin (stored XSS).
 */
const INLINE = [/^image\/(png|jpeg|gif|webp|avif|bmp)$/, /^(audio|video)\/[\w.+-]+$/, /^text\/plain$/, /^application\/pdf$/];

/**
 * One media type and its parameters, nothing else. The stored `Content-Type` is the uploader's
 * text: a browser reads `application/pdf;x=,text/html` as HTML (the Fetch standard takes the
 * last of comma-separated types), so a value that is not exactly one type is never trusted.
 */
const SINGLE_TYPE = /^[\w.+-]+\/[\w.+-]+(?:[ \t]*;[ \t]*[\w.+-]+=(?:[\w.+-]+|"[^"\\,]*"))*$/;

const SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

/**
 * A sandbox for user content on every download (/files and /dav): the browser must not sniff
 * another type (`nosniff`), the document gets an opaque origin with no scripts, forms or
 * plugins (`Content-Security-Policy: sandbox`), and only the types in {@link INLINE}, written as
 * exactly one type, are shown inline. PDF (exactly that) is left without the sandbox: Chromium
 * refuses to render a PDF in a sandboxed document, and its viewer runs in an origin of its own.
 * `?download` asks for an attachment.
 */
export function sandboxUserContent(ctx: Context, key: string, contentType: string): void {
  const single = SINGLE_TYPE.test(contentType);
  const essence = single ? (contentType.split(';')[0]?.trim().toLowerCase() ?? '') : '';
  const inline = single && INLINE.some((type) => type.test(essence)) && !('download' in ctx.query);
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (!(inline && essence === 'application/pdf')) ctx.set('Content-Security-Policy', SANDBOX);
  const name = nameOf(key);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
}
