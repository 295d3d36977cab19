// The lint `npm test` runs (and `npm run lint`): typescript-eslint's recommended rules (syntax
// only, no type information: the type-checks already run, and a type-aware lint would cost a
// second full program build on CI's 2 cores), and the import boundaries that say which folder
// may import what (eslint-plugin-boundaries). A boundary crossed is an error; the style rules
// that the tree does not meet yet are warnings.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Code under main/ that is not Electron glue: it runs in plain Node tests, so it never imports
// `electron` (STYLE.md). The glue is electron-main.ts, window.ts, ipc.ts, menu.ts and
// app-protocol.ts.
const MAIN_WITHOUT_ELECTRON = [
  'main/security-keys/**',
  'main/session-store.ts',
  'main/server-client.ts',
  'main/server-connection.ts',
  'main/session-events.ts',
  'main/desktop-session.ts',
  'main/desktop-handlers.ts',
  'main/security-key-ceremony.ts',
  'main/ipc-contract.ts',
  'main/ipc-channels.ts',
  'main/testing/**',
];

const element = (type) => ({ element: { type } });

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'test-results/**', 'bench/results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
    },
  },
  {
    // The renderer's server state lives in its data layer (renderer/src/data/: cached queries,
    // mutations that invalidate what they change, refetched on pushed events). Only it and the
    // bridge's own module (api/) call the API: a screen that calls the bridge directly fails
    // here, and so does one that reads the preload's types instead of the contract's answers.
    files: ['renderer/src/**/*.{ts,tsx}'],
    ignores: ['renderer/src/api/**', 'renderer/src/data/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            group: ['**/api/bridge', '**/api/bridge.js'],
            importNames: ['agentdesk'],
            message: 'Screens do not call the API: use a hook of renderer/src/data/ (queries.ts, useApiMutation) so the cache stays true.',
          },
          {
            group: ['**/api/web-api', '**/api/web-api.js'],
            message: 'Screens do not call the API: use a hook of renderer/src/data/.',
          },
          {
            group: ['**/preload/**'],
            message: 'Renderer files read answer types from the contract (contract/answers); only renderer/src/api/ reads the preload\'s bridge types.',
          },
        ],
      }],
      'no-restricted-properties': ['error', {
        object: 'window',
        property: 'agentdesk',
        message: 'Only renderer/src/api/bridge.ts reads the bridge; screens use renderer/src/data/.',
      }],
    },
  },
  {
    // Session state is written only under server/sessions/ (issue 18: the rules that make a stolen
    // password worthless in one home): a domain module asks sessions.ts or session-policy.ts to
    // move, end or re-date a session, it never writes the table itself. The same for the limits
    // reserved before a secret is checked (the one sign-in flow, sessions/sign-in-flow.ts).
    files: ['server/**/*.ts'],
    ignores: ['server/sessions/**', 'server/**/*.test.ts', 'server/testing/**', 'server/store/**'],
    rules: {
      'no-restricted-syntax': ['error',
        {
          selector: "CallExpression[callee.property.name=/^(updateTable|insertInto|deleteFrom)$/][arguments.0.value=/^sessions( as \\w+)?$/]",
          message: 'Session state is written only under server/sessions/ (sessions.ts, session-policy.ts).',
        },
        {
          selector: "CallExpression[callee.property.name='reserve'][callee.object.name=/^throttles?$/]",
          message: 'Limits are reserved only by the one sign-in flow (server/sessions/sign-in-flow.ts).',
        },
      ],
    },
  },
  {
    // Rules the tree does not meet everywhere yet: shown, not failing.
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A `let` read by a closure before its one assignment (a forward reference) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: ['tsconfig.json', 'renderer/tsconfig.json'], noWarnOnMultipleProjects: true } },
      // Folders: first match wins, so the narrower come first.
      'boundaries/elements': [
        { type: 'contract', pattern: 'contract/**', partialMatch: false },
        { type: 'renderer', pattern: 'renderer/**', partialMatch: false },
        { type: 'preload', pattern: 'preload/**', partialMatch: false },
        { type: 'main', pattern: 'main/**', partialMatch: false },
        { type: 'server-http', pattern: 'server/http/**', partialMatch: false },
        { type: 'server', pattern: 'server/**', partialMatch: false },
      ],
      // Files with a rule of their own inside those folders.
      'boundaries/files': [
        { category: 'main-without-electron', pattern: MAIN_WITHOUT_ELECTRON },
        // The server's edges assemble the domains and the HTTP layer; the rest of server/
        // outside server/http/ is a domain.
        { category: 'server-edge', pattern: ['server/testing/**', 'server/cli.ts', 'server/start.ts'] },
      ],
    },
    rules: {
      'boundaries/dependencies': ['error', {
        default: 'allow',
        // External modules too: `electron` is one of the boundaries.
        checkAllOrigins: true,
        policies: [
          {
            // The renderer reaches main only through the preload's types (the bridge's shape).
            from: element('renderer'),
            disallow: { to: [element('main'), element('server-http'), element('server')] },
            message: 'The renderer reaches main only through the preload\'s types: import type from preload/, never main/ or server/.',
          },
          {
            // The contract is the bottom layer both sides build on: it imports none of them.
            from: element('contract'),
            disallow: { to: [element('renderer'), element('preload'), element('main'), element('server-http'), element('server')] },
            message: 'The contract (contract/) is shared by the server and both clients: it imports nothing from them.',
          },
          {
            from: element('renderer'),
            disallow: { to: element('preload'), dependency: { kind: 'value' } },
            message: 'The renderer may import only types from preload/ (`import type`): the bridge is the window global, not a module.',
          },
          {
            // Domains do not know about HTTP: errors live in server/errors.ts. Later policies
            // override earlier ones: the edges may.
            from: element('server'),
            disallow: { to: element('server-http') },
            message: 'A server domain never imports server/http/: throw the domain\'s errors (server/errors.ts) and let the HTTP layer map them.',
          },
          {
            from: { file: { categories: 'server-edge' } },
            allow: { to: element('server-http') },
          },
          {
            from: { file: { categories: 'main-without-electron' } },
            disallow: { to: { module: { origin: 'external', source: 'electron' } } },
            message: 'This part of main is not Electron glue: it runs in plain Node tests and never imports electron.',
          },
          {
            from: element('preload'),
            disallow: { to: [element('server-http'), element('server')] },
            message: 'The preload imports nothing from server/.',
          },
        ],
      }],
    },
  },
);
