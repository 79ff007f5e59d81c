import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
// The AWS SDK for JavaScript's INI parser (formerly @smithy/shared-ini-file-loader, now a
// submodule of @smithy/core), used here only as a differential oracle.
import { loadSharedConfigFiles } from '@smithy/core/config';
import { parseIni, sectionName, type IniFile } from '../../../src/aws/ini';
import { dedent } from '../../helpers/fake-deps';

/** Plain objects (the parser builds null-prototype ones) for deepEqual. */
function plain(sections: IniFile): Record<string, Record<string, unknown>> {
  return JSON.parse(JSON.stringify(sections));
}

function parsed(text: string): Record<string, Record<string, unknown>> {
  const { sections, problems } = parseIni(dedent(text));
  assert.deepEqual(problems, []);
  return plain(sections);
}

// Expected values: Python's configparser.RawConfigParser, which botocore (the AWS CLI) uses to read
// both files (botocore/configloader.py raw_config_parse), checked with python3 on this machine.
describe('parseIni reads the files as the AWS CLI does', () => {
  test('keeps section names as written, [profile x] included', () => {
    assert.deepEqual(
      parsed(`
        [default]
        region = us-west-2
        [profile Dev Team]
        region = eu-west-1
        [sso-session corp]
        sso_region = us-east-1
      `),
      {
        default: { region: 'us-west-2' },
        'profile Dev Team': { region: 'eu-west-1' },
        'sso-session corp': { sso_region: 'us-east-1' },
      },
    );
  });

  test('accepts "key: value" and splits at the first = or :', () => {
    assert.deepEqual(
      parsed(`
        [default]
        output: json
        endpoint_url = http://127.0.0.1:4566
        credential_process = /bin/creds --format=json --url=https://x:1/
        role_arn:arn:aws:iam::111122223333:role/a=b
      `),
      {
        default: {
          output: 'json',
          endpoint_url: 'http://127.0.0.1:4566',
          credential_process: '/bin/creds --format=json --url=https://x:1/',
          role_arn: 'arn:aws:iam::111122223333:role/a=b',
        },
      },
    );
  });

  test('lower-cases keys but not values or section names', () => {
    assert.deepEqual(parsed('[Prod]\nAWS_Access_Key_ID = AKIDMixedCase\nRegion = US-WEST-2\n'), {
      Prod: { aws_access_key_id: 'AKIDMixedCase', region: 'US-WEST-2' },
    });
  });

  test('skips # and ; comment lines, indented ones too, and blank lines', () => {
    assert.deepEqual(parsed('# top\n; top\n[default]\n\n   # indented\n\t; tabbed\nregion = us-east-1\n   \n'), {
      default: { region: 'us-east-1' },
    });
  });

  test('has no inline comments: "x # y" is the value, as in botocore', () => {
    assert.deepEqual(parsed('[default]\nregion = us-west-2 # Oregon\noutput = json ; really\n'), {
      default: { region: 'us-west-2 # Oregon', output: 'json ; really' },
    });
  });

  test('allows a comment after a section header', () => {
    assert.deepEqual(parsed('[profile dev] # the dev account\nregion = eu-west-1\n'), {
      'profile dev': { region: 'eu-west-1' },
    });
  });

  test('reads indented lines after an empty "key =" as a nested map (s3, services)', () => {
    assert.deepEqual(
      parsed(`
        [profile dev]
        s3 =
          addressing_style = path
          Signature_Version = s3v4
        region = eu-west-1
        [services local]
        sts =
          endpoint_url = http://127.0.0.1:4566
        eks =
          endpoint_url = http://127.0.0.1:4567
      `),
      {
        'profile dev': { s3: { addressing_style: 'path', signature_version: 's3v4' }, region: 'eu-west-1' },
        'services local': {
          sts: { endpoint_url: 'http://127.0.0.1:4566' },
          eks: { endpoint_url: 'http://127.0.0.1:4567' },
        },
      },
    );
  });

  test('keeps an empty value with no indented lines as the empty string', () => {
    assert.deepEqual(parsed('[default]\nregion =\noutput = json\n'), { default: { region: '', output: 'json' } });
  });

  test('reads CRLF files like LF files', () => {
    const lf =
      '[default]\nregion = us-west-2\ns3 =\n  addressing_style = path\n[profile a]\nrole_arn = arn:aws:iam::1:role/a\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    assert.deepEqual(parsed(crlf), parsed(lf));
    assert.equal((parsed(crlf).default as Record<string, string>).region, 'us-west-2');
  });

  test('lets a later value of a key win within a section', () => {
    assert.deepEqual(parsed('[default]\nregion = a\nregion = b\n'), { default: { region: 'b' } });
  });

  test('builds sections without an Object prototype, so "__proto__" is just a name', () => {
    const { sections } = parseIni('[__proto__]\nregion = x\n[default]\nconstructor = y\n');
    assert.equal(Object.getPrototypeOf(sections), null);
    // An own property named __proto__, not the prototype: read it without the accessor.
    assert.equal(Object.getOwnPropertyDescriptor(sections, '__proto__')?.value?.region, 'x');
    assert.equal((Object.prototype as Record<string, unknown>).region, undefined);
    assert.equal(sections.default?.constructor, 'y');
  });
});

describe('parseIni reports unreadable lines with their number, never their content', () => {
  // configparser refuses these too (ParsingError, MissingSectionHeaderError), so the AWS CLI would fail on the file.
  const cases: { name: string; text: string; line: number; message: RegExp }[] = [
    {
      name: 'a line without = or :',
      text: '[default]\nregion = us-west-2\nwJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n',
      line: 3,
      message: /expected "key = value"/,
    },
    {
      name: 'a setting before any section',
      text: '# keys\naws_access_key_id = AKIDEXAMPLE\n[default]\n',
      line: 2,
      message: /before any \[section\]/,
    },
    {
      name: 'a line starting with =',
      text: '[default]\n= wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n',
      line: 2,
      message: /expected "key = value"/,
    },
    {
      name: 'a nested line without =',
      text: '[default]\ns3 =\n  wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n',
      line: 3,
      message: /indented "key = value" under "s3 ="/,
    },
    {
      name: 'CRLF line numbers',
      text: '[default]\r\n\r\nregion = x\r\nsecretvalue\r\n',
      line: 4,
      message: /expected "key = value"/,
    },
  ];
  for (const c of cases) {
    test(`reports ${c.name} at line ${c.line}`, () => {
      const { problems } = parseIni(c.text);
      assert.equal(problems.length, 1);
      const [problem] = problems;
      assert.equal(problem?.line, c.line);
      assert.match(problem?.message ?? '', c.message);
      assert.ok(
        !problem?.message.includes('EXAMPLEKEY') && !problem?.message.includes('secretvalue'),
        'the line content must not be echoed',
      );
    });
  }

  test('still returns the sections it could read', () => {
    const { sections, problems } = parseIni('[default]\nregion = us-west-2\ngarbage\noutput = json\n');
    assert.equal(problems.length, 1);
    assert.deepEqual(plain(sections), { default: { region: 'us-west-2', output: 'json' } });
  });
});

describe('parseIni agrees with the AWS SDK for JavaScript on the common subset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-ini-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let fileNumber = 0;

  /** The SDK's raw parse (its credentials-file path applies no profile-name mapping). */
  async function sdkParse(text: string): Promise<Record<string, Record<string, string>>> {
    const filepath = join(dir, `credentials-${++fileNumber}`);
    writeFileSync(filepath, text);
    const { credentialsFile } = await loadSharedConfigFiles({
      filepath,
      configFilepath: join(dir, 'absent'),
      ignoreCache: true,
    });
    return JSON.parse(JSON.stringify(credentialsFile));
  }

  /**
   * Ours in the SDK's shape: `[profile x]` → `profile.x`, nested `s3 = …` → `s3.key`, empty values
   * and sections without values dropped (the SDK keeps neither).
   */
  function oursInSdkShape(text: string): Record<string, Record<string, string>> {
    const { sections, problems } = parseIni(text);
    assert.deepEqual(problems, []);
    const out: Record<string, Record<string, string>> = {};
    for (const [name, section] of Object.entries(sections)) {
      const typed = /^(profile|sso-session|services) (\S+)$/.exec(name);
      const key = typed ? `${typed[1]}.${typed[2]}` : name;
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(section)) {
        if (typeof v === 'string') {
          if (v !== '') values[k] = v;
        } else {
          for (const [nk, nv] of Object.entries(v)) values[`${k}.${nk}`] = nv;
        }
      }
      if (Object.keys(values).length > 0) out[key] = { ...out[key], ...values };
    }
    return out;
  }

  const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
  const profileName = fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/);
  // No # or ; (the SDK strips inline comments; botocore does not), no leading/trailing space.
  const value = fc.stringMatching(/^[A-Za-z0-9/+=.:_-]([A-Za-z0-9/+=.:_ -]{0,30}[A-Za-z0-9/+=.:_-])?$/);
  const delimiter = fc.constantFrom('=', ' = ', '  =  ', '= ', ' =');
  const sectionName = fc.oneof(
    fc.constant('default'),
    profileName.map((n) => `profile ${n}`),
    profileName.map((n) => `sso-session ${n}`),
    profileName.map((n) => `services ${n}`),
    profileName,
  );
  const setting = fc.oneof(
    fc.tuple(identifier, delimiter, value).map(([k, d, v]) => [k, `${k}${d}${v}`] as const),
    fc
      .tuple(
        identifier,
        fc.uniqueArray(fc.tuple(identifier, delimiter, value), { minLength: 1, maxLength: 3, selector: ([k]) => k }),
        fc.constantFrom('  ', '    ', '\t'),
      )
      .map(
        ([k, nested, indent]) =>
          [k, [`${k} =`, ...nested.map(([nk, d, v]) => `${indent}${nk}${d}${v}`)].join('\n')] as const,
      ),
  );
  const filler = fc.constantFrom('', '# a comment', '; another = comment', '   ', '  # indented comment');
  const section = fc
    .tuple(sectionName, fc.uniqueArray(setting, { maxLength: 6, selector: ([k]) => k }), filler)
    .map(([name, settings, fill]) => [`[${name}]`, fill, ...settings.map(([, line]) => line)].join('\n'));
  const file = fc
    .tuple(fc.uniqueArray(section, { maxLength: 5, selector: (s) => s.split('\n')[0] }), fc.constantFrom('\n', '\r\n'))
    .map(([sections, eol]) => sections.join('\n').replace(/\n/g, eol) + eol);

  test('on random files of sections, key = value lines, nested blocks, comments and CRLF', async () => {
    await fc.assert(
      fc.asyncProperty(file, async (text) => {
        assert.deepEqual(oursInSdkShape(text), await sdkParse(text));
      }),
      { numRuns: 150 },
    );
  });

  test('on a typical hand-written config file', async () => {
    const text = dedent(`
      [default]
      region = us-west-2
      output = json

      [profile admin]
      role_arn = arn:aws:iam::111122223333:role/admin
      source_profile = default
      mfa_serial = arn:aws:iam::111122223333:mfa/me
      s3 =
        addressing_style = path

      [sso-session corp]
      sso_start_url = https://corp.awsapps.com/start
      sso_region = us-east-1

      [services local]
      sts =
        endpoint_url = http://127.0.0.1:4566
    `);
    const ours = oursInSdkShape(text);
    assert.deepEqual(ours, await sdkParse(text));
    // The comparison is not vacuous: both saw the nested and prefixed sections.
    assert.equal(ours['services.local']?.['sts.endpoint_url'], 'http://127.0.0.1:4566');
    assert.equal(ours['profile.admin']?.['s3.addressing_style'], 'path');
  });

  test('and differs where botocore and the SDK differ, following botocore', async () => {
    const text = '[default]\nregion = us-west-2 # Oregon\nOutput: json\n';
    // botocore keeps the "comment" and reads "key: value" with a lower-cased key; the SDK does neither.
    assert.deepEqual(oursInSdkShape(text), { default: { region: 'us-west-2 # Oregon', output: 'json' } });
    assert.deepEqual(await sdkParse(text), { default: { region: 'us-west-2' } });
  });
});

describe('section headers are read by hand as the header pattern reads them', () => {
  // The pattern the hand-written reader replaced (it ran on every kubectl call); the header rule
  // itself is RawConfigParser's SECTCRE, tested against Python's answers above.
  const HEADER = /^\[([^\]]*)\]\s*(?:[#;].*)?$/;
  const lineChar = fc.constantFrom('[', ']', ' ', '\t', '#', ';', '=', 'a', 'p', '-', '\r', '\u2028', '\u00a0', 'é');

  test('on generated trimmed lines', () => {
    fc.assert(
      fc.property(fc.string({ unit: lineChar, maxLength: 16 }), (raw) => {
        const line = raw.trim();
        const match = HEADER.exec(line);
        assert.equal(sectionName(line), match ? (match[1] as string).trim() : undefined, JSON.stringify(line));
      }),
      { numRuns: 20_000 },
    );
  });

  test('on the usual headers', () => {
    assert.equal(sectionName('[profile dev]'), 'profile dev');
    assert.equal(sectionName('[ default ]  # the default'), 'default');
    assert.equal(sectionName('[sso-session corp];x'), 'sso-session corp');
    assert.equal(sectionName('[a] b'), undefined);
    assert.equal(sectionName('[a'), undefined);
    assert.equal(sectionName('region = [x]'), undefined);
  });
});
