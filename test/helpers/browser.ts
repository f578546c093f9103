/**
 * Headless Chromium for tests: Debian's `chromium` (installed here when missing, as the other
 * test tools are; no browser can be downloaded), driven by playwright-core. Fails, never skips,
 * when it cannot start.
 */
import type { ExecutionContext } from 'ava';
import { type Browser, chromium } from 'playwright-core';
import { ensureTool } from '../dav/_tools.js';

/** A browser for one test, closed when it ends. */
export async function browser(t: ExecutionContext): Promise<Browser> {
  const executablePath = await ensureTool('chromium', 'chromium');
  const launched = await chromium.launch({
    executablePath,
    // Tests run as root (no sandbox then); the machine has no network: no background requests.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => launched.close());
  return launched;
}
