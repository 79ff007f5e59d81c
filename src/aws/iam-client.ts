/**
 * IAM GetRole, to tell a role that was deleted and created again after its EKS access entry: the
 * only importer of @aws-sdk/client-iam, loaded only when explain has matched an entry. Same timeouts
 * as the EKS client; IAM is global, the SDK picks the partition's IAM endpoint from the region.
 */
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { AwsCredentials } from '../ports';

/** What explain needs of a role. */
interface IamRole {
  arn: string;
  /** The unique id (`AROA…`), the part of STS `UserId` before `:`. */
  roleId: string;
  createDate: Date;
}

export interface IamPort {
  /** Throws an Error whose message names the refused permission or the failure; never a secret. */
  getRole(roleName: string): Promise<IamRole>;
  close(): void;
}

export interface IamClientOptions {
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL / the profile's endpoint, as the caller resolved it. */
  endpoint?: string;
  timeoutMs?: number;
}

/** An IAM port calling the real API with the given credentials. */
export function createIamPort(options: IamClientOptions): IamPort {
  const { region, credentials, endpoint } = options;
  const client = new IAMClient({
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration,
    },
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: options.timeoutMs ?? 10_000 },
  });
  return {
    async getRole(roleName: string): Promise<IamRole> {
      try {
        const out = await client.send(new GetRoleCommand({ RoleName: roleName }));
        const role = out.Role;
        if (!role?.Arn || !role.RoleId || !role.CreateDate) throw new Error('GetRole returned no role');
        return { arn: role.Arn, roleId: role.RoleId, createDate: role.CreateDate };
      } catch (err) {
        const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        const name = e.name && e.name !== 'Error' ? e.name : '';
        if (name === 'AccessDenied' || name === 'AccessDeniedException' || e.$metadata?.httpStatusCode === 403) {
          throw new Error(`iam:GetRole was refused (${name || 'HTTP 403'})`);
        }
        if (name === 'NoSuchEntity' || name === 'NoSuchEntityException')
          throw new Error(`IAM has no role ${roleName} in the credentials' account`);
        throw new Error(`iam:GetRole failed: ${name ? `${name}: ` : ''}${e.message ?? String(err)}`);
      }
    },
    close() {
      client.destroy();
    },
  };
}
