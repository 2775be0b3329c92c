// Lint rules: the recommended sets, plus the few that catch real bugs in async Kafka/Redis code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', 'coverage/', 'benchmarks/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // The coupon domain has one front door: outside coupons/, import only coupons/index.ts.
  {
    ignores: ['coupons/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)coupons/(?!index\\.ts$)[^/]+$',
              message: 'Import the coupon domain through coupons/index.ts, never its internal modules.',
            },
          ],
        },
      ],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // Plain JS outside the TS project: the dashboard's browser scripts (served as they are) and the CLI launcher.
  { files: ['dashboard/static/**/*.js', 'cli/nearcast.js'], ...tseslint.configs.disableTypeChecked },
);
