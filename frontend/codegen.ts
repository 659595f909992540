import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for every graphql(`...`) call under src/, checked against
// the server's schema: every graph/*.graphqls, as gqlgen reads it. The output
// in src/gql/ is committed and never edited.
const config: CodegenConfig = {
  schema: ['../graph/*.graphqls'],
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          Cursor: 'string',
          Time: 'string',
          StringMap: 'Record<string, string>',
        },
      },
    },
  },
};

export default config;
