import { Problem } from '../../errors.js';

/** One condition of a list: a state token (`<urn:uuid:…>`) or an entity tag (`["…"]`), maybe negated. */
export interface IfCondition {
  not: boolean;
  kind: 'token' | 'etag';
  /** A token without its angle brackets; an etag exactly as written between `[ ]`, quotes and `W/` included. */
  value: string;
}

/** A parenthesized list; `resource` is the tag URL as written, for a list in a tagged header. */
export interface IfList {
  resource?: string;
  conditions: IfCondition[];
}

/** What the conditions of a list are checked against. */
export interface ResourceState {
  /** As sent in the ETag header (quoted), or null when the resource has none (it does not exist). */
  etag: string | null;
  /** The tokens of the locks on the resource or covering it (depth infinity on an ancestor). */
  tokens: string[];
}

/**
 * Parse an `If` header (RFC 4918 §10.4):
 *
 *     If = 1*No-tag-list | 1*Tagged-list
 *     Tagged-list = Resource-Tag 1*List        List = "(" 1*Condition ")"
 *     Condition = ["Not"] (State-token | "[" entity-tag "]")
 *
 * A tag applies to every list after it until the next tag. Anything else (an empty list,
 * tagged and untagged lists mixed, an unclosed bracket) is a 400 bad-request.
 */
export function parseIf(header: string): IfList[] {
  const lists: IfList[] = [];
  let i = 0;
  let tagged: boolean | undefined;
  let resource: string | undefined;
  let tagWithoutList = false;

  const fail = (what: string) => new Problem('bad-request', `malformed If header: ${what} at character ${i + 1}`);
  const skipSpace = () => {
    while (i < header.length && /[ \t\r\n]/.test(header.charAt(i))) i++;
  };
  /** `<…>` at `i`: its content, which may not be empty or hold spaces or a '<'. */
  const codedUrl = (what: string): string => {
    const end = header.indexOf('>', i);
    if (end < 0) throw fail(`${what} with no closing '>'`);
    const value = header.slice(i + 1, end);
    if (!/^[^\s<>]+$/.test(value)) throw fail(`${what} ${JSON.stringify(header.slice(i, end + 1))} is not a URL`);
    i = end + 1;
    return value;
  };
  /** `["etag"]` or `[W/"etag"]` at `i` (RFC 9110 §8.8.3 entity-tag): the part between the brackets. */
  const entityTag = (): string => {
    const m = /^\[((?:W\/)?"[\x21\x23-\x7e\x80-\uffff]*")\]/.exec(header.slice(i));
    if (!m?.[1]) throw fail('an entity tag that is not ["…"] or [W/"…"]');
    i += m[0].length;
    return m[1];
  };
  const list = (): IfCondition[] => {
    i++; // '('
    const conditions: IfCondition[] = [];
    for (;;) {
      skipSpace();
      const c = header.charAt(i);
      if (c === ')') break;
      if (c === '') throw fail("a list with no closing ')'");
      let not = false;
      if (/^not/i.test(header.slice(i, i + 3))) {
        not = true;
        i += 3;
        skipSpace();
      }
      const d = header.charAt(i);
      if (d === '<') conditions.push({ not, kind: 'token', value: codedUrl('a state token') });
      else if (d === '[') conditions.push({ not, kind: 'etag', value: entityTag() });
      else throw fail(`expected a state token <…> or an entity tag […]${not ? " after 'Not'" : ''}, found ${JSON.stringify(d || 'the end')}`);
    }
    if (conditions.length === 0) throw fail('an empty list ()');
    i++; // ')'
    return conditions;
  };

  skipSpace();
  if (i === header.length) throw fail('no list');
  while (i < header.length) {
    const c = header.charAt(i);
    if (c === '<') {
      if (tagged === false) throw fail('a resource tag after an untagged list (tagged and untagged lists cannot be mixed)');
      if (tagWithoutList) throw fail('a resource tag with no list after the one before it');
      tagged = true;
      resource = codedUrl('a resource tag');
      tagWithoutList = true;
    } else if (c === '(') {
      tagged ??= false;
      const conditions = list();
      lists.push(resource === undefined ? { conditions } : { resource, conditions });
      tagWithoutList = false;
    } else {
      throw fail(`unexpected ${JSON.stringify(c)} (expected '(' or '<')`);
    }
    skipSpace();
  }
  if (tagWithoutList) throw fail('a resource tag with no list after it');
  return lists;
}

/** Every state token in the header, negated or not, once each: RFC 4918 §10.4.1 counts them all as submitted. */
export function submittedTokens(lists: IfList[]): string[] {
  const tokens = new Set<string>();
  for (const list of lists) {
    for (const c of list.conditions) if (c.kind === 'token') tokens.add(c.value);
  }
  return [...tokens];
}

/**
 * The header is true when any list is, a list when all its conditions are (RFC 4918 §10.4.3).
 * A token matches when a lock on the resource has it, so `<DAV:no-lock>` never matches and
 * `Not <DAV:no-lock>` always does; an etag matches by strong comparison only (a weak one never).
 * `stateOf(undefined)` is the state of the request URL, `stateOf(tag)` that of a tagged resource.
 */
export function evaluateIf(lists: IfList[], stateOf: (resource: string | undefined) => ResourceState): boolean {
  return lists.some((list) => {
    const state = stateOf(list.resource);
    return list.conditions.every((c) => {
      const holds = c.kind === 'token' ? state.tokens.includes(c.value) : strongMatch(c.value, state.etag);
      return holds !== c.not;
    });
  });
}

function strongMatch(condition: string, etag: string | null): boolean {
  return etag !== null && !etag.startsWith('W/') && condition === etag;
}

/**
 * The URL path of a resource tag, still percent-encoded and without query, when it names this
 * server: an absolute path (`/dav/a/`), or an absolute http(s) URL whose host and port are
 * those of `host` (the request's Host header; no port there means the scheme's default).
 * Anything else (another host, another scheme, a relative reference) gives undefined.
 */
export function tagPath(tag: string, host: string): string | undefined {
  if (tag.startsWith('/')) return tag.startsWith('//') ? undefined : withoutQuery(tag);
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(tag);
  const ours = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(host.trim());
  if (!m?.[1] || m[2] === undefined || m[3] === undefined || !ours?.[1]) return undefined;
  let url: URL;
  let ourHostname: string;
  try {
    url = new URL(`${m[1]}://${m[2]}/`);
    ourHostname = new URL(`http://${ours[1]}/`).hostname;
  } catch {
    return undefined;
  }
  if (url.hostname !== ourHostname) return undefined;
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  // URL drops a port that is the scheme's default, so `url.port === ''` means the default.
  const samePort = ours[2] === undefined ? url.port === '' : Number(ours[2]) === Number(url.port || defaultPort);
  if (!samePort) return undefined;
  const path = withoutQuery(m[3]);
  return path === '' ? '/' : path;
}

function withoutQuery(ref: string): string {
  const end = ref.search(/[?#]/);
  return end < 0 ? ref : ref.slice(0, end);
}
