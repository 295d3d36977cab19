// The rules the Electron glue enforces, as plain functions so they are tested on Node: which
// frame may talk to main, which links may leave the app (and how), and which file an
// app://agentdesk/... request may read.
import { resolve, sep } from 'node:path';
import { webConsoleContentSecurityPolicy } from '../server/http/web-console.js';

/** The renderer is served from this privileged custom scheme, never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'agentdesk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** The web console's policy (server/web-console.ts), also sent as a header with every app:// answer. */
export const rendererContentSecurityPolicy = webConsoleContentSecurityPolicy;

export const rendererHeaders: Record<string, string> = {
  'content-security-policy': rendererContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface SenderFrame {
  url: string;
  /** True when the frame has no parent (the window's own document, not an iframe). */
  isTopFrame: boolean;
}

/** Main answers only our own document in its own top-level frame: never an iframe, never another origin. */
export function isOwnTopFrame(frame: SenderFrame | null | undefined): boolean {
  if (!frame || !frame.isTopFrame) return false;
  try {
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

/** A link the agent clicked, if it may open in the system browser: parsed, http(s) only, no credentials. */
export function externalLink(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password) return null;
  return url.href;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return (dot >= 0 && CONTENT_TYPES[path.slice(dot).toLowerCase()]) || 'application/octet-stream';
}

/**
 * The file under `root` an app:// request names, or null. Paths that leave `root` (.., encoded
 * or not) and other hosts are refused; a path with no file extension is a screen of the
 * single-page app and gets index.html.
 */
export function rendererFileFor(requestUrl: string, root: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    return null;
  }
  if (relative.includes('\0') || relative.includes('\\')) return null;
  if (relative === '' || !/\.[a-z0-9]+$/i.test(relative)) relative = 'index.html';
  const base = resolve(root);
  const path = resolve(base, relative);
  if (!path.startsWith(base + sep)) return null;
  return path;
}
