import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': 'off',
    },
  },
  {
    // The simulation must stay pure and deterministic: no wall clock, no Math.random.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded RNG kept in the match state.' },
        { object: 'Date', property: 'now', message: 'shared/ is pure: time is a parameter.' },
        { object: 'performance', property: 'now', message: 'shared/ is pure: time is a parameter.' },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'window', 'document', 'process'],
    },
  },
);
