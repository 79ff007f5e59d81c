/**
 * ~/.aws/config text for the unit tests' profile chains: a profile with static keys and role
 * profiles stacked on it by source_profile, written the way the tests' inline INI always was (two
 * spaces of indent, a blank line between sections), so a test can still edit one line of it with
 * String.replace.
 */

/** The secret key of every `staticKeys` profile. */
export const BASE_SECRET = 'base/secret+key';

/** A profile with static keys (and any other settings, e.g. region). */
export function staticKeys(accessKeyId: string, settings: Record<string, string> = {}): Record<string, string> {
  return { aws_access_key_id: accessKeyId, aws_secret_access_key: BASE_SECRET, ...settings };
}

/** A role profile assumed with the credentials of `source` (and any other settings, e.g. mfa_serial). */
export function role(roleArn: string, source: string, settings: Record<string, string> = {}): Record<string, string> {
  return { role_arn: roleArn, source_profile: source, ...settings };
}

/**
 * The config file: one `[profile NAME]` section per entry, in order; a name given as
 * `sso-session NAME` is written as that section header instead.
 */
export function awsConfig(sections: Record<string, Record<string, string>>): string {
  const text = Object.entries(sections).map(([name, settings]) => {
    const header = name.startsWith('sso-session ') ? name : `profile ${name}`;
    return `  [${header}]\n${Object.entries(settings)
      .map(([key, value]) => `  ${key} = ${value}\n`)
      .join('')}`;
  });
  return `\n${text.join('\n')}`;
}
