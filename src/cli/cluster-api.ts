/**
 * The EKS and IAM reads of `explain --cluster` and `whoami --cluster`, with the credentials, region
 * and endpoints `eks-auth token` would use (AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL_IAM as the AWS CLI
 * reads them). Both SDK bundles load only here, IAM only when an entry needs its GetRole check.
 */
import type { AwsInput } from '../aws/resolve';
import type { IamPort } from '../aws/iam-client';
import type { Deps } from '../ports';
import type { ClusterApi } from '../usecases/explain';

/** Resolves the credentials once and opens the EKS port; IAM opens on first use. */
export async function openClusterApi(aws: AwsInput, deps: Deps): Promise<ClusterApi> {
  const { resolveAwsContext } = await import('../aws/resolve');
  // A person runs explain and whoami, not kubectl: an MFA prompt is fine.
  const context = await resolveAwsContext(aws, deps);
  const { createEksPort } = await import('../aws/eks-client');
  const region = context.region.region;
  const eksEndpoint = context.serviceEndpointUrl('eks');
  deps.log.verbose(`EKS API in ${region}${eksEndpoint ? ` at ${eksEndpoint}` : ''}`);
  const eks = createEksPort({
    region,
    credentials: context.credentials,
    ...(eksEndpoint ? { endpoint: eksEndpoint } : {}),
  });
  let iam: IamPort | undefined;
  return {
    eks,
    async roleCreatedAt(roleName: string): Promise<Date> {
      if (!iam) {
        const { createIamPort } = await import('../aws/iam-client');
        const endpoint = context.serviceEndpointUrl('iam');
        iam = createIamPort({ region, credentials: context.credentials, ...(endpoint ? { endpoint } : {}) });
      }
      return (await iam.getRole(roleName)).createDate;
    },
    close() {
      eks.close();
      iam?.close();
    },
  };
}
