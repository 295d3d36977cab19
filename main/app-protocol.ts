// Electron glue: the renderer is served from app://agentdesk/ (a privileged standard scheme)
// out of dist/renderer, with the Content-Security-Policy as a header on every answer. file://
// is never used, and the session refuses every request that is not ours.
import { readFile } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, contentTypeOf, rendererContentSecurityPolicy, rendererFileFor, rendererHeaders } from './window-policy.js';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
}

export function serveRenderer(session: Session, root: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const path = rendererFileFor(request.url, root);
    if (!path || request.method !== 'GET') return new Response('Not found', { status: 404, headers: rendererHeaders });
    try {
      const body = await readFile(path);
      return new Response(body, { status: 200, headers: { ...rendererHeaders, 'content-type': contentTypeOf(path) } });
    } catch {
      return new Response('Not found', { status: 404, headers: rendererHeaders });
    }
  });

  // The renderer talks to main only; it has no business on the network.
  session.webRequest.onBeforeRequest((details, callback) => {
    const scheme = details.url.slice(0, details.url.indexOf(':'));
    callback({ cancel: !['app', 'data', 'devtools'].includes(scheme) });
  });
  // Belt and braces: whatever answers, it carries our policy.
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererContentSecurityPolicy] } });
  });
  // No camera, microphone, notifications, HID or USB for web content: keys go through main.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
