// Live refresh: runs `tick` now and then every `intervalMs` while enabled, never two at once, and not while the
// tab is hidden.
export function poller(tick, intervalMs = 2000) {
  let timer = null;
  let running = false;
  let enabled = true;
  let stopped = false;

  async function run() {
    timer = null;
    if (stopped) return;
    if (!running && !document.hidden) {
      running = true;
      try {
        await tick();
      } finally {
        running = false;
      }
    }
    schedule();
  }

  function schedule() {
    if (!stopped && enabled && timer === null) timer = setTimeout(run, intervalMs);
  }

  return {
    start() { run(); },
    now() { if (!running) { if (timer !== null) clearTimeout(timer); run(); } },
    setEnabled(value) {
      enabled = value;
      if (!enabled && timer !== null) { clearTimeout(timer); timer = null; }
      if (enabled) schedule();
    },
    stop() { stopped = true; if (timer !== null) clearTimeout(timer); },
  };
}
