/**
 * What `eks-auth --version` prints, and bug reports quote. Its own module because both the yargs
 * command line (main.ts) and the error handler on the token fast path (run.ts) need it, and run.ts
 * must not load main.ts, which loads yargs.
 */
declare const EKS_AUTH_VERSION: string | undefined;

/** The version and commit scripts/build.mjs compiles in; `dev` when run from source. */
export function version(): string {
  return typeof EKS_AUTH_VERSION === 'string' ? EKS_AUTH_VERSION : 'dev';
}
