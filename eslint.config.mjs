// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over everything we
// write. Formatting is Prettier's job (npm run format), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['nodes/', 'node_modules/', 'bench/.work/', 'bench/smoke-out/', 'test-artifacts/', '.demo/', '.test-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused parameters keep a callback's documented shape; `_name` marks them.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Node-RED's own idiom in node constructors: `const node = this` for the closures below.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    // Build and start scripts are CommonJS run directly by node.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    // `const crypto = require('crypto')` is the module, not a redefinition of the web global.
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    // Tests and benchmarks talk to untyped runtime objects (Node-RED's test helper, flow messages) through `any`.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
