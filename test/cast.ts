import type { Stack } from "./stack";

/**
 * The people the integration tests act as, one signed bearer token each. A file that needs a
 * deliberately odd token (wrong secret, expired, another audience, an unknown role, a tenant
 * of its own to keep its rows apart) mints it beside the test that uses it.
 *
 * | who       | role   | tenant  | plays                                                      |
 * |-----------|--------|---------|------------------------------------------------------------|
 * | root      | admin  | (none)  | the platform's operator: every tenant, every plugin        |
 * | alice     | editor | acme    | publishes and installs; owns most plugins of a suite       |
 * | carol     | editor | acme    | alice's colleague: same tenant, not an owner of her plugins |
 * | mallory   | editor | acme    | an insider of acme the attack suites turn hostile          |
 * | vera      | viewer | acme    | reads acme, may change nothing                             |
 * | bob       | editor | globex  | another tenant's editor: acme does not exist for him       |
 * | gina      | viewer | globex  | another tenant's viewer                                    |
 * | nomad     | editor | (none)  | signed in, but of no tenant                                |
 */
export interface Cast {
  root: string;
  alice: string;
  carol: string;
  mallory: string;
  vera: string;
  bob: string;
  gina: string;
  nomad: string;
}

export async function mintCast(stack: Pick<Stack, "token">): Promise<Cast> {
  const [root, alice, carol, mallory, vera, bob, gina, nomad] = await Promise.all([
    stack.token({ sub: "root", role: "admin" }),
    stack.token({ sub: "alice", role: "editor", tenant: "acme" }),
    stack.token({ sub: "carol", role: "editor", tenant: "acme" }),
    stack.token({ sub: "mallory", role: "editor", tenant: "acme" }),
    stack.token({ sub: "vera", role: "viewer", tenant: "acme" }),
    stack.token({ sub: "bob", role: "editor", tenant: "globex" }),
    stack.token({ sub: "gina", role: "viewer", tenant: "globex" }),
    stack.token({ sub: "nomad", role: "editor" }),
  ]);
  return { root, alice, carol, mallory, vera, bob, gina, nomad };
}
