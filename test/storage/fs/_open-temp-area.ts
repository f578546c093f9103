// Child process of temp-area.test.ts: at the instant argv[3] (ms since the epoch), open a staging
// area under argv[2]; a moment later, say whether it is still there. With argv[4] `hold`: say
// the area's directory and keep it open until killed.
import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TempArea } from '../../../src/storage/fs/temp-area.js';

const [root, at, mode] = [process.argv[2] as string, Number(process.argv[3]), process.argv[4]];
while (Date.now() < at) await sleep(Math.min(5, at - Date.now()));
const area = await TempArea.open(root);
if (mode === 'hold') {
  process.stdout.write(`${area.dir}\n`);
  setInterval(() => {}, 60_000);
} else {
  await sleep(300);
  const kept = await access(area.dir).then(
    () => true,
    () => false,
  );
  process.stdout.write(kept ? 'kept\n' : 'removed\n');
  await area.close();
}
