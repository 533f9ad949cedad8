/**
 * Unit tests of the widgets and the model, in jsdom. The code under test
 * imports JupyterLab packages as types only, so no ES module transform of
 * node_modules is needed.
 */
module.exports = {
  testEnvironment: 'jsdom',
  testRegex: 'src/__tests__/.*\\.spec\\.tsx?$',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  setupFiles: ['<rootDir>/src/__tests__/setup.ts']
};
