import { createServer } from "node:net";

/** Listens on `port` of 127.0.0.1 and lets go at once; resolves the port it got (`0`: any free one). */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export function freePort(): Promise<number> {
  return listenOnce(0);
}

/** Whether something (another `pnpm dev`, any server) listens on `port` of 127.0.0.1. */
export async function portInUse(port: number): Promise<boolean> {
  try {
    await listenOnce(port);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") return true;
    throw error;
  }
}
