import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bounds of a lingering close, as nginx's `lingering_time` / `lingering_timeout`: how long a
 * connection whose request was refused before its body was read may still be read from, for how
 * long it may stay silent, and how many bytes are read and thrown away at most.
 */
export interface LingerBounds {
  totalMs: number;
  idleMs: number;
  maxBytes: number;
}

export const LINGER: LingerBounds = { totalMs: 30_000, idleMs: 5_000, maxBytes: 256 * 1024 * 1024 };

/** How a lingering close ended: the body was read to its end, the client closed, or a bound was met. */
export type LingerEnd = 'drained' | 'client-closed' | 'time' | 'idle' | 'bytes';

/**
 * Close the connection of a request answered before its body was read, without losing the
 * answer. Node ends a `Connection: close` response with `socket.destroySoon()`: the socket is
 * closed once the answer is written, and a body still arriving then makes the kernel answer
 * with RST, which can reach the client before it has read the answer (it sees EPIPE or
 * ECONNRESET instead of the 409 or 413). Instead the answer is followed by a FIN (the write
 * side ends), and the body is read and thrown away until it ends, the client closes, or a
 * bound is met; then the socket is closed. Call it before the response ends.
 */
export function lingerOnClose(req: IncomingMessage, bounds: LingerBounds, done: (bytes: number, end: LingerEnd) => void): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  if (socket.destroyed) return;
  socket.destroySoon = () => linger(socket, req, bounds, done);
}

function linger(socket: Socket, req: IncomingMessage, bounds: LingerBounds, done: (bytes: number, end: LingerEnd) => void): void {
  let bytes = 0;
  let over = false;
  /** A bound cuts the connection at once; otherwise it closes once the answer has left (the total bound still applies). */
  const stop = (end: LingerEnd) => {
    if (over) return;
    over = true;
    clearTimeout(idle);
    req.off('data', onData);
    done(bytes, end);
    if (end === 'time' || end === 'idle' || end === 'bytes' || socket.writableFinished) close();
    else socket.once('finish', close);
  };
  const close = () => {
    clearTimeout(total);
    socket.destroy();
  };
  const total = setTimeout(() => {
    stop('time');
    close();
  }, bounds.totalMs);
  const idle = setTimeout(() => stop('idle'), bounds.idleMs);
  const onData = (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > bounds.maxBytes) return stop('bytes');
    idle.refresh();
  };
  // The HTTP parser reads the socket itself (no 'data' events there): the body's bytes are counted as the request delivers them.
  socket.once('end', () => stop('client-closed'));
  socket.once('close', () => {
    stop('client-closed');
    clearTimeout(total);
  });
  // The body goes nowhere: whoever read it before the refusal has let go of it.
  req.unpipe();
  req.once('end', () => stop('drained'));
  req.on('data', onData);
  req.resume();
  socket.end();
  if (req.complete) stop('drained');
}
