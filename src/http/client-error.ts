import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Problem } from '../errors.js';
import { FILES_ALLOW } from './rest/files.js';

/** Methods Node's HTTP parser (llhttp) refuses before any application code runs, and their forms here. */
const REFUSED_METHODS: Record<string, string> = {
  CHECKIN: 'PUT or POST /files/<path>?checkin with the Lock-Token header',
  UNCHECKOUT: 'POST /files/<path>?uncheckout (or UNLOCK) with the Lock-Token header',
  'VERSION-CONTROL': 'nothing: every file is under version control from its first upload',
};

/**
 * The server's `clientError` handler. A request whose method the parser does not know gets
 * a 501 problem naming the form to use, headers over the limit 431, headers that did not arrive
 * within Node's `headersTimeout` 408 (Node's own answer, as a problem); any other parse failure 400.
 */
export function onClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  const method = err.rawPacket?.toString('latin1', 0, 32).split(' ', 1)[0] ?? '';
  const hint = err.code === 'HPE_INVALID_METHOD' ? REFUSED_METHODS[method] : undefined;
  let problem: Problem;
  if (hint) problem = new Problem('method-not-supported', `${method} is not supported as an HTTP method; use ${hint}`);
  else if (err.code === 'HPE_HEADER_OVERFLOW') problem = new Problem('headers-too-large', "the request line and headers are over the server's limit (16 KiB)");
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') problem = new Problem('request-timeout', "the request line and headers did not all arrive in time (the server's headers timeout)");
  else problem = new Problem('bad-request', `the request could not be parsed (${err.code ?? err.message})`);
  writeProblem(socket, problem);
}

/** The server's `connect` handler: CONNECT (proxy tunnels) is not served; 405 with Allow, then close. */
export function onConnect(_req: IncomingMessage, socket: Duplex): void {
  writeProblem(socket, new Problem('method-not-allowed', 'CONNECT is not supported: this is not a proxy'), { Allow: FILES_ALLOW });
}

/**
 * A problem+json answer written straight to a socket the HTTP layer has not taken, then the
 * socket destroyed: only ending it would leave the read side open (the server's sockets allow
 * half-open), and a request completed after the answer would still be parsed and served. When a
 * response of an earlier request on the connection is being sent, nothing is written into it.
 */
function writeProblem(socket: Duplex, problem: Problem, headers: Record<string, string> = {}): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problem.toJSON());
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}
