import cliProgress from "cli-progress";
import { answerJson, type Connection, request } from "./connection";

/** What `POST /api/plugins/upload` answers: the version as stored. */
export interface PublishAnswer {
  id: string;
  version: string;
  status: string;
  entry: string;
  fileCount: number;
  size: number;
  /** Of the entry file. */
  sha256: string;
  integrity: string;
  bundleUrl: string;
  publishedAt: string;
  publishedBy: string;
  /** The version's signature, once the registry signs versions. */
  signature?: unknown;
}

export interface UploadedBundle {
  archive: Uint8Array<ArrayBuffer>;
  fileName: string;
  tag: string | undefined;
}

/** Bytes handed to the connection per read: small enough for the bar to move on a slow link. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Sends the archive as the multipart form of `POST /api/plugins/upload`, streamed in chunks so
 * that the progress bar (on stderr) counts the bytes as the connection takes them. The form is
 * encoded whole first: its length is known, so the request carries a Content-Length.
 */
export async function uploadBundle(
  to: Connection,
  bundle: UploadedBundle,
): Promise<PublishAnswer & { created: boolean }> {
  const form = new FormData();
  form.set("file", new File([bundle.archive], bundle.fileName));
  if (bundle.tag !== undefined) form.set("tag", bundle.tag);
  const encoded = new Response(form);
  const contentType = encoded.headers.get("content-type") ?? "multipart/form-data";
  const body = new Uint8Array(await encoded.arrayBuffer());

  const progress = new cliProgress.SingleBar(
    {
      // Drawn only when stderr is a terminal, and erased when the upload ends: in CI logs, and
      // after a failure, stderr holds the failure's one line and nothing else.
      stream: process.stderr,
      clearOnComplete: true,
      format: "upload [{bar}] {percentage}% | {value}/{total} bytes",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    start() {
      progress.start(body.byteLength, 0);
    },
    pull(controller) {
      if (sent >= body.byteLength) {
        controller.close();
        return;
      }
      const chunk = body.subarray(sent, sent + CHUNK_BYTES);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
      progress.update(sent);
    },
  });
  try {
    const response = await request(to, "/api/plugins/upload", {
      method: "POST",
      headers: { "content-type": contentType, "content-length": String(body.byteLength) },
      body: stream,
      // Node's fetch sends a stream body only when told it may before the answer starts.
      duplex: "half",
    } as RequestInit);
    const answer = await answerJson<PublishAnswer>(response);
    return { ...answer, created: response.status === 201 };
  } finally {
    progress.stop();
  }
}
