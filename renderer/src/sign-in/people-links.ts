// The one-time links the server sends (an invitation, a password reset) open the web console at
// #/invitation?token=… or #/reset-password?token=…; on the desktop the user pastes the link.
export type LinkScreen = 'invitation' | 'reset-password';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The screen and token a hash (or a pasted link, or a bare token) names, or null. */
export function parseLink(text: string, expected?: LinkScreen): { screen: LinkScreen; token: string } | null {
  const trimmed = text.trim();
  if (TOKEN.test(trimmed) && expected) return { screen: expected, token: trimmed };
  const match = /#\/(invitation|reset-password)\?token=([A-Za-z0-9_-]{43})(?:$|&)/.exec(trimmed);
  if (!match) return null;
  const screen = match[1] as LinkScreen;
  if (expected && screen !== expected) return null;
  return { screen, token: match[2]! };
}

/**
 * Takes the link out of the address bar once read, so the token stays in neither the address
 * nor the history (anyone at a shared desk could otherwise reopen it).
 */
export function takeLinkFromAddress(): { screen: LinkScreen; token: string } | null {
  const found = parseLink(window.location.hash);
  if (found) window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return found;
}
