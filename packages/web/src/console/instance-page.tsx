import { Link } from "wouter";
import { LoadingRows } from "../layout/placeholders";
import { ProblemNotice } from "../layout/problem-notice";
import { ConfigForm } from "./config-form";
import { type Instance, useInstance } from "./instance-queries";
import { LifecycleActions } from "./lifecycle-actions";
import { type Membership, READ_ONLY_NOTE } from "./membership";
import { InstanceMetrics } from "./runtime-metrics";
import { VersionMoves } from "./version-moves";

function day(value: unknown): string {
  return String(value).slice(0, 10);
}

/** One instance: its state and version, what can be done to it, its configuration and its runtime health. */
export function InstancePage({ membership, instanceId }: { membership: Membership; instanceId: string }) {
  const instance = useInstance(membership.tenantId, instanceId);
  if (instance.isError) {
    return (
      <section aria-labelledby="instance-title">
        <h1 id="instance-title">{instanceId}</h1>
        <ProblemNotice error={instance.error} title={`Instance ${instanceId}`} />
        <p>
          <Link href="/">Back to the instances</Link>
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="instance-title">
      <h1 id="instance-title">{instanceId}</h1>
      {instance.data ? (
        <InstanceDetails membership={membership} instance={instance.data} />
      ) : (
        <LoadingRows rows={6} label={`Loading ${instanceId}`} />
      )}
    </section>
  );
}

function InstanceDetails({ membership, instance }: { membership: Membership; instance: Instance }) {
  const held = instance.heldUpdate;
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Plugin</dt>
          <dd>
            <Link href={`~/plugin/${instance.pluginId}`}>{instance.pluginId}</Link>
          </dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>
            <span className={`status status-${instance.status}`} data-testid="instance-state">
              {instance.status}
            </span>
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd data-testid="instance-version">{instance.version}</dd>
        </div>
        <div>
          <dt>Update policy</dt>
          <dd>{instance.updatePolicy}</dd>
        </div>
        <div>
          <dt>Previous version</dt>
          <dd>{instance.previousVersion ?? "none"}</dd>
        </div>
        <div>
          <dt>Installed</dt>
          <dd>
            {day(instance.installedAt)} by {instance.installedBy}
          </dd>
        </div>
        <div>
          <dt>Revision</dt>
          <dd>{instance.revision}</dd>
        </div>
      </dl>
      {held && (
        <div className="notice" role="status">
          <strong>Update to {held.version} held</strong> ({day(held.heldAt)}): {held.reasons.join("; ")}
        </div>
      )}
      {membership.canManage ? (
        <>
          <LifecycleActions instance={instance} />
          <VersionMoves instance={instance} />
        </>
      ) : (
        <p className="notice">{READ_ONLY_NOTE}</p>
      )}
      <ConfigForm instance={instance} canManage={membership.canManage} />
      <InstanceMetrics tenantId={instance.tenantId} instanceId={instance.instanceId} />
    </>
  );
}
