// The browser entry a host application imports. The agent runs on the platform: a frontend
// talks to it through the instance's operations, POST /api/plugins/agents/:instanceId/chat.
export default function activate(host) {
  host.log("chat agent ready");
}
