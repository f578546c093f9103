/**
 * `KLUIS_CORS_ORIGINS`: comma-separated origins, each exactly as a browser sends it in `Origin`
 * (`https://app.example.com`, `http://localhost:3000`: lower case, no default port, no path).
 * `*` and `null` are refused, as is anything else that is not such an origin.
 */
export function parseCorsOrigins(raw: string): { origins: string[]; problems: string[] } {
  const origins: string[] = [];
  const problems: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const why = originProblem(item);
    if (why) problems.push(`KLUIS_CORS_ORIGINS: ${JSON.stringify(item)} ${why}`);
    else if (!origins.includes(item)) origins.push(item);
  }
  return { origins, problems };
}

function originProblem(item: string): string | undefined {
  if (item === '*') return 'is not accepted: name each origin (any web page a user visits could otherwise use the service through their browser)';
  if (item === 'null') return 'is not accepted: it is the origin of sandboxed and file: pages, any of which may send it';
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    return 'is not an origin (scheme://host[:port], e.g. https://app.example.com)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'is not an http or https origin';
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') {
    return `is not an origin: no path, query or credentials (the origin is ${url.origin})`;
  }
  if (url.origin !== item) return `is not written as a browser sends it: write ${url.origin}`;
  return undefined;
}
