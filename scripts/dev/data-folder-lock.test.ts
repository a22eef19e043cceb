import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCK_FILE, lockDataFolder, processIsAlive } from "./data-folder-lock";

/** The id of a process that has ended: no process has it (until the system hands it out again). */
function endedPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("lockDataFolder", () => {
  let folder: string;
  beforeEach(() => {
    folder = join(mkdtempSync(join(tmpdir(), "dev-lock-")), ".data");
  });
  afterEach(() => rmSync(join(folder, ".."), { recursive: true, force: true }));

  it("creates the folder and records the holder's pid; release removes it", () => {
    const lock = lockDataFolder(folder, process.pid);
    expect(lock.held).toBe(true);
    expect(readFileSync(join(folder, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
    if (lock.held) lock.release();
    expect(existsSync(join(folder, LOCK_FILE))).toBe(false);
  });

  it("refuses a second holder while the first one's process lives, naming it", async () => {
    const first = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    try {
      expect(lockDataFolder(folder, first.pid).held).toBe(true);
      expect(lockDataFolder(folder, process.pid)).toEqual({ held: false, holder: first.pid });
      expect(readFileSync(join(folder, LOCK_FILE), "utf8")).toBe(`${first.pid}\n`);
    } finally {
      first.kill("SIGKILL");
    }
  });

  it("takes over a lock whose process has ended (a crash or SIGKILL left it behind)", () => {
    mkdirSync(folder);
    const dead = endedPid();
    expect(processIsAlive(dead)).toBe(false);
    writeFileSync(join(folder, LOCK_FILE), `${dead}\n`);
    expect(lockDataFolder(folder, process.pid).held).toBe(true);
    expect(readFileSync(join(folder, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
  });

  it("takes over an unreadable lock file", () => {
    mkdirSync(folder);
    writeFileSync(join(folder, LOCK_FILE), "not a pid");
    expect(lockDataFolder(folder, process.pid).held).toBe(true);
  });

  it("release leaves a lock that another process holds alone", () => {
    const lock = lockDataFolder(folder, process.pid);
    writeFileSync(join(folder, LOCK_FILE), "1\n");
    if (lock.held) lock.release();
    expect(readFileSync(join(folder, LOCK_FILE), "utf8")).toBe("1\n");
  });
});
