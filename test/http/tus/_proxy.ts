/** A TCP proxy in front of a kluis process, for resumable-upload tests (not a test file). */
import net from 'node:net';

export interface CutProxy {
  url: string;
  /** Send new connections to this port (a restarted server). */
  target(port: number): void;
  /** Cut every open connection once `bytes` more request bytes have passed through (one time). */
  cutAfter(bytes: number): void;
  /** Stop passing request bytes once `bytes` more have passed (the upload stalls); resolves then. */
  holdAfter(bytes: number): Promise<void>;
  /** Cut every open connection now, and pass bytes again. */
  cutAll(): void;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function cutProxy(port: number): Promise<CutProxy> {
  let upstream = port;
  let budget = Infinity;
  let cuts = 0;
  let holdBudget = Infinity;
  let holding = false;
  let onHold: (() => void) | undefined;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(upstream, '127.0.0.1');
    open.add(client);
    open.add(up);
    const drop = () => {
      client.destroy();
      up.destroy();
      open.delete(client);
      open.delete(up);
    };
    client.on('data', (chunk: Buffer) => {
      if (holding) return; // stalled: these connections are cut before anything passes again
      holdBudget -= chunk.length;
      if (holdBudget <= 0) {
        holdBudget = Infinity;
        holding = true;
        onHold?.();
        return;
      }
      budget -= chunk.length;
      if (budget <= 0) {
        budget = Infinity;
        cuts++;
        for (const socket of open) socket.destroy();
        open.clear();
        return;
      }
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${own}`,
    target: (p) => {
      upstream = p;
    },
    cutAfter: (bytes) => {
      budget = bytes;
    },
    holdAfter: (bytes) =>
      new Promise<void>((resolve) => {
        holdBudget = bytes;
        onHold = resolve;
      }),
    cutAll: () => {
      cuts++;
      for (const socket of open) socket.destroy();
      open.clear();
      holding = false;
    },
    get cuts() {
      return cuts;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
