// ESLint flat config. Besides the usual TypeScript and React rules it
// enforces the feature-folder architecture (bulletproof-react): a feature
// never imports another feature, shared code never imports features or the
// app, and only src/app composes features into pages.
import js from '@eslint/js'
import importX from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import jsxA11y from 'eslint-plugin-jsx-a11y'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const features = ['auth', 'dashboard', 'licenses', 'sessions', 'audit', 'settings']

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'src/types/api.d.ts', 'e2e/.tmp'] },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { 'react-hooks': reactHooks, 'import-x': importX, 'jsx-a11y': jsxA11y },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.app.json' })],
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...jsxA11y.flatConfigs.recommended.rules,
      // Autofocus on the sign-in field and inside dialogs is intended.
      'jsx-a11y/no-autofocus': 'off',
      'react-hooks/set-state-in-effect': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-useless-path-segments': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            // Features do not import each other: compose them in src/app.
            ...features.map((f) => ({
              target: `./src/features/${f}`,
              from: './src/features',
              except: [`./${f}`],
              message: 'A feature must not import another feature; compose them in src/app/routes.',
            })),
            // Features and shared code do not import the app.
            { target: './src/features', from: './src/app', message: 'Features must not import src/app.' },
            {
              target: ['./src/components', './src/lib', './src/stores', './src/types'],
              from: ['./src/features', './src/app'],
              message: 'Shared code must not import features or the app.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.test.{ts,tsx}', 'src/testing/**'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['e2e/**/*.{js,mjs}', 'eslint.config.js', 'vite.config.ts'],
    extends: [js.configs.recommended],
    // e2e code also runs functions in the page (page.evaluate): browser globals.
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
  },
)
