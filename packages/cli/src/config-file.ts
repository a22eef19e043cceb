import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliFailure } from "./failure";

/** What `plugins login` stores: the registry to talk to, and the bearer token to send it. */
export interface StoredLogin {
  registry: string;
  token: string;
}

/**
 * `$XDG_CONFIG_HOME/plugins/config.json`, or `~/.config/plugins/config.json` when it is unset
 * or empty (the XDG Base Directory rule), like other tools that keep per-user settings there.
 */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "plugins", "config.json");
}

/** The stored login, or an empty one when nothing was stored yet. */
export async function readStoredLogin(path: string): Promise<Partial<StoredLogin>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  try {
    const stored = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof stored.registry === "string" ? { registry: stored.registry } : {}),
      ...(typeof stored.token === "string" ? { token: stored.token } : {}),
    };
  } catch {
    throw CliFailure.usage(`${path} is not valid JSON: run plugins login again, or remove it`);
  }
}

/**
 * Writes the login readable by the user only: the folder 0700, the file 0600 from its first
 * byte (a temporary file renamed over the old one), and the mode set again in case an older
 * file or a umask left it wider.
 */
export async function storeLogin(path: string, login: StoredLogin): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}
