/** Shared helpers of the resumable-upload tests (not a test file). Real sockets only. */
import { type Answer, request } from '../../helpers/http.js';

export const TUS = { 'Tus-Resumable': '1.0.0' };

/** `Upload-Metadata` of `fields`, base64 as tus defines. */
export function meta(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

/** POST /uploads/ for `path`; the answer, and the upload's absolute URL when it was made. */
export async function create(base: string, path: string, length: number, headers: Record<string, string> = {}, query = ''): Promise<Answer & { url: string }> {
  const answer = await request(`${base}/uploads/${query}`, { method: 'POST', headers: { ...TUS, 'Upload-Length': String(length), 'Upload-Metadata': meta({ path }), ...headers } });
  return { ...answer, url: answer.status === 201 ? `${base}${answer.headers.get('location')}` : '' };
}

export function patch(url: string, offset: number, body: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(url, { method: 'PATCH', headers: { ...TUS, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', ...headers }, body });
}

export function head(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(url, { method: 'HEAD', headers: { ...TUS, ...headers } });
}
