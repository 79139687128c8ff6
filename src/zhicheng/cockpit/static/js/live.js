// Live updates: one server-sent-events stream of the store's change counters (sensing, alerts,
// events); a page registers what to redraw when a topic moves, and drops it when it is left.

let source = null;
let last = null;
const listeners = new Set(); // {topics: Set, redraw: (moved) => void}

function moved(now) {
  if (last === null) return [];
  return Object.keys(now).filter((k) => now[k] !== last[k]);
}

function connect() {
  if (source || typeof EventSource === "undefined") return;
  source = new EventSource("/api/cockpit/stream");
  source.addEventListener("changes", (e) => {
    const now = JSON.parse(e.data);
    const topics = moved(now);
    last = now;
    document.body.dataset.live = "on";
    if (topics.length === 0) return;
    for (const l of [...listeners]) if (topics.some((t) => l.topics.has(t))) l.redraw(topics);
  });
  source.addEventListener("error", () => {
    document.body.dataset.live = "off"; // the browser reconnects by itself
  });
}

/** Call ``redraw`` whenever one of ``topics`` changes in the store; returns a function that stops. */
export function onLive(topics, redraw) {
  const entry = { topics: new Set(topics), redraw };
  listeners.add(entry);
  connect();
  return () => listeners.delete(entry);
}

/** Forget every page's listeners (the shell calls this on each navigation). */
export function clearLive() {
  listeners.clear();
}
