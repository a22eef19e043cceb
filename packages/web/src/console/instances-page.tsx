import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { EmptyState, LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { TableScroll } from "../layout/table-scroll";
import { platform } from "../platform";
import { InstallForm } from "./install-form";
import { instanceKeys } from "./instance-queries";
import { type Membership, READ_ONLY_NOTE } from "./membership";
import { MetricsSummary } from "./runtime-metrics";

/** The tenant's instances with their state, version, update policy and held updates; and an install form. */
export function InstancesPage({ membership }: { membership: Membership }) {
  const { tenantId } = membership;
  const instances = useQuery({
    queryKey: instanceKeys.list(tenantId),
    queryFn: () => platform.installations.list.query({ tenantId }),
  });
  return (
    <section aria-labelledby="instances-title">
      <h1 id="instances-title">Instances of {tenantId}</h1>
      {!membership.canManage && <p className="notice">{READ_ONLY_NOTE}</p>}
      {instances.isError && <ProblemNotice error={instances.error} title="The instances could not be read" />}
      {instances.isPending && <LoadingRows rows={3} label="Loading the instances" />}
      {instances.data &&
        (instances.data.length === 0 ? (
          <EmptyState>
            No plugin is installed in {tenantId} yet. Find one in the <Link href="~/">marketplace</Link>
            {membership.canManage ? ", or install one by its id below." : "."}
          </EmptyState>
        ) : (
          <TableScroll label="Instances">
            <table className="instances-table">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Plugin</th>
                  <th scope="col">State</th>
                  <th scope="col">Version</th>
                  <th scope="col">Update policy</th>
                  <th scope="col">Held update</th>
                </tr>
              </thead>
              <tbody>
                {instances.data.map((instance) => {
                  const update = instance.heldUpdate;
                  return (
                    <tr key={instance.id}>
                      <th scope="row">
                        <Link href={`/instances/${instance.instanceId}`}>{instance.instanceId}</Link>
                      </th>
                      <td>
                        <Link href={`~/plugin/${instance.pluginId}`}>{instance.pluginId}</Link>
                      </td>
                      <td>
                        <span className={`status status-${instance.status}`}>{instance.status}</span>
                      </td>
                      <td>{instance.version}</td>
                      <td>{instance.updatePolicy}</td>
                      <td>
                        {update ? (
                          <span className="held-update">
                            <span className="status status-warning">{update.version} held</span>{" "}
                            {update.reasons.join("; ")}
                          </span>
                        ) : (
                          <span className="muted">none</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        ))}
      <MetricsSummary tenantId={tenantId} />
      {membership.canManage && <InstallForm tenantId={tenantId} />}
    </section>
  );
}
