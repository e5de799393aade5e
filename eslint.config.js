// Lint rules double as architecture rules: who may import what (see ../shared/STYLE.md).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const emulator = { group: ['**/emulator/**', '**/emulator/*.js'], message: 'Only src/emulator, `kvdr emulator`, the demo and tests may use the emulator.' }
const keyvaultSdk = { group: ['@azure/keyvault-*'], message: 'Only src/vault (and the emulator) talks to Key Vault.' }
const nodeCrypto = { regex: '^(node:)?crypto$', message: 'Cryptography lives in src/crypto.' }
const azureAny = { group: ['@azure/*'], message: 'Commands call the library; they do not use Azure SDKs.' }

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/emulator/**', 'src/vault/**', 'src/crypto/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [emulator, keyvaultSdk, nodeCrypto] }] },
  },
  {
    files: ['src/vault/**/*.ts', 'src/crypto/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [emulator] }] },
  },
  {
    files: ['commands/**/*.ts'],
    ignores: ['commands/emulator/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [emulator, azureAny, nodeCrypto] }] },
  },
)
