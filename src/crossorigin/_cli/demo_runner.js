"use strict";
// Runs a scenario's fetch() calls and reports what the browser let the script see.
// Loaded by the demo page and by its two iframes: one served from an origin the policy does not
// allow, and one sandboxed (an opaque origin, so the browser sends "Origin: null").
const crossoriginDemo = (() => {
  async function runStep(step) {
    const init = {
      method: step.method,
      headers: step.headers || {},
      credentials: step.credentials || "same-origin",
      cache: "no-store",
      signal: AbortSignal.timeout(10000),
    };
    if (step.body !== undefined) init.body = step.body;
    try {
      const response = await fetch(step.url, init);
      const body = await response.text();
      const headers = [];
      response.headers.forEach((value, name) => headers.push([name, value]));
      const read = {};
      for (const name of step.read || []) read[name] = response.headers.get(name);
      return { outcome: "allowed", status: response.status, headers, read, body: body.slice(0, 300) };
    } catch (error) {
      // The browser hides why (only the console says it); scripts see a TypeError.
      return { outcome: "blocked", error: `${error.name}: ${error.message}` };
    }
  }

  async function run(steps) {
    const results = [];
    for (const step of steps) {
      const result = await runStep(step);
      results.push({ method: step.method, url: step.url, ...result });
      if (result.outcome === "blocked") break;
    }
    return { origin: self.origin, results };
  }

  // In an iframe: run the steps the parent page posts, and post the report back.
  function listen() {
    window.addEventListener("message", async (event) => {
      if (event.source !== window.parent || !event.data || !event.data.steps) return;
      const report = await run(event.data.steps);
      window.parent.postMessage({ id: event.data.id, report }, "*");
    });
    window.parent.postMessage({ ready: true, origin: self.origin }, "*");
  }

  return { run, listen };
})();
