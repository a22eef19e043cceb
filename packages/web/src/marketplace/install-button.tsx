import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useLocation } from "wouter";
import { ProblemNotice } from "../layout/problem-notice";
import { platform } from "../platform";
import { useSession } from "../session/session";

/** Installs the plugin into the signed-in user's tenant; only admins and editors of a tenant see it. */
export function InstallButton({ pluginId, version }: { pluginId: string; version: string }) {
  const { user } = useSession();
  const queries = useQueryClient();
  const [, navigate] = useLocation();
  const install = useMutation({
    mutationFn: (tenantId: string) => platform.installations.install.mutate({ tenantId, pluginId, version }),
    onSuccess: (instance) => {
      void queries.invalidateQueries({ queryKey: ["installations"] });
      navigate(`/console/instances/${instance.instanceId}`);
    },
  });
  const tenant = user?.tenant;
  if (!tenant || (user.role !== "admin" && user.role !== "editor")) return null;
  return (
    <div className="install">
      <button type="button" className="button" disabled={install.isPending} onClick={() => install.mutate(tenant)}>
        {install.isPending ? "Installing…" : `Install ${version} in ${tenant}`}
      </button>
      {install.isError && <ProblemNotice error={install.error} title="Not installed" />}
    </div>
  );
}
