/**
 * The part of node-sparkpost (the `sparkpost` package, which ships no types) the tests call: the
 * webhooks resource's self-documentation methods (lib/webhooks.js @ e41ecd6).
 */
declare module 'sparkpost' {
  interface SparkPostOptions {
    readonly origin?: string;
  }
  // biome-ignore lint/suspicious/noExplicitAny: SparkPost's JSON answers, read by test assertions.
  type Answer = Promise<any>;
  export default class SparkPost {
    constructor(apiKey: string, options?: SparkPostOptions);
    readonly webhooks: {
      getDocumentation(): Answer;
      getSamples(options?: { readonly events?: string }): Answer;
    };
  }
}
