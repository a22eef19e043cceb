import { type KeySet, type VerifiableVersion, verifyVersion } from "@plugins/client";
import { useQuery } from "@tanstack/react-query";
import { rest } from "../platform";

/** The registry's public keys (GET /api/keys), fetched once per page load. */
function useKeySet() {
  return useQuery({ queryKey: ["keys"], queryFn: () => rest<KeySet>("/api/keys"), staleTime: 5 * 60_000 });
}

/**
 * Checks the version's signature here, in the browser, against the registry's published keys:
 * what the page says is what a loader would conclude, not what the server claims of itself.
 */
export function SignatureStatus({
  pluginId,
  version,
  files,
}: {
  pluginId: string;
  version: string;
  files: VerifiableVersion;
}) {
  const keys = useKeySet();
  const check = useQuery({
    queryKey: ["signature", pluginId, version, files.signature?.sig ?? null],
    queryFn: () => verifyVersion(pluginId, version, files, keys.data as KeySet),
    enabled: keys.data !== undefined,
  });
  if (!files.signature) return <span className="status status-warning">Unsigned</span>;
  if (keys.isError) return <span className="status status-warning">Keys unavailable</span>;
  if (check.data === undefined) return <span className="status">Checking signature…</span>;
  if (check.data === null) {
    return <span className="status status-ok">Signed by {files.signature.keyid}, verified</span>;
  }
  return <span className="status status-error">Signature does not verify: {check.data.message}</span>;
}
