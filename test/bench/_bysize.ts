/**
 * Throughput against file size: PUT (each to a new path) and GET MB/s at concurrency 1, per
 * size. Sizes up to cfg.wrkMaxBytes are driven by wrk for cfg.seconds (MB/s = req/s × size);
 * larger ones by a Node client streaming enough requests to move cfg.minBytesPerRound per round.
 * The big size itself is not measured twice: its figures are the big-file section's.
 */
import { Client } from './_client.js';
import { sizeName, type BenchConfig } from './_config.js';
import { curlGet, curlPut } from './_curl.js';
import { mbps } from './_measure.js';
import type { Results } from './_results.js';
import type { Kluis } from './_server.js';
import { runWrk } from './_wrk.js';

export const sizeKey = (bytes: number, op: 'put' | 'get'): string => `size.${op}.${bytes}`;

export async function measureBySize(cfg: BenchConfig, server: Kluis, results: Results): Promise<void> {
  const client = new Client(server.url, 1);
  try {
    for (let round = 0; round < cfg.rounds; round++) {
      for (const bytes of cfg.sizes) {
        const name = sizeName(bytes);
        const putKey = sizeKey(bytes, 'put');
        const getKey = sizeKey(bytes, 'get');
        if (bytes === cfg.bigBytes) {
          const put = results.get('big.put')?.values[round];
          const get = results.get('big.get')?.values[round];
          if (put !== undefined && get !== undefined) {
            results.add(putKey, `PUT ${name} c1`, 'MB/s', put, { from: 'big.put' });
            results.add(getKey, `GET ${name} c1`, 'MB/s', get, { from: 'big.get' });
            continue;
          }
        }
        const dir = `/files/size/${bytes}/r${round}/`;
        if (bytes <= cfg.wrkMaxBytes) {
          const put = await runWrk(server.url, { kind: 'put-new', prefix: dir, bytes, run: `r${round}` }, 1, cfg.sizeSeconds);
          results.add(putKey, `PUT ${name} c1`, 'MB/s', mbps(put.rps * bytes, 1), { ...put, bytes });
          await client.ok('PUT', `${dir}get.bin`, { 'Content-Type': 'application/octet-stream' }, Buffer.alloc(bytes, 65 + round));
          const get = await runWrk(server.url, { kind: 'get', path: `${dir}get.bin` }, 1, cfg.sizeSeconds);
          results.add(getKey, `GET ${name} c1`, 'MB/s', mbps(get.rps * bytes, 1), { ...get, bytes });
          continue;
        }
        const count = Math.max(1, Math.ceil(cfg.minBytesPerRound / bytes));
        const targets = Array.from({ length: count }, (_, i) => `${dir}f${i}.bin`);
        // curl, one transfer at a time; seconds are curl's own, summed.
        let putSeconds = 0;
        for (const [i, target] of targets.entries()) putSeconds += (await curlPut(`${server.url}${target}`, bytes, 10_000 + round * 1000 + i)).seconds;
        results.add(putKey, `PUT ${name} c1`, 'MB/s', mbps(count * bytes, putSeconds), { count, bytes, seconds: putSeconds });
        let getSeconds = 0;
        for (const target of targets) getSeconds += (await curlGet(`${server.url}${target}`, bytes)).seconds;
        results.add(getKey, `GET ${name} c1`, 'MB/s', mbps(count * bytes, getSeconds), { count, bytes, seconds: getSeconds });
      }
    }
  } finally {
    client.close();
  }
}
