import { describe, expect, it } from "vitest";
import { hasMorePartsThan, MAX_UPLOAD_PARTS, multipartBoundary } from "./multipart";

/** A form as fetch would send it: its bytes and its content type. */
async function encoded(fields: Array<[string, string | File]>) {
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  const request = new Request("http://upload.test/", { method: "POST", body: form });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    boundary: multipartBoundary(request.headers.get("content-type")) ?? "",
  };
}

describe("multipartBoundary", () => {
  it.each([
    ["multipart/form-data; boundary=abc123", "abc123"],
    ['multipart/form-data; boundary="with space"', "with space"],
    ["Multipart/Form-Data;BOUNDARY=X;charset=utf-8", "X"],
    ["multipart/form-data", null],
    [null, null],
  ])("reads %s as %s", (contentType, boundary) => {
    expect(multipartBoundary(contentType)).toBe(boundary);
  });
});

describe("hasMorePartsThan", () => {
  const upload: Array<[string, string | File]> = [
    ["file", new File(["export default 1;\n"], "plugin.js")],
    ["metadata", '{"id":"a"}'],
    ["tag", "beta"],
  ];

  it("lets file, metadata and tag through, and refuses one part more", async () => {
    const three = await encoded(upload);
    expect(hasMorePartsThan(three.body, three.boundary, MAX_UPLOAD_PARTS)).toBe(false);
    const four = await encoded([...upload, ["extra", ""]]);
    expect(hasMorePartsThan(four.body, four.boundary, MAX_UPLOAD_PARTS)).toBe(true);
  });

  it("does not count the boundary inside a part, only at the start of a line", async () => {
    const sneaky = await encoded([["file", new File(["a --x-- b"], "plugin.js")]]);
    const text = new TextDecoder().decode(sneaky.body).replaceAll("a --x-- b", `a --${sneaky.boundary} b`);
    expect(hasMorePartsThan(new TextEncoder().encode(text), sneaky.boundary, 1)).toBe(false);
  });

  it("counts a delimiter after a bare line feed, where a lenient parser would split", () => {
    const body = new TextEncoder().encode(
      '--b\nContent-Disposition: form-data; name="a"\n\n1\n--b\nContent-Disposition: form-data; name="c"\n\n2\n--b--\n',
    );
    expect(hasMorePartsThan(body, "b", 2)).toBe(false);
    expect(hasMorePartsThan(body, "b", 1)).toBe(true);
  });

  it("stops at the first part past the limit of a flood of 200,000", () => {
    const body = new TextEncoder().encode(
      `${'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n'.repeat(200_000)}--b--\r\n`,
    );
    const started = performance.now();
    expect(hasMorePartsThan(body, "b", MAX_UPLOAD_PARTS)).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
