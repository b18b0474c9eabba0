/** What every screen needs: the API, the signed-in user, sign-out, and errors as sentences. */
import { friendlyMessage, SessionApiError, type SessionManagementService } from "chordme-sessions/client";
import { createContext, useCallback, useContext } from "react";
import type { SignedInUser } from "./auth";

export interface AppContextValue {
  service: SessionManagementService;
  user: SignedInUser;
  signOut: (reason?: string) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp needs an AppContext provider");
  return value;
}

/** Turns an error into a sentence to show; an expired or refused token signs the user out. */
export function useErrorSentence(): (error: unknown) => string {
  const { signOut } = useApp();
  return useCallback(
    (error: unknown) => {
      const sentence = friendlyMessage(error);
      if (error instanceof SessionApiError && error.code === "UNAUTHORIZED") signOut(sentence);
      return sentence;
    },
    [signOut],
  );
}
