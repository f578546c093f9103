/** Small fetch wrappers for tests: real HTTP over real sockets. */

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (problem+json included), or undefined. */
  json: any;
}

export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, { redirect: 'manual', ...init, ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** PUT a body to /files/<path>. */
export function put(base: string, path: string, body: string | Buffer, headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  return request(`${base}/files/${path}${query}`, { method: 'PUT', body, headers });
}

/** Take a check-out; returns the answer and its token (without angle brackets). */
export async function checkout(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer & { token: string }> {
  const answer = await request(`${base}/files/${path}`, { method: 'CHECKOUT', headers });
  const token = (answer.headers.get('lock-token') ?? '').replace(/^<|>$/g, '');
  return { ...answer, token };
}
