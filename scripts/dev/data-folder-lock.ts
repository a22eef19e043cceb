import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where `pnpm dev` records which process holds the data folder. */
export const LOCK_FILE = "dev.lock";

export type LockOutcome = { held: true; release(): void } | { held: false; holder: number };

/** Whether a process with this id exists (one of another user counts: signalling it is refused, not unknown). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes the data folder for process `pid`: one `pnpm dev` at a time opens PGlite's files
 * and wrangler's local state, which two processes would corrupt. The lock is a file
 * holding the pid, created exclusively; one whose process is gone (a crash, a SIGKILL) is
 * taken over.
 */
export function lockDataFolder(folder: string, pid = process.pid): LockOutcome {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, LOCK_FILE);
  for (;;) {
    try {
      writeFileSync(path, `${pid}\n`, { flag: "wx" });
      return {
        held: true,
        release() {
          if (readHolder(path) === pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readHolder(path);
    if (holder !== null && holder !== pid && processIsAlive(holder)) return { held: false, holder };
    // A stale lock. Moved aside rather than deleted: if another starter replaced it meanwhile,
    // what was moved is that starter's live lock, and it goes back.
    const aside = `${path}.${pid}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readHolder(aside);
    if (moved !== holder && moved !== null && processIsAlive(moved)) {
      renameSync(aside, path);
      return { held: false, holder: moved };
    }
    rmSync(aside, { force: true });
  }
}
