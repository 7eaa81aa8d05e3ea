import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', '.tools/', 'node_modules/', 'coverage/', 'migrations/.snapshot-*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/modules/**'], message: 'common/ never imports from modules/' }],
        },
      ],
    },
  },
  {
    files: [
      'src/modules/**',
      'src/app.module.ts',
      'src/database/entities.ts', // the entity list is a composition root, like app.module
      'src/config/env.ts', // so is the list of every feature's settings
      'src/main.ts',
      'src/cli/**',
      'test/**',
      'bench/**',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
  { files: ['**/*.js', '**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
