// Preloaded into the Electron security scanner (@doyensec/electronegativity): its one network
// call, a download of updated translations at start-up (through `got`), fails at once instead of
// timing out and retrying. There is no network in CI, and on Node 24 got's retry after the
// timeout throws from a timer ("The `onCancel` handler was attached after the promise settled"),
// which kills the scan. The scanner already falls back to its bundled English texts.
'use strict';
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'got' && parent && /electronegativity[\\/]dist[\\/]locales/.test(parent.filename)) {
    return { __esModule: true, default: () => Promise.reject(new Error('offline: no translation download')) };
  }
  return load.apply(this, arguments);
};
