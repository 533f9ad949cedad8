// ESLint for the JupyterLab extension: the extension template's rules
// (typescript-eslint, @jupyter/eslint-plugin, Prettier) plus React and the rules
// of hooks. `jlpm eslint:check` checks, `jlpm eslint` fixes what can be fixed.
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import react from 'eslint-plugin-react';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules', 'lib', 'coverage', '**/*.d.ts', '.yarn']
  },
  ...jupyter.configs.recommended,
  {
    rules: {
      // The commands' arguments (notebookId, toolbar, a challenge id) are passed by
      // the extension's own toolbar buttons and panels; no describedBy schemas yet.
      'jupyter/command-described-by': 'off',
      // The plugin builds its model and both panels in activate() at start-up (the
      // sidebar shows them at once), so a lazy import would load them just as early.
      'jupyter/prefer-lazy-imports': 'off'
    }
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [
      js.configs.recommended,
      ...tseslint.configs.recommended,
      react.configs.flat.recommended,
      prettierRecommended
    ],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        project: 'tsconfig.test.json',
        tsconfigRootDir: import.meta.dirname,
        sourceType: 'module'
      }
    },
    settings: { react: { version: 'detect' } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // jest specs run in node with jsdom.
    files: ['src/__tests__/**'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } }
  },
  {
    // Plain CommonJS configuration files.
    files: ['*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } }
  }
);
