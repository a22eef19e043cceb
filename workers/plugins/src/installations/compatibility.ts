import type { PluginManifest } from "@plugins/schema";
import semver from "semver";

/** A tenant's registered host application. */
export interface Host {
  tenantId: string;
  version: string;
  extensionPoints: ReadonlyArray<{ name: string; contractVersion: string }>;
}

/**
 * Why a plugin version cannot run on the tenant's host: its `engines.host` range, and each
 * extension point it provides that the host lacks or offers under another contract. A tenant
 * that registered no host is not checked.
 */
export function hostProblems(manifest: Pick<PluginManifest, "engines" | "extensionPoints">, host: Host | null) {
  if (!host) return [];
  const problems: string[] = [];
  const range = manifest.engines?.host;
  if (range && !semver.satisfies(host.version, range, { includePrerelease: true })) {
    problems.push(`engines.host: needs host ${range}, and tenant '${host.tenantId}' runs ${host.version}`);
  }
  for (const point of manifest.extensionPoints) {
    const name = typeof point === "string" ? point : point.name;
    const offered = host.extensionPoints.find((candidate) => candidate.name === name);
    if (!offered) {
      problems.push(`extensionPoints: the host of tenant '${host.tenantId}' has no extension point '${name}'`);
    } else if (
      typeof point !== "string" &&
      !semver.satisfies(offered.contractVersion, point.contract, { includePrerelease: true })
    ) {
      problems.push(
        `extensionPoints: '${name}' needs contract ${point.contract}, and the host offers ${offered.contractVersion}`,
      );
    }
  }
  return problems;
}
