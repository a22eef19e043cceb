import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { readUser, type SessionUser, storedToken, storeToken } from "./bearer-token";

interface Session {
  token: string | null;
  user: SessionUser | null;
  /** Refuses a token that is no JWT or has expired, with the reason. */
  signIn(token: string): { ok: true } | { ok: false; problem: string };
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queries = useQueryClient();
  const [token, setToken] = useState(storedToken);
  const signIn = useCallback<Session["signIn"]>(
    (candidate) => {
      const trimmed = candidate.trim();
      if (trimmed.startsWith("ppt_")) {
        return { ok: false, problem: "That is a publish token: the console needs a user's sign-in token (a JWT)." };
      }
      if (!readUser(trimmed)) return { ok: false, problem: "That is not a valid sign-in token, or it has expired." };
      storeToken(trimmed);
      setToken(trimmed);
      // What a guest was shown (install buttons, listings) depends on who asks.
      queries.clear();
      return { ok: true };
    },
    [queries],
  );
  const signOut = useCallback(() => {
    storeToken(null);
    setToken(null);
    queries.clear();
  }, [queries]);
  const session = useMemo(
    () => ({ token, user: token ? readUser(token) : null, signIn, signOut }),
    [token, signIn, signOut],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
