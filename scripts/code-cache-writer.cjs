// Makes dist/bin.js.cache for scripts/build.mjs: runs dist/bin.js in this process on the paths
// that kubectl runs every few seconds, then saves the V8 code cache of everything they compiled.
//
//   0. a role-chain profile, in a child process (dist/eks-auth.js): AssumeRole on a fake STS served
//      here on 127.0.0.1, sign, store the token. Not in this process: V8 deserialises the whole
//      cache on every start, and the miss path's code (locks, writes, the chain) would make it a
//      sixth larger for a path that costs a hundred times more anyway;
//   1. env keys: sign a token;
//   2. the role-chain profile again: a cache hit.
//
// Usage (from build.mjs): node scripts/code-cache-writer.cjs <dist/bin.js> <scratch dir> <wrap head> <wrap tail>
// The keys are the AWS documentation's example pair; nothing leaves this machine.
'use strict';
const { execFile } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const [file, scratch, wrapHead, wrapTail] = process.argv.slice(2);
const script = new Script(wrapHead + readFileSync(file, 'utf8') + wrapTail, { filename: file });

const sts = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    // No keep-alive: an idle socket would hold each run open for seconds.
    res.writeHead(200, { 'content-type': 'text/xml', connection: 'close' });
    res.end(
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
        '<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>' +
        `<SessionToken>code-cache-session-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        '<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:code-cache</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/code-cache/code-cache</Arn></AssumedRoleUser>' +
        '</AssumeRoleResult><ResponseMetadata><RequestId>code-cache</RequestId></ResponseMetadata></AssumeRoleResponse>',
    );
  });
});

const config = join(scratch, 'aws-config');
writeFileSync(
  config,
  '[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n\n' +
    '[profile chain]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/code-cache\nsource_profile = base\nrole_session_name = code-cache\n',
);

/** The environment of each run; bin.js reads process.env when it runs. */
function environment(port) {
  const common = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    KUBECACHEDIR: scratch,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    KUBERNETES_EXEC_INFO:
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}',
  };
  const envKeys = {
    ...common,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'us-east-1',
  };
  const chain = { ...common, AWS_PROFILE: 'chain', AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` };
  return { miss: chain, runs: [envKeys, chain] };
}

// bin.js ends a token run with process.exit(); here the next run must follow in this process, so
// an exit only records its code and the process ends when the last run leaves the loop empty.
process.exit = (code) => {
  if (code !== undefined) process.exitCode = code;
};

sts.listen(0, '127.0.0.1', () => {
  // The server must not keep the process alive: each run ends when the event loop empties.
  sts.unref();
  const { miss, runs } = environment(sts.address().port);
  let done = 0;
  const next = () => {
    process.env = runs[done];
    process.argv = [process.argv[0], file, 'token', '--cluster', 'code-cache'];
    done += 1;
    const m = { exports: {} };
    script.runInThisContext()(m.exports, createRequire(file), m, file, dirname(file));
  };
  process.on('beforeExit', () => {
    if (done < runs.length && !process.exitCode) next();
  });
  process.on('exit', (code) => {
    if (code === 0 && done === runs.length) writeFileSync(`${file}.cache`, script.createCachedData());
  });
  // Asynchronously: the fake STS in this process must answer the child.
  execFile(
    process.execPath,
    [join(dirname(file), 'eks-auth.js'), 'token', '--cluster', 'code-cache'],
    { env: miss },
    (err, stdout) => {
      if (err || !stdout.includes('k8s-aws-v1.'))
        throw new Error(`the role-chain run failed: ${err?.message ?? stdout}`);
      next();
    },
  );
});
