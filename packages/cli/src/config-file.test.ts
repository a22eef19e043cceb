import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configFilePath, readStoredLogin, storeLogin } from "./config-file";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), "plugins-cli-config-"));
  folders.push(folder);
  return folder;
}

describe("the per-user config file", () => {
  it("lives under $XDG_CONFIG_HOME, or ~/.config when it is unset or empty", () => {
    expect(configFilePath({ XDG_CONFIG_HOME: "/x/config", HOME: "/home/u" })).toBe("/x/config/plugins/config.json");
    expect(configFilePath({ XDG_CONFIG_HOME: "", HOME: "/home/u" })).toMatch(/\/\.config\/plugins\/config\.json$/);
  });

  it("is written readable by the user only, even over a file that was wider", async () => {
    const path = join(scratch(), "plugins", "config.json");
    await storeLogin(path, { registry: "https://r.example", token: "t1" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
    writeFileSync(path, "{}", { mode: 0o644 });
    await storeLogin(path, { registry: "https://r.example", token: "t2" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ registry: "https://r.example", token: "t2" });
    expect(await readStoredLogin(path)).toEqual({ registry: "https://r.example", token: "t2" });
  });

  it("reads as empty when nothing was stored, and names the file when it is not JSON", async () => {
    const folder = scratch();
    expect(await readStoredLogin(join(folder, "none.json"))).toEqual({});
    writeFileSync(join(folder, "bad.json"), "{");
    await expect(readStoredLogin(join(folder, "bad.json"))).rejects.toThrow(/bad\.json is not valid JSON/);
  });
});
