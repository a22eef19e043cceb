import { connect } from "node:net";
import { WebSocketServer } from "ws";

export interface RunningBridge {
  /** `host:port`, the value of NEON_LOCAL_PROXY. */
  address: string;
  stop(): Promise<void>;
}

/**
 * The Neon driver speaks Postgres over a WebSocket. This bridge accepts those sockets
 * (`/v2?address=host:port`, Neon's proxy protocol) and pipes them to a plain TCP
 * Postgres, so the workers reach a local database with the same driver they use in
 * production. Only loopback targets are allowed: it is a development tool.
 */
export async function startNeonBridge(port = 0): Promise<RunningBridge> {
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  server.on("connection", (socket, request) => {
    const target = new URL(request.url ?? "/", "http://bridge").searchParams.get("address") ?? "";
    const [host, targetPort] = target.split(":");
    if (!host || !targetPort || !["127.0.0.1", "localhost", "::1"].includes(host)) {
      socket.close(1008, "only loopback Postgres targets are bridged");
      return;
    }
    const tcp = connect({ host, port: Number(targetPort) });
    tcp.setNoDelay(true);
    socket.on("message", (data: Buffer) => tcp.write(data));
    socket.on("close", () => tcp.end());
    socket.on("error", () => tcp.destroy());
    tcp.on("data", (data) => socket.send(data));
    tcp.on("close", () => socket.close());
    tcp.on("error", () => socket.terminate());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the bridge has no TCP address");
  return {
    address: `127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
