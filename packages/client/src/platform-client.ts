import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  isNonJsonSerializable,
  splitLink,
  type TRPCClient,
} from "@trpc/client";
import { authorization, type TokenSource } from "./bearer-token";
import type { AppRouter } from "./router";

export interface PlatformClientOptions {
  /** The platform's public origin, `https://plugins.example.com`: `/trpc` is appended. */
  baseUrl: string;
  /** A user's JWT or a publish token (`ppt_…`); without one the client calls as a guest. */
  token?: TokenSource;
}

/** The gateway refuses a batch of more than 50 calls before running any of them. */
const MAX_BATCH = 50;

/**
 * A typed tRPC client of the registry at `${baseUrl}/trpc`: calls are batched (at most 50 a
 * request), and a `FormData` input (`plugins.publish`) goes alone, since a batch is JSON.
 */
export function createPlatformClient(options: PlatformClientOptions): TRPCClient<AppRouter> {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/trpc`;
  const headers = () => authorization(options.token);
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => isNonJsonSerializable(operation.input),
        true: httpLink({ url, headers }),
        false: httpBatchLink({ url, headers, maxItems: MAX_BATCH }),
      }),
    ],
  });
}
