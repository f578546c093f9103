import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { Problem, type ProblemCode } from '../../src/errors.js';
import { child, children, DAV, escapeXml, parseXml, readXmlBody, serializeElement, serializeInner, textOf, XML_LIMITS, type XmlElement, type XmlNode } from '../../src/http/dav/xml.js';

const parse = (xml: string) => parseXml(Buffer.from(xml));

function refused(t: ExecutionContext, body: string | Buffer, pattern: RegExp, code: ProblemCode = 'bad-request'): void {
  const err = t.throws(() => parseXml(typeof body === 'string' ? Buffer.from(body) : body), { instanceOf: Problem }, String(body).slice(0, 60));
  t.is(err?.code, code);
  t.regex(err?.message ?? '', pattern);
}

/** A tree without the attribute prefixes, which the serializer is free to choose. */
function meaning(node: XmlNode): unknown {
  if (typeof node === 'string') return node;
  return { ns: node.ns, name: node.name, attrs: node.attrs.map((a) => ({ ns: a.ns, name: a.name, value: a.value })), children: node.children.map(meaning) };
}

const PROPFIND = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop xmlns:R="http://ns.example.com/boxschema/">
  <R:bigbox/><R:author/><D:getetag/>
</D:prop></D:propfind>`;

test('parseXml resolves namespaces; children, child and textOf find elements by {ns}name', (t) => {
  const root = parse(PROPFIND);
  t.is(root.ns, DAV);
  t.is(root.name, 'propfind');
  const prop = child(root, DAV, 'prop');
  t.truthy(prop);
  if (!prop) return;
  t.deepEqual(
    children(prop).map((c) => `{${c.ns}}${c.name}`),
    ['{http://ns.example.com/boxschema/}bigbox', '{http://ns.example.com/boxschema/}author', '{DAV:}getetag'],
  );
  t.deepEqual(children(prop, 'http://ns.example.com/boxschema/').length, 2);
  t.deepEqual(children(prop, DAV, 'getetag').length, 1);
  t.is(child(prop, DAV, 'bigbox'), undefined);
  t.is(child(root, 'urn:other', 'prop'), undefined);
  t.is(textOf(parse('<a>x<b>y<c>z</c></b><!-- no -->w</a>')), 'xyzw');
});

test('a default namespace applies to unprefixed elements, xmlns="" undoes it, and no declaration means no namespace', (t) => {
  const root = parse('<a xmlns="urn:d"><b/><c xmlns=""><d/></c></a>');
  t.is(root.ns, 'urn:d');
  t.deepEqual(
    children(root).map((c) => [c.ns, c.name]),
    [
      ['urn:d', 'b'],
      ['', 'c'],
    ],
  );
  t.is(children(children(root)[1] as XmlElement)[0]?.ns, '');
  t.is(parse('<plain/>').ns, '');
});

test('attributes keep namespace, local name, prefix and value; xmlns declarations are not attributes', (t) => {
  const root = parse('<a xmlns="urn:d" xmlns:p="urn:p" x="1" p:y="2 &amp; &lt;3&gt;" xml:lang="en"/>');
  t.deepEqual(root.attrs, [
    { ns: '', name: 'x', prefix: '', value: '1' },
    { ns: 'urn:p', name: 'y', prefix: 'p', value: '2 & <3>' },
    { ns: 'http://www.w3.org/XML/1998/namespace', name: 'lang', prefix: 'xml', value: 'en' },
  ]);
});

test('comments and processing instructions are dropped; CDATA and text next to each other become one string', (t) => {
  const root = parse('<?xml version="1.0"?><?pi here?><a><!-- c -->x<![CDATA[<y>&]]><?p q?>z<!-- d --></a>');
  t.deepEqual(root.children, ['x<y>&z']);
});

test('text is exact: astral characters raw or as a reference, &#13;, and whitespace around elements', (t) => {
  t.deepEqual(parse('<a>\u{10000}\u{1F600}é</a>').children, ['\u{10000}\u{1F600}é']);
  t.deepEqual(parse('<a>&#x10000;&#65536;</a>').children, ['\u{10000}\u{10000}']);
  t.deepEqual(parse('<a>1&#13;2\r\n3</a>').children, ['1\r2\n3']);
  const root = parse('<a>\n  <b> x </b>\n</a>');
  t.deepEqual(children(root).length, 1);
  t.is(textOf(root).trim(), 'x');
  t.deepEqual((root.children[1] as XmlElement).children, [' x ']);
});

test('a UTF-8 byte order mark is skipped', (t) => {
  t.is(parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>\u{10000}</a>')])).children[0], '\u{10000}');
});

test('billion laughs: a DOCTYPE defining entities is refused before anything is expanded', (t) => {
  const lol = ['<!DOCTYPE lolz [', '<!ENTITY lol "lol">'];
  for (let n = 1; n <= 9; n++) lol.push(`<!ENTITY lol${n} "${`&lol${n - 1 || ''};`.repeat(10)}">`);
  lol.push(']>', '<D:propfind xmlns:D="DAV:"><D:prop><x>&lol9;</x></D:prop></D:propfind>');
  refused(t, lol.join('\n'), /DOCTYPE/);
});

test('XXE: an external entity is refused, and so is any DOCTYPE', (t) => {
  refused(t, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', /DOCTYPE/);
  refused(t, '<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><x/>', /DOCTYPE/);
  refused(t, '<!DOCTYPE x><x/>', /DOCTYPE/);
  refused(t, '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.com/p">%p;]><x/>', /DOCTYPE|well-formed/);
});

test('an entity that was never defined is refused', (t) => {
  refused(t, '<x>&e;</x>', /entity/);
  refused(t, '<x a="&e;"/>', /entity/);
});

test('an unbound namespace prefix is refused, on an element or an attribute', (t) => {
  refused(t, '<D:propfind><D:prop/></D:propfind>', /unbound namespace prefix: "D"/);
  refused(t, '<a xmlns:p="urn:p"><q:b/></a>', /unbound namespace prefix: "q"/);
  refused(t, '<a q:x="1"/>', /unbound namespace prefix: "q"/);
  refused(t, '<a><p:b xmlns:p="urn:p"/><p:c/></a>', /unbound namespace prefix: "p"/); // out of scope after </p:b>
});

test('xmlns:bar="" is refused (XML Namespaces 1.0), even when the body claims XML 1.1', (t) => {
  refused(t, '<a xmlns:bar=""/>', /undefine prefix|empty namespace/);
  refused(t, '<a xmlns:bar="urn:b"><b xmlns:bar=""/></a>', /undefine prefix|empty namespace/);
  refused(t, '<?xml version="1.1"?><a xmlns:bar=""/>', /undefine prefix|empty namespace/);
  refused(t, '<?xml version="1.1"?><a>&#x1;</a>', /not well-formed/); // read as XML 1.0 whatever it says
});

test('bytes that are not UTF-8 are refused, and so is UTF-16 or a declared other encoding', (t) => {
  for (const bad of [[0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80]]) {
    refused(t, Buffer.concat([Buffer.from('<a>'), Buffer.from(bad), Buffer.from('</a>')]), /not valid UTF-8/);
  }
  refused(t, Buffer.from('\ufeff<a/>', 'utf16le'), /UTF-16/);
  refused(t, '<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /ISO-8859-1/);
  t.notThrows(() => parse('<?xml version="1.0" encoding="UTF-8"?><a/>'));
});

test(`nesting deeper than ${XML_LIMITS.depth} is refused; exactly ${XML_LIMITS.depth} is fine`, (t) => {
  const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
  t.notThrows(() => parse(nest(XML_LIMITS.depth)));
  refused(t, nest(XML_LIMITS.depth + 1), /deeper than 64/);
  refused(t, '<a>'.repeat(100_000), /deeper than 64/); // refused while reading, never closed
});

test(`more than ${XML_LIMITS.elements} elements are refused`, (t) => {
  t.notThrows(() => parse(`<a>${'<b/>'.repeat(XML_LIMITS.elements - 1)}</a>`));
  refused(t, `<a>${'<b/>'.repeat(XML_LIMITS.elements)}</a>`, /more than 20000 elements/);
});

test('no root element is refused', (t) => {
  for (const body of ['', '   \n', '<?xml version="1.0"?>', '<!-- only a comment -->', '\ufeff']) refused(t, body, /root/);
});

test('XML that is not well-formed is refused with what saxes found', (t) => {
  for (const body of ['<a>', '<a><b></a>', '<a/><b/>', 'text<a/>', '<a/>text', '<a x="1" x="2"/>', '<a>]]></a>', '<a>\u0000</a>', '<a>&#xD800;</a>', '<1a/>', '<a x=1/>', 'not xml']) {
    refused(t, body, /not well-formed|root/);
  }
});

test('escapeXml escapes markup, quotes and carriage returns', (t) => {
  t.is(escapeXml('a & b < c > d " e \' f\r\n\u{10000}'), "a &amp; b &lt; c &gt; d &quot; e ' f&#13;\n\u{10000}");
});

const PROPPATCH = `<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://ns.example.com/standards/z39.50/">
  <D:set><D:prop>
    <Z:Authors xmlns:q="urn:q"><Z:Author q:role="lead" plain="&quot;x&quot;">Jim &amp; Roy</Z:Author>
      <Author>no namespace inside</Author><q:x/><y xmlns="urn:y">\u{10000}<![CDATA[<raw>]]></y></Z:Authors>
    <D:displayname>  spaced\r&#13;  </D:displayname>
  </D:prop></D:set>
</D:propertyupdate>`;

test('serializeInner: a PROPPATCH value in foreign namespaces reads back the same, wherever it is written', (t) => {
  const prop = child(child(parse(PROPPATCH), DAV, 'set') as XmlElement, DAV, 'prop') as XmlElement;
  const authors = child(prop, 'http://ns.example.com/standards/z39.50/', 'Authors') as XmlElement;
  const value = serializeInner(authors);
  // Inside a document with a default namespace and the prefixes taken by something else.
  for (const wrap of ['<x>', '<x xmlns="urn:trap">', '<D:x xmlns:D="urn:trap" xmlns:ns0="urn:trap" xmlns:q="urn:trap">']) {
    const close = wrap.startsWith('<D:') ? '</D:x>' : '</x>';
    t.deepEqual(parse(`${wrap}${value}${close}`).children.map(meaning), authors.children.map(meaning), wrap);
  }
  const noNs = children(authors).find((c) => c.name === 'Author' && c.ns === '');
  t.truthy(noNs, 'the unprefixed Author is in no namespace');
  const display = child(prop, DAV, 'displayname') as XmlElement;
  t.deepEqual(parse(`<x>${serializeInner(display)}</x>`).children, ['  spaced\n\r  ']);
});

test('serializeElement writes the element itself, declaring its namespace and attribute prefixes on it', (t) => {
  const owner = parse('<D:lockinfo xmlns:D="DAV:"><D:owner><D:href>mailto:a@example.com</D:href></D:owner></D:lockinfo>');
  const xml = serializeElement(child(owner, DAV, 'owner') as XmlElement);
  t.is(xml, '<owner xmlns="DAV:"><href xmlns="DAV:">mailto:a@example.com</href></owner>');
  const el: XmlElement = {
    ns: '',
    name: 'e',
    attrs: [
      { ns: 'urn:a', name: 'x', prefix: 'p', value: '1\t2\n3' },
      { ns: 'urn:b', name: 'x', prefix: 'q', value: '' },
      { ns: 'urn:a', name: 'y', prefix: 'p', value: '"' },
    ],
    children: [],
  };
  t.is(serializeElement(el), '<e xmlns="" xmlns:ns0="urn:a" ns0:x="1&#9;2&#10;3" xmlns:ns1="urn:b" ns1:x="" ns0:y="&quot;"/>');
  t.deepEqual(meaning(parse(serializeElement(el))), meaning(el));
});

// Names, namespaces and text chosen to hit the escaping and scoping rules.
const nameArb = fc.constantFrom('a', 'prop', 'Author', 'x-y', 'n.1', '_u', 'é', 'ns0', 'xmlnsish');
const nsArb = fc.constantFrom('', DAV, 'urn:a', 'http://example.com/?a=1&b="2"<>', 'urn:ns0');
const XML_CHARS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const textArb = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', ' ', ']', 'a', '\u{10000}', '\u{1F600}'), maxLength: 12 }))
  .filter((s) => XML_CHARS.test(s));
const attrsArb = fc.uniqueArray(fc.record({ ns: fc.constantFrom('', 'urn:a', 'urn:b', 'http://www.w3.org/XML/1998/namespace', 'urn:x&"'), name: nameArb, prefix: fc.constant(''), value: textArb }), {
  selector: (a) => `${a.ns} ${a.name}`,
  maxLength: 4,
});
const { tree } = fc.letrec<{ tree: XmlElement; node: XmlNode }>((tie) => ({
  tree: fc.record({ ns: nsArb, name: nameArb, attrs: attrsArb, children: fc.array(tie('node'), { maxLength: 4 }).map(mergeText) }),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, textArb, tie('tree')),
}));

/** What a parser gives back: adjacent text merged, no empty text. */
function mergeText(nodes: XmlNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const n of nodes) {
    if (n === '') continue;
    const last = out.length - 1;
    if (typeof n === 'string' && typeof out[last] === 'string') out[last] += n;
    else out.push(n);
  }
  return out;
}

test('property: re-parsing <x>serializeInner(el)</x> gives the same tree', (t) => {
  fc.assert(
    fc.property(tree, (el) => {
      const back = parse(`<x xmlns="urn:outer" xmlns:ns0="urn:outer">${serializeInner(el)}</x>`);
      t.deepEqual(back.children.map(meaning), el.children.map(meaning));
      t.deepEqual(meaning(parse(serializeElement(el))), meaning(el));
    }),
    { numRuns: 300 },
  );
});

type Body = Readable & { headers: Record<string, string> };
const body = (chunks: (Buffer | string)[], headers: Record<string, string> = {}): Body => Object.assign(Readable.from(chunks), { headers });

test('readXmlBody: no bytes is undefined, a body is parsed even when a character is split between chunks', async (t) => {
  t.is(await readXmlBody(body([]), 100), undefined);
  const bytes = Buffer.from('<a>\u{10000}</a>');
  const el = await readXmlBody(body([bytes.subarray(0, 5), bytes.subarray(5)]), bytes.length);
  t.deepEqual(el?.children, ['\u{10000}']);
  await t.throwsAsync(readXmlBody(body(['<a>']), 100), { instanceOf: Problem, message: /not well-formed/ });
});

test('readXmlBody: a declared Content-Length over the cap is 413 before a byte is read', async (t) => {
  let reads = 0;
  const req = Object.assign(
    new Readable({
      read() {
        reads++;
        this.push(null);
      },
    }),
    { headers: { 'content-length': '101' } },
  );
  const err = await t.throwsAsync(readXmlBody(req, 100), { instanceOf: Problem });
  t.is(err?.code, 'too-large');
  t.is(reads, 0);
});

test('readXmlBody: a streamed body over the cap is 413 and is not read on', async (t) => {
  let pushed = 0;
  const endless = Object.assign(
    new Readable({
      highWaterMark: 16,
      read() {
        pushed += 10;
        this.push(Buffer.alloc(10, 0x20));
      },
    }),
    { headers: {} },
  );
  const err = await t.throwsAsync(readXmlBody(endless, 100), { instanceOf: Problem });
  t.is(err?.code, 'too-large');
  t.true(endless.isPaused());
  const after = pushed;
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.true(pushed - after <= 16, 'no more than a buffer is pulled once refused');
});

test('readXmlBody: exactly the cap is accepted; a stream error or an early close is passed on', async (t) => {
  const xml = '<a>12345</a>';
  t.truthy(await readXmlBody(body([xml], { 'content-length': String(xml.length) }), xml.length));
  const failing = Object.assign(
    new Readable({
      read() {
        this.destroy(new Error('socket hang up'));
      },
    }),
    { headers: {} },
  );
  await t.throwsAsync(readXmlBody(failing, 100), { message: 'socket hang up' });
  const closed = Object.assign(new Readable({ read() {} }), { headers: {} });
  const reading = readXmlBody(closed, 100);
  closed.destroy();
  const err = await t.throwsAsync(reading, { instanceOf: Problem });
  t.is(err?.code, 'bad-request');
});
