import type { Logger } from 'pino';

/**
 * Run `job` every `seconds` in the background (never two at once, failures logged and retried
 * at the next tick); returns a stop function. Used for retention passes and storage scans.
 */
export function every<R>(seconds: number, what: string, job: () => Promise<R>, done: (result: R) => void, logger: Logger): () => void {
  if (seconds <= 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    job()
      .then(done)
      .catch((err: unknown) => logger.warn({ err }, `${what} failed; the next one retries`))
      .finally(() => (running = false));
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
