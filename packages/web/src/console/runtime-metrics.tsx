import type { RouterOutputs } from "@plugins/client";
import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { TableScroll } from "../layout/table-scroll";
import { platform } from "../platform";

type Runtime = NonNullable<RouterOutputs["installations"]["metrics"]["runtime"]>;

const HEALTH_STATUS = { idle: "", healthy: "status-ok", degraded: "status-warning", failing: "status-error" } as const;

function latency(runtime: Runtime, which: "p50" | "p99"): string {
  return runtime.latencyMs ? `${runtime.latencyMs[which]} ms` : "–";
}

function at(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}

/** One instance's server module: health, calls, failures, latency, limits, its last error and scheduled run. */
export function InstanceMetrics({ tenantId, instanceId }: { tenantId: string; instanceId: string }) {
  const metrics = useQuery({
    queryKey: ["installations.metrics", tenantId, instanceId],
    queryFn: () => platform.installations.metrics.query({ tenantId, instanceId }),
  });
  return (
    <section aria-labelledby="metrics-title" className="console-section">
      <h2 id="metrics-title">Runtime health</h2>
      {metrics.isError && <ProblemNotice error={metrics.error} title="The metrics could not be read" />}
      {metrics.isPending && <LoadingRows rows={2} label="Loading the metrics" />}
      {metrics.data &&
        (metrics.data.runtime === null ? (
          <EmptyState>
            {metrics.data.pluginId}@{metrics.data.version} runs in the tenant's frontend only: the platform runs no
            server module for it, so there is nothing to measure here.
          </EmptyState>
        ) : (
          <RuntimeFacts runtime={metrics.data.runtime} />
        ))}
    </section>
  );
}

function RuntimeFacts({ runtime }: { runtime: Runtime }) {
  const run = runtime.lastScheduledRun;
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Health (15 min)</dt>
          <dd>
            <span className={`status ${HEALTH_STATUS[runtime.health]}`}>{runtime.health}</span>
          </dd>
        </div>
        <div>
          <dt>Requests</dt>
          <dd>{runtime.requests.toLocaleString("en")}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{runtime.errors.toLocaleString("en")}</dd>
        </div>
        <div>
          <dt>Latency p50</dt>
          <dd>{latency(runtime, "p50")}</dd>
        </div>
        <div>
          <dt>Latency p99</dt>
          <dd>{latency(runtime, "p99")}</dd>
        </div>
        <div>
          <dt>Deadline hits</dt>
          <dd>{runtime.deadlineHits}</dd>
        </div>
        <div>
          <dt>Size-limit hits</dt>
          <dd>{runtime.limitHits}</dd>
        </div>
      </dl>
      <p>
        <strong>Last error: </strong>
        {runtime.lastError ? (
          <>
            <time dateTime={new Date(runtime.lastError.at).toISOString()}>{at(runtime.lastError.at)}</time>{" "}
            <span className="problem-message">{runtime.lastError.message}</span>
          </>
        ) : (
          "none"
        )}
      </p>
      <p>
        <strong>Last scheduled run: </strong>
        {run ? (
          <>
            {run.name} at <time dateTime={new Date(run.startedAt).toISOString()}>{at(run.startedAt)}</time>,{" "}
            {run.durationMs} ms,{" "}
            <span className={run.outcome === "ok" ? "status status-ok" : "status status-error"}>{run.outcome}</span>
            {run.error && `: ${run.error}`}
          </>
        ) : (
          "none"
        )}
      </p>
    </>
  );
}

/** The tenant's server-side instances at a glance. */
export function MetricsSummary({ tenantId }: { tenantId: string }) {
  const summary = useQuery({
    queryKey: ["installations.metrics", tenantId, "summary"],
    queryFn: () => platform.installations.metricsSummary.query({ tenantId }),
  });
  return (
    <section aria-labelledby="summary-title" className="console-section">
      <h2 id="summary-title">Server-side plugins</h2>
      {summary.isError && <ProblemNotice error={summary.error} title="The metrics could not be read" />}
      {summary.isPending && <LoadingRows rows={1} label="Loading the metrics" />}
      {summary.data &&
        (summary.data.length === 0 ? (
          <EmptyState>No instance of this tenant runs a server module, so there are no runtime metrics.</EmptyState>
        ) : (
          <TableScroll label="Runtime metrics of the server-side plugins">
            <table>
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Health</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                  <th scope="col">p50</th>
                  <th scope="col">p99</th>
                  <th scope="col">Deadline hits</th>
                  <th scope="col">Limit hits</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {summary.data.map(({ instanceId, runtime }) => (
                  <tr key={instanceId}>
                    <th scope="row">
                      <Link href={`/instances/${instanceId}`}>{instanceId}</Link>
                    </th>
                    <td>
                      <span className={`status ${HEALTH_STATUS[runtime.health]}`}>{runtime.health}</span>
                    </td>
                    <td>{runtime.requests}</td>
                    <td>{runtime.errors}</td>
                    <td>{latency(runtime, "p50")}</td>
                    <td>{latency(runtime, "p99")}</td>
                    <td>{runtime.deadlineHits}</td>
                    <td>{runtime.limitHits}</td>
                    <td>{runtime.lastError?.message ?? "none"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ))}
    </section>
  );
}
