// ESLint flat config: typescript-eslint's type-checked recommended rules on every package, no console outside CLIs,
// and the layer rules of ARCHITECTURE.md as import restrictions.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', 'bench/results/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // An async method that implements a promise-returning interface without awaiting anything is clearer as
      // async, and turns a synchronous throw into a rejection; the rule would ask for Promise.resolve wrappers.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // Layers (ARCHITECTURE.md): core is pure and imports no workspace package and no I/O module; the agent and the
  // collector never import each other; in the collector, what reads machine state (status, alerts, api, dashboard,
  // cli) never reaches into ingest's internals.
  {
    files: ['packages/core/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@wuwatch/*'], message: 'core imports no other workspace package (ARCHITECTURE.md, layers).' },
            {
              regex:
                '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|dns|child_process|worker_threads|cluster)$',
              message: 'core is pure: I/O lives in the agent and the collector and is passed in.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/agent/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@wuwatch/collector', '@wuwatch/simulator', '**/collector/**', '**/simulator/**'],
              message: 'the agent talks to the collector over the wire protocol in core, never by import.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/collector/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@wuwatch/agent', '@wuwatch/simulator', '**/agent/src/**', '**/simulator/**'],
              message: 'the collector knows agents only through the wire protocol in core, never by import.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'packages/collector/src/status/**',
      'packages/collector/src/alerts/**',
      'packages/collector/src/api/**',
      'packages/collector/src/dashboard/**',
      'packages/collector/src/cli/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/ingest/**', '**/ingest'],
              message:
                'ingest writes, the machines module owns machine state: read it through machines/ (ARCHITECTURE.md).',
            },
            {
              group: ['@wuwatch/agent', '@wuwatch/simulator', '**/agent/src/**', '**/simulator/**'],
              message: 'the collector knows agents only through the wire protocol in core, never by import.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests poke at parsed JSON and at objects under test on purpose; promises must still be awaited or handled.
    files: ['**/test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // CLIs, benchmarks, tests and scripts print to the user on purpose.
    files: ['**/cli/**', 'bench/**', '**/test/**', 'scripts/**', '**/bin/**'],
    rules: { 'no-console': 'off' },
  },
);
