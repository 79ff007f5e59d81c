/**
 * The set-up the STS integration tests share: a temp directory with a private copy of the built
 * eks-auth (another test rebuilding dist/ cannot pull it from under running processes), an AWS
 * config file, and moto_server behind the signature-checking STS front, which knows the static keys
 * of the chain's base user.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { peersAvailable, startMoto, startStsFront, type Moto, type PeerName, type StsFront } from '../peers/peers';
import { ensureBuilt } from './built-cli';

export interface StsWorkspace {
  /** The temp directory; removed after the suite. */
  dir: string;
  /** The private copy of dist/eks-auth.js. */
  bin: string;
  /** The AWS config file written from `config`. */
  configFile: string;
  moto: Moto;
  front: StsFront;
}

export interface StsWorkspaceOptions {
  /** Prefix of the temp directory's name. */
  prefix: string;
  /** The AWS config file's text. */
  config: string;
  /** The static keys the STS front accepts, and the user they belong to. */
  base: { akid: string; secret: string; arn: string };
  /** Without these peers nothing starts: the tests skip (or fail in CI) through requirePeer. */
  peers: readonly PeerName[];
}

/**
 * Registers before/after hooks on the enclosing suite that start and stop the workspace; the
 * returned object is filled in by the before hook.
 */
export function useStsWorkspace(options: StsWorkspaceOptions): StsWorkspace {
  const workspace = {} as StsWorkspace;
  before(async () => {
    if (!peersAvailable(options.peers)) return;
    workspace.dir = mkdtempSync(join(tmpdir(), options.prefix));
    cpSync(dirname(ensureBuilt()), join(workspace.dir, 'dist'), { recursive: true });
    workspace.bin = join(workspace.dir, 'dist', 'eks-auth.js');
    workspace.configFile = join(workspace.dir, 'aws-config');
    writeFileSync(workspace.configFile, options.config);
    workspace.moto = await startMoto();
    const { akid, secret, arn } = options.base;
    workspace.front = await startStsFront({ motoUrl: workspace.moto.url, staticKeys: { [akid]: { secret, arn } } });
  });
  after(async () => {
    await workspace.front?.stop();
    await workspace.moto?.stop();
    if (workspace.dir) rmSync(workspace.dir, { recursive: true, force: true });
  });
  return workspace;
}
