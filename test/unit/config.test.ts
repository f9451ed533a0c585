import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveConfig } from '../../src/core/config.js';
import { UsageError } from '../../src/core/errors.js';

const file = (obj: unknown) => ({ text: JSON.stringify(obj), path: 'claw.config.json' });

describe('resolveConfig', () => {
  it('defaults to the real clawdinators values', () => {
    const c = resolveConfig({ flags: {}, env: {} });
    expect(c.values).toEqual(DEFAULTS);
    expect(c.values.region).toBe('eu-central-1');
    expect(c.values.instanceTag).toBe('app=clawdinator');
    expect(c.values.amiTag).toBe('clawdinator=true');
    expect(c.values.flakeBase).toBe('github:openclaw/clawdinators');
    expect(c.values.canaryOrder).toEqual(['clawdinator-1', 'clawdinator-2']);
    expect(c.values.amiKeep).toBe(6);
    expect(c.sources.region).toEqual({ value: 'eu-central-1', source: 'default', origin: 'default' });
  });

  it('applies flags > environment > file > defaults, and says where each came from', () => {
    const inputs = {
      flags: { region: 'us-east-1' },
      env: { CLAW_REGION: 'eu-west-1', AWS_REGION: 'eu-north-1', CLAW_AMI_KEEP: '4', AWS_PROFILE: 'ops' },
      file: file({ region: 'ap-south-1', amiKeep: 9, imagesBucket: 'my-images' }),
    };
    const c = resolveConfig(inputs);
    expect(c.values.region).toBe('us-east-1');
    expect(c.sources.region).toMatchObject({ source: 'flag', origin: '--region' });
    expect(c.values.amiKeep).toBe(4);
    expect(c.sources.amiKeep).toMatchObject({ source: 'env', origin: 'CLAW_AMI_KEEP' });
    expect(c.values.imagesBucket).toBe('my-images');
    expect(c.sources.imagesBucket).toMatchObject({ source: 'file', origin: 'claw.config.json' });
    expect(c.values.profile).toBe('ops');
    expect(c.sources.profile.origin).toBe('AWS_PROFILE');

    const noFlag = resolveConfig({ ...inputs, flags: {} });
    expect(noFlag.values.region).toBe('eu-west-1'); // CLAW_REGION beats AWS_REGION
    const onlyAws = resolveConfig({ flags: {}, env: { AWS_REGION: 'eu-north-1' }, file: file({ region: 'ap-south-1' }) });
    expect(onlyAws.values.region).toBe('eu-north-1');
  });

  it('parses list and number values from the environment', () => {
    const c = resolveConfig({ flags: {}, env: { CLAW_CANARY_ORDER: 'a-1, b-2', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' } });
    expect(c.values.canaryOrder).toEqual(['a-1', 'b-2']);
    expect(c.values.endpointUrl).toBe('http://127.0.0.1:5000');
  });

  it('takes tries per AWS request from AWS_MAX_ATTEMPTS as the aws CLI does, CLAW_MAX_ATTEMPTS first', () => {
    expect(resolveConfig({ flags: {}, env: { AWS_MAX_ATTEMPTS: '2' } }).values.maxAttempts).toBe(2);
    expect(resolveConfig({ flags: {}, env: { AWS_MAX_ATTEMPTS: '2', CLAW_MAX_ATTEMPTS: '7' } }).sources.maxAttempts).toMatchObject({
      value: 7,
      origin: 'CLAW_MAX_ATTEMPTS',
    });
    expect(() => resolveConfig({ flags: {}, env: { AWS_MAX_ATTEMPTS: '0' } })).toThrow(/environment AWS_MAX_ATTEMPTS: maxAttempts must be at least 1/);
    expect(() => resolveConfig({ flags: {}, env: { AWS_MAX_ATTEMPTS: 'many' } })).toThrow(UsageError);
  });

  it('accepts any well-formed region when an endpoint is given (emulators, new regions)', () => {
    const c = resolveConfig({ flags: { region: 'xx-nowhere-1', endpointUrl: 'http://127.0.0.1:1' }, env: {} });
    expect(c.values.region).toBe('xx-nowhere-1');
  });

  const bad: [string, Parameters<typeof resolveConfig>[0], RegExp][] = [
    ['unknown key in the file', { flags: {}, env: {}, file: file({ regoin: 'x' }) }, /^claw\.config\.json: unknown key "regoin"$/],
    ['wrong type in the file', { flags: {}, env: {}, file: file({ amiKeep: 'six' }) }, /^claw\.config\.json: amiKeep /],
    ['invalid JSON in the file', { flags: {}, env: {}, file: { text: '{"region": }', path: 'claw.config.json' } }, /^claw\.config\.json:1:\d+: invalid JSON/],
    ['keep of zero from the environment', { flags: {}, env: { CLAW_AMI_KEEP: '0' } }, /^environment CLAW_AMI_KEEP: amiKeep must be at least 1/],
    ['malformed region flag', { flags: { region: 'Europe' }, env: {} }, /^flag --region: region is not an AWS region/],
    ['bad endpoint', { flags: { endpointUrl: 'ftp://x' }, env: {} }, /^flag --endpoint-url: endpointUrl is not an http\(s\) URL/],
    ['bad tag', { flags: {}, env: { CLAW_INSTANCE_TAG: 'app' }, file: undefined }, /instanceTag must be key=value/],
    ['well-formed but unknown region', { flags: {}, env: { AWS_REGION: 'xx-nowhere-1' } }, /^environment AWS_REGION: unknown AWS region "xx-nowhere-1"$/],
    ['bad canary host', { flags: {}, env: {}, file: file({ canaryOrder: ['ok-1', 'Bad Host'] }) }, /canaryOrder\.1 is not a valid hostname/],
  ];
  it.each(bad)('refuses %s with one UsageError line', (_name, inputs, message) => {
    let caught: unknown;
    try {
      resolveConfig(inputs);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toMatch(message);
    expect((caught as UsageError).message).not.toContain('\n');
  });
});
