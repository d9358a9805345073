// Jest transform for `import sql from '…/x.sql'`: the file's text as the module's value, like esbuild's
// text loader does in the Lambda bundles.
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)};` };
  },
};
