import type { Socket } from 'node:net';
import { Problem } from '../errors.js';

/** Methods Node's HTTP parser (llhttp) refuses before any application code runs, and their forms here. */
const REFUSED_METHODS: Record<string, string> = {
  CHECKIN: 'PUT or POST /files/<path>?checkin with the Lock-Token header',
  UNCHECKOUT: 'POST /files/<path>?uncheckout (or UNLOCK) with the Lock-Token header',
  'VERSION-CONTROL': 'nothing: every file is under version control from its first upload',
};

/**
 * The server's `clientError` handler. A request whose method the parser does not know gets
 * a 501 problem naming the form to use; any other parse failure a 400 problem.
 */
export function onClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const method = err.rawPacket?.toString('latin1', 0, 32).split(' ', 1)[0] ?? '';
  const hint = err.code === 'HPE_INVALID_METHOD' ? REFUSED_METHODS[method] : undefined;
  const problem = hint
    ? new Problem('method-not-supported', `${method} is not supported as an HTTP method; use ${hint}`)
    : new Problem('bad-request', `the request could not be parsed (${err.code ?? err.message})`);
  const body = JSON.stringify(problem.toJSON());
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.status === 501 ? 'Not Implemented' : 'Bad Request'}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
