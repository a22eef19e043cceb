import { ConfigError } from "@plugins/runtime";

/**
 * The message a worker's `readConfig` refuses `env` with. Fails the test when it accepts the
 * env, or throws anything but a ConfigError.
 */
export function configRefusal<E>(readConfig: (env: E) => unknown, env: E): string {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}
