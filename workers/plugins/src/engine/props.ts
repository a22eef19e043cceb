import type { OutboundPolicy } from "./outbound-policy";

/*
 * What the host fixes, for one instance, in the capabilities it hands a loaded isolate
 * (capabilities.ts, outbound.ts): their props, which the plugin can neither read nor change.
 */

/** Who a capability acts for. */
export interface InstanceProps {
  tenantId: string;
  instanceId: string;
  pluginId: string;
  /** The Durable Object of the instance's data: its installation's id. */
  storeName: string;
}

export interface StorageProps extends InstanceProps {
  quotaBytes: number;
}

export type OutboundProps = InstanceProps & OutboundPolicy;
