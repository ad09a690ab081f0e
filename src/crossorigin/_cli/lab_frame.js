"use strict";
// The lab's frame: one per origin the lab sends from (localhost, 127.0.0.1, [::1], a *.localhost
// subdomain, and a sandboxed copy whose origin is opaque, so it sends "Origin: null"). It runs
// the request the lab page posts with a real fetch() and posts back what the script could see.
(() => {
  function body(request) {
    if (request.body_kind === "none") return undefined;
    if (request.body_kind === "form") return new URLSearchParams(request.body);
    return request.body;  // json (Content-Type set by the page) or text (text/plain)
  }

  async function send(request) {
    try {
      const init = { method: request.method, credentials: request.credentials, cache: "no-store",
                     signal: AbortSignal.timeout(10000) };
      init.headers = new Headers(request.headers);
      const payload = body(request);
      if (payload !== undefined) init.body = payload;
      const response = await fetch(request.url, init);
      const text = await response.text();
      const headers = [];
      response.headers.forEach((value, name) => headers.push([name, value]));
      return { outcome: "allowed", status: response.status, headers, body: text.slice(0, 500) };
    } catch (error) {
      // Scripts only ever see a TypeError; the reason is in the console.
      return { outcome: "blocked", headers: [], error: `${error.name}: ${error.message}` };
    }
  }

  window.addEventListener("message", async (event) => {
    if (event.source !== window.parent || !event.data || !event.data.request) return;
    const report = await send(event.data.request);
    window.parent.postMessage({ id: event.data.id, report: { origin: self.origin, ...report } }, "*");
  });
  window.parent.postMessage({ ready: true, origin: self.origin }, "*");
})();
