import type { Context } from 'koa';

/**
 * Types a browser shows without running anything the upload carried: shown inline. Every other
 * type (HTML, SVG, XML, scripts, unknown ones) is served as an attachment, so an uploaded page
 * never runs with the web UI's origin (stored XSS).
 */
const INLINE = [/^image\/(png|jpeg|gif|webp|avif|bmp)$/, /^(audio|video)\//, /^text\/plain$/, /^application\/pdf$/];

/**
 * A sandbox for user content on every download (/files and /dav): the browser must not sniff
 * another type (`nosniff`), the document gets an opaque origin with no scripts, forms or
 * plugins (`Content-Security-Policy: sandbox`), and only the types in {@link INLINE} are shown
 * inline. PDF is left without the sandbox: Chromium refuses to render a PDF in a sandboxed
 * document, and its viewer runs in an origin of its own. `?download` asks for an attachment.
 */
export function sandboxUserContent(ctx: Context, key: string, contentType: string): void {
  const essence = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const inline = INLINE.some((type) => type.test(essence)) && !('download' in ctx.query);
  ctx.set('X-Content-Type-Options', 'nosniff');
  if (essence !== 'application/pdf') ctx.set('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'");
  const name = key.slice(key.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  ctx.set('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
}
