import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contextIdentity } from '../../../src/kube/context-identity';
import { parseKubeconfig } from '../../../src/kube/kubeconfig-file';

// Exec entries as `eks-auth kubeconfig`, `aws eks update-kubeconfig` and aws-iam-authenticator's docs write them.
const FIRST = `apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c, user: dev}
- name: prod
  context: {cluster: c, user: prod}
- name: oidc
  context: {cluster: c, user: oidc}
users:
- name: dev
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: eks-auth
      args: [token, --cluster, demo, --region, eu-west-1, --role-arn, 'arn:aws:iam::111122223333:role/dev']
      env: [{name: AWS_PROFILE, value: devprofile}]
- name: prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-east-1, eks, get-token, --cluster-name, demo, --role-arn, 'arn:aws:iam::444455556666:role/admin']
      env: [{name: AWS_PROFILE, value: prodprofile}]
- name: oidc
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: kubectl-oidc_login, args: [get-token]}
`;
const SECOND = `apiVersion: v1
kind: Config
current-context: prod
contexts:
- name: dev
  context: {cluster: c, user: shadowed}
`;

describe('contextIdentity', () => {
  const files = [parseKubeconfig('/first', FIRST), parseKubeconfig('/second', SECOND)];

  test('the current context (first file that sets it) signs in as its eks-auth user', () => {
    assert.deepEqual(contextIdentity(files), {
      context: 'dev',
      user: 'dev',
      aws: { region: 'eu-west-1', roleArn: 'arn:aws:iam::111122223333:role/dev', profile: 'devprofile' },
    });
  });

  test('a named context with an aws eks get-token user', () => {
    assert.deepEqual(contextIdentity(files, 'prod'), {
      context: 'prod',
      user: 'prod',
      aws: { profile: 'prodprofile', region: 'us-east-1', roleArn: 'arn:aws:iam::444455556666:role/admin' },
    });
  });

  test('says why when the identity cannot be told', () => {
    assert.match(
      'why' in contextIdentity(files, 'oidc') ? (contextIdentity(files, 'oidc') as { why: string }).why : '',
      /not an EKS token command/,
    );
    assert.match((contextIdentity(files, 'nope') as { why: string }).why, /no context named nope/);
    assert.match(
      (contextIdentity([parseKubeconfig('/x', 'apiVersion: v1\nkind: Config\n')]) as { why: string }).why,
      /no current context/,
    );
  });
});
