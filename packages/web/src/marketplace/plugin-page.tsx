import type { DocumentVersion, RouterOutputs } from "@plugins/client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { TableScroll } from "../layout/table-scroll";
import { platform } from "../platform";
import { DownloadsChart, downloadsPerDay } from "./downloads-chart";
import { InstallButton } from "./install-button";
import { Readme } from "./readme";
import { SignatureStatus } from "./signature-status";

type Plugin = RouterOutputs["plugins"]["get"];
const CHART_DAYS = 30;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A plugin's page: what it is, its readme, versions, tags, downloads, files and who maintains it. */
export function PluginPage({ pluginId }: { pluginId: string }) {
  const plugin = useQuery({
    queryKey: ["plugins.get", pluginId],
    queryFn: () => platform.plugins.get.query({ pluginId }),
  });
  const document = useQuery({
    queryKey: ["plugins.document", pluginId],
    queryFn: () => platform.plugins.document.query({ pluginId }),
  });

  if (plugin.isError) return <ProblemNotice error={plugin.error} title={`Plugin ${pluginId}`} />;
  if (!plugin.data) return <LoadingRows rows={8} label={`Loading ${pluginId}`} />;
  const latest = plugin.data.distTags.latest;
  return (
    <article aria-labelledby="plugin-title" className="plugin-page">
      <PluginHeader plugin={plugin.data} />
      <div className="plugin-columns">
        <div className="plugin-main">
          <section aria-labelledby="readme-title">
            <h2 id="readme-title">Readme</h2>
            {plugin.data.readme ? (
              <Readme markdown={plugin.data.readme} />
            ) : (
              <EmptyState>This plugin has no readme.</EmptyState>
            )}
          </section>
          <VersionsSection plugin={plugin.data} />
          {latest && document.data?.document && (
            <FilesSection pluginId={pluginId} version={latest} entry={document.data.document.versions[latest]} />
          )}
          {document.isError && <ProblemNotice error={document.error} title="Files" />}
        </div>
        <aside className="plugin-side" aria-label="About this plugin">
          <DownloadsSection pluginId={pluginId} />
          <MaintainersSection pluginId={pluginId} />
        </aside>
      </div>
    </article>
  );
}

function PluginHeader({ plugin }: { plugin: Plugin }) {
  const links = [
    ["Homepage", plugin.homepage],
    ["Repository", plugin.repository],
    ["Report a bug", plugin.bugs],
  ] as const;
  const license = plugin.versions.find((version) => version.version === plugin.distTags.latest)?.manifest.license;
  return (
    <header className="plugin-header">
      {/* A fixed box whether or not there is an icon: nothing moves when it loads. */}
      <div className="plugin-icon">{plugin.iconUrl && <img src={plugin.iconUrl} alt="" width={64} height={64} />}</div>
      <div>
        <h1 id="plugin-title">{plugin.displayName ?? plugin.name}</h1>
        <p className="result-id">
          {plugin.id}
          {plugin.distTags.latest && ` · latest ${plugin.distTags.latest}`}
          {license && ` · ${license}`}
        </p>
        <p>{plugin.description}</p>
        <p className="tags">
          <span className="tag">{plugin.category}</span>
          {plugin.extensionPoints.map((point) => (
            <span key={point} className="tag tag-point">
              {point}
            </span>
          ))}
          {plugin.keywords.map((keyword) => (
            <span key={keyword} className="tag tag-keyword">
              {keyword}
            </span>
          ))}
        </p>
        {plugin.distTags.latest && <InstallButton pluginId={plugin.id} version={plugin.distTags.latest} />}
        <p className="plugin-links">
          {links.map(
            ([label, url]) =>
              url && (
                <a key={label} href={url} rel="noopener noreferrer nofollow">
                  {label}
                </a>
              ),
          )}
        </p>
      </div>
    </header>
  );
}

function VersionsSection({ plugin }: { plugin: Plugin }) {
  const tagsOf = (version: string) =>
    Object.entries(plugin.distTags)
      .filter(([, tagged]) => tagged === version)
      .map(([tag]) => tag);
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <TableScroll label="Versions">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Tags</th>
              <th scope="col">Published</th>
            </tr>
          </thead>
          <tbody>
            {[...plugin.versions].reverse().map((version) => (
              <tr key={version.version}>
                <th scope="row">{version.version}</th>
                <td>
                  <span className={`status status-${version.status}`}>{version.status}</span>
                  {version.deprecationMessage && (
                    <>
                      {" "}
                      <span className="status status-deprecated">deprecated</span>{" "}
                      <span className="deprecation">{version.deprecationMessage}</span>
                    </>
                  )}
                </td>
                <td>
                  {tagsOf(version.version).map((tag) => (
                    <span key={tag} className="tag">
                      {tag}
                    </span>
                  ))}
                </td>
                <td>
                  <time dateTime={String(version.publishedAt)}>{String(version.publishedAt).slice(0, 10)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

function FilesSection({ pluginId, version, entry }: { pluginId: string; version: string; entry?: DocumentVersion }) {
  const [shown, setShown] = useState(false);
  if (!entry || entry.status === "blocked") return null;
  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">
        Files of {version} ({entry.fileCount}, {formatBytes(entry.size)})
      </h2>
      <p>
        Integrity of the entry <code>{entry.entry}</code>: <code className="sri">{entry.integrity}</code>
      </p>
      <p>
        Signature: <SignatureStatus pluginId={pluginId} version={version} files={entry} />
      </p>
      <button type="button" className="button-quiet" aria-expanded={shown} onClick={() => setShown(!shown)}>
        {shown ? "Hide the files" : "Show the files"}
      </button>
      {shown && (
        <TableScroll label={`Files of ${version}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Size</th>
                <th scope="col">SRI</th>
              </tr>
            </thead>
            <tbody>
              {entry.files.map((file) => (
                <tr key={file.path}>
                  <th scope="row">
                    <code>{file.path}</code>
                  </th>
                  <td>{formatBytes(file.size)}</td>
                  <td>
                    <code className="sri">{file.integrity}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

function DownloadsSection({ pluginId }: { pluginId: string }) {
  const today = new Date();
  const from = new Date(today);
  from.setUTCDate(from.getUTCDate() - (CHART_DAYS - 1));
  const range = { pluginId, from: from.toISOString().slice(0, 10), to: today.toISOString().slice(0, 10) };
  const stats = useQuery({
    queryKey: ["downloads.stats", range],
    queryFn: () => platform.downloads.stats.query(range),
  });
  return (
    <section aria-labelledby="downloads-title">
      <h2 id="downloads-title">Downloads, last {CHART_DAYS} days</h2>
      {stats.isError && <ProblemNotice error={stats.error} />}
      {stats.isPending && <LoadingRows rows={2} label="Loading downloads" />}
      {stats.data && (
        <>
          <p className="downloads-total">{stats.data.total.toLocaleString("en")}</p>
          <DownloadsChart days={downloadsPerDay(stats.data.days, CHART_DAYS, today)} />
        </>
      )}
    </section>
  );
}

function MaintainersSection({ pluginId }: { pluginId: string }) {
  const people = useQuery({
    queryKey: ["maintainers.list", pluginId],
    queryFn: () => platform.maintainers.list.query({ pluginId }),
  });
  return (
    <section aria-labelledby="maintainers-title">
      <h2 id="maintainers-title">Maintainers</h2>
      {people.isError && <ProblemNotice error={people.error} />}
      {people.data && (
        <ul className="plain-list">
          <li>
            {people.data.owner} <small>(owner)</small>
          </li>
          {people.data.maintainers.map((maintainer) => (
            <li key={maintainer.userId}>{maintainer.userId}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
