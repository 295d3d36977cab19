// The only module that reads `window.agentdesk`. The desktop preload installs it; in a plain
// browser (the web console) it is absent and the fetch implementation stands in.
import type { AgentDeskApi } from '../../../preload/agentdesk-api';

// The bridge's own types (beside the contract's answers): only this module and web-api.ts read the preload.
export type { AgentDeskApi, SecurityKeyProgress, ServerConnectionChanged } from '../../../preload/agentdesk-api';
import { ApiError } from '../../../contract/api-error';
import { Connection, setSharedConnection } from './connection';
import { createWebApi } from './web-api';

declare global {
  interface Window {
    agentdesk?: AgentDeskApi;
  }
}

/** Every promise rejection becomes an ApiError, so screens branch on `code` alone. */
function withTypedErrors(api: AgentDeskApi): AgentDeskApi {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(api) as [string, unknown][]) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = (...args: unknown[]) => {
      const result = (fn as (...a: unknown[]) => unknown).apply(api, args);
      return result instanceof Promise ? result.catch((error: unknown) => { throw ApiError.from(error); }) : result;
    };
  }
  return wrapped as unknown as AgentDeskApi;
}

/**
 * The desktop app (its preload installed the bridge) rather than a browser. Electron cancels a
 * window's closing without asking when a page objects in beforeunload, so the desktop keeps
 * such things in main instead.
 */
export const isDesktop = window.agentdesk !== undefined;

const raw: AgentDeskApi = withTypedErrors(window.agentdesk ?? createWebApi());
// The probe asks the one question that needs no session.
const connection = new Connection(() => raw.getSignupStatus());
setSharedConnection(connection);
// The event stream (main's on the desktop, the page's in a browser) is the first to notice the
// server going away, and coming back: the same banner as a call that could not reach it.
raw.onServerConnection(({ state }) => (state === 'dropped' ? connection.lost() : connection.answered()));

export const agentdesk: AgentDeskApi = connection.wrap(raw);
