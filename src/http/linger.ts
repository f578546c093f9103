import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a connection whose request was refused before its body was read may still be read
 * from, as nginx's `lingering_time`. A connection that sends nothing is cut sooner by the
 * server's idle timeout (`KLUIS_BODY_IDLE_SECONDS`).
 */
export const LINGER_MS = 30_000;

/** How a lingering close ended: the body was read to its end, the client closed, or the time bound was met. */
export type LingerEnd = 'drained' | 'client-closed' | 'time';

/**
 * Close the connection of a request answered before its body was read, without losing the
 * answer. Node ends a `Connection: close` response with `socket.destroySoon()`, which closed the
 * socket with the body still arriving: the kernel then answers with RST, which can reach the
 * client before it has read the answer (it sees EPIPE or ECONNRESET instead of the 409 or 413;
 * Node's fetch lost 2 to 10 answers in 10 with 50 MB bodies). Instead the body is read from
 * now on and thrown away (its bytes counted), the answer is followed by a FIN, and the socket
 * is closed once the body ends, the client closes, or {@link LINGER_MS} has passed. Call it
 * before the response ends: the body is taken over here, so Node does not discard it unseen.
 */
export function lingerOnClose(req: IncomingMessage, limitMs: number, done: (bytes: number, end: LingerEnd) => void): void {
  const socket = req.socket as Socket & { destroySoon?: () => void; [LINGERING]?: true };
  if (socket.destroyed) return;
  // A request pipelined behind the refused one is not served (RFC 9112 §9.6: the answer said close).
  socket[LINGERING] = true;
  let bytes = 0;
  // The body goes nowhere: whoever read it before the refusal has let go of it.
  req.unpipe();
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.resume();
  socket.destroySoon = () => linger(socket, req, limitMs, (end) => done(bytes, end));
}

/** Marks a socket whose connection closes after a refusal: requests that still arrive on it are not served. */
export const LINGERING = Symbol('lingering');

/** Whether `req` came in on a connection that is closing after a refusal (see {@link lingerOnClose}). */
export function onClosingConnection(req: IncomingMessage): boolean {
  return (req.socket as Socket & { [LINGERING]?: true })[LINGERING] === true;
}

function linger(socket: Socket, req: IncomingMessage, limitMs: number, done: (end: LingerEnd) => void): void {
  let over = false;
  /** The time bound cuts the connection at once; otherwise it closes once the answer has left. */
  const stop = (end: LingerEnd) => {
    if (over) return;
    over = true;
    done(end);
    if (end === 'time' || socket.writableFinished) close();
    else socket.once('finish', close);
  };
  const close = () => {
    clearTimeout(bound);
    socket.destroy();
  };
  const bound = setTimeout(() => {
    stop('time');
    close();
  }, limitMs);
  socket.once('end', () => stop('client-closed'));
  socket.once('close', () => {
    stop('client-closed');
    clearTimeout(bound);
  });
  req.once('end', () => stop('drained'));
  socket.end();
  if (req.complete) stop('drained');
}
