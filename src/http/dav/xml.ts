import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { clientGone, Problem } from '../../errors.js';

/** The WebDAV namespace (RFC 4918 §21). */
export const DAV = 'DAV:';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** A request body is a handful of elements: anything wider or deeper than this is refused. */
export const XML_LIMITS = { elements: 20_000, depth: 64 } as const;

/** An element with its namespace resolved: `ns` is `''` for an element in no namespace. */
export interface XmlElement {
  ns: string;
  /** The local name, without prefix. */
  name: string;
  /** Its attributes; namespace declarations (`xmlns`, `xmlns:p`) are not among them. */
  attrs: XmlAttr[];
  children: XmlNode[];
}

export interface XmlAttr {
  ns: string;
  name: string;
  /** The prefix as written (`''` for none): for messages only, the meaning is in `ns`. */
  prefix: string;
  value: string;
}

/** An element, or text (character data and CDATA, adjacent runs merged into one string). */
export type XmlNode = XmlElement | string;

/**
 * Parse a WebDAV request body. Only namespace-well-formed XML 1.0 in UTF-8 is taken: no DOCTYPE
 * at all (so no entity is ever defined, let alone expanded), no unbound prefix, no
 * `xmlns:p=""`. Comments and processing instructions are dropped. Every refusal is a
 * 400 bad-request that says what is wrong.
 */
export function parseXml(body: Buffer): XmlElement {
  const text = decodeUtf8(body);
  // XML 1.0 forced: a body declaring version="1.1" would otherwise be allowed `xmlns:p=""`.
  const parser = new SaxesParser({ xmlns: true, defaultXMLVersion: '1.0', forceXMLVersion: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;

  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && !/^(utf-?8|us-ascii)$/i.test(decl.encoding)) {
      throw refuse(`the XML declaration names encoding ${JSON.stringify(decl.encoding)}; only UTF-8 is accepted`);
    }
  });
  // saxes never reads a DTD's entities (a reference to one is an 'undefined entity' error);
  // refusing any DOCTYPE, before the root is reached, makes that our rule, not the library's habit.
  parser.on('doctype', () => {
    throw refuse('a DOCTYPE is not accepted in a WebDAV body (no DTDs, no entities)');
  });
  parser.on('opentag', (tag) => {
    if (++count > XML_LIMITS.elements) throw refuse(`more than ${XML_LIMITS.elements} elements`);
    if (stack.length >= XML_LIMITS.depth) throw refuse(`elements nested deeper than ${XML_LIMITS.depth} levels`);
    const el: XmlElement = { ns: tag.uri, name: tag.local, attrs: attrsOf(tag), children: [] };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (data: string) => {
    const parent = stack.at(-1);
    if (!parent || data === '') return; // whitespace around the root
    const last = parent.children.length - 1;
    if (typeof parent.children[last] === 'string') parent.children[last] += data;
    else parent.children.push(data);
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof Problem) throw err;
    // No 'error' handler is registered, so saxes throws at the first error it finds.
    throw refuse(`not well-formed (${(err as Error).message})`);
  }
  if (!root) throw refuse('no root element');
  return root;
}

function attrsOf(tag: SaxesTagNS): XmlAttr[] {
  const attrs: XmlAttr[] = [];
  for (const a of Object.values(tag.attributes)) {
    if (a.uri === XMLNS_NS) {
      // saxes refuses this too (in XML 1.0): checked here as well, as it is the rule we rely on.
      if (a.prefix === 'xmlns' && a.value === '') throw refuse(`${a.name}="" declares an empty namespace, which XML Namespaces 1.0 forbids`);
      continue;
    }
    attrs.push({ ns: a.uri, name: a.local, prefix: a.prefix, value: a.value });
  }
  return attrs;
}

function decodeUtf8(body: Buffer): string {
  try {
    // A leading byte order mark is consumed by the decoder (ignoreBOM defaults to false).
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    const utf16 = body.length >= 2 && ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff));
    throw refuse(utf16 ? 'the body is UTF-16; only UTF-8 is accepted' : 'the body is not valid UTF-8');
  }
}

function refuse(what: string): Problem {
  return new Problem('bad-request', `invalid XML body: ${what}`);
}

/** The element children of `el`, only those named `{ns}name` when given. */
export function children(el: XmlElement, ns?: string, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string' && (ns === undefined || c.ns === ns) && (name === undefined || c.name === name));
}

/** The first element child named `{ns}name`. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return el.children.find((c): c is XmlElement => typeof c !== 'string' && c.ns === ns && c.name === name);
}

/** The text of `el` and all its descendants, in document order. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Escape text or an attribute value; `\r` as `&#13;` since a parser would turn a raw one into `\n`. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"\r]/g, (c) => ESCAPES[c] ?? c);
}

/** In an attribute value a raw tab or newline would also come back as a space. */
function escapeAttr(value: string): string {
  return value.replace(/[&<>"\r\n\t]/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };

/**
 * The content of `el` as a self-contained fragment (a dead property value to store and write
 * back later inside another document): every element declares its own default namespace, so
 * nothing depends on the prefixes in force where it is written.
 */
export function serializeInner(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? escapeXml(c) : serializeElement(c))).join('');
}

/**
 * `el` itself as a self-contained fragment, e.g. a lock's `<D:owner>` to echo verbatim.
 * Namespaced attributes get a prefix (`ns0`, `ns1`…) declared on the element that uses it.
 */
export function serializeElement(el: XmlElement): string {
  // The xml namespace is bound to `xml` everywhere and may not be declared as a default.
  const tag = el.ns === XML_NS ? `xml:${el.name}` : el.name;
  const parts = el.ns === XML_NS ? [tag] : [tag, `xmlns="${escapeAttr(el.ns)}"`];
  const prefixes = new Map<string, string>();
  for (const a of el.attrs) {
    let prefix = '';
    if (a.ns === XML_NS) prefix = 'xml:';
    else if (a.ns !== '') {
      prefix = prefixes.get(a.ns) ?? '';
      if (prefix === '') {
        prefix = `ns${prefixes.size}:`;
        prefixes.set(a.ns, prefix);
        parts.push(`xmlns:${prefix.slice(0, -1)}="${escapeAttr(a.ns)}"`);
      }
    }
    parts.push(`${prefix}${a.name}="${escapeAttr(a.value)}"`);
  }
  const inner = serializeInner(el);
  return inner === '' ? `<${parts.join(' ')}/>` : `<${parts.join(' ')}>${inner}</${tag}>`;
}

/**
 * Read and parse an XML request body of at most `maxBytes`: a declared Content-Length over the
 * cap is refused (413) before a byte is read, and a body that streams past it is left unread
 * from there on (413; the problem handler closes the connection). No body at all gives
 * `undefined` (RFC 4918 lets PROPFIND and LOCK refresh go without one).
 * A client waiting for `100 Continue` must have been sent it by the caller.
 */
export async function readXmlBody(req: Readable & { headers: IncomingHttpHeaders }, maxBytes: number): Promise<XmlElement | undefined> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw new Problem('too-large', `Content-Length ${declared} is over the limit of ${maxBytes} bytes for an XML body`);
  }
  const body = await readCapped(req, maxBytes);
  return body.length === 0 ? undefined : parseXml(body);
}

function readCapped(source: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (source.readableEnded) return resolve(Buffer.alloc(0));
    if (source.destroyed) return reject(clientGone());
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: unknown) => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (err === undefined) return resolve(Buffer.concat(chunks, size));
      source.pause();
      source.on('error', () => {}); // nobody reads it any more; a late error must not crash the process
      reject(err);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) return finish(new Problem('too-large', `the XML body is over the limit of ${maxBytes} bytes`));
      chunks.push(bytes);
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(clientGone());
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
}
