/**
 * The router type that `@plugins/api/client` exports reaches two declarations that name the
 * Workers global `R2Bucket` without importing it (workers/plugins/src/env.ts, trpc.ts), so a
 * program without `@cloudflare/workers-types` globals (a frontend, or this root project with
 * the DOM lib) fails to typecheck it. Until those files import the type explicitly, this
 * stand-in supplies it: miniflare's own R2 bucket type, the same one `stack.bucket` has.
 * Delete this file once the source imports `R2Bucket` itself.
 */
type R2Bucket = Awaited<ReturnType<import("miniflare").Miniflare["getR2Bucket"]>>;
