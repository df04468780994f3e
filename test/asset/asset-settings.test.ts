import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { TEST_FIELD_KEYS_ENV } from '../support/field-keys.js';

const load = (env: Record<string, string>) => loadConfig({ ...TEST_FIELD_KEYS_ENV, ...env }).assets;

describe('asset settings', () => {
  it('when nothing is set, then assets use the embedded storage and edge with the development key', () => {
    const settings = load({});
    expect(settings.storage).toBeUndefined();
    expect(settings.cdnBaseUrl).toBeUndefined();
    expect(settings.signer).toEqual({ kind: 'secure_link', keys: [{ kid: 'dev', secret: expect.any(String) }] });
    expect([settings.embeddedStoragePort, settings.embeddedEdgePort, settings.urlTtlS, settings.uploadTtlS]).toEqual([
      9470, 9480, 300, 900,
    ]);
  });

  it('when NODE_ENV=production and ASSET_URL_KEYS is unset, then the start is refused naming it', () => {
    expect(() => load({ NODE_ENV: 'production', PAGE_TOKEN_SECRET: 'a real secret of this deployment' })).toThrow(
      /ASSET_URL_KEYS is required/,
    );
  });

  it('when ASSET_URL_KEYS lists two keys, then the first signs and both are kept for the edge', () => {
    const { signer } = load({ ASSET_URL_KEYS: 'k2:aaaaaaaaaaaaaaaaaaaa,k1:bbbbbbbbbbbbbbbbbbbb' });
    expect(signer).toEqual({
      kind: 'secure_link',
      keys: [
        { kid: 'k2', secret: 'aaaaaaaaaaaaaaaaaaaa' },
        { kid: 'k1', secret: 'bbbbbbbbbbbbbbbbbbbb' },
      ],
    });
  });

  it('when a key is short, unnamed or named twice, then the error names the entry and never the secret', () => {
    for (const [value, message] of [
      ['k1:short', /ASSET_URL_KEYS\[0\]/],
      ['k1:aaaaaaaaaaaaaaaaaaaa,aaaaaaaaaaaaaaaaaaaaaa', /ASSET_URL_KEYS\[1\]/],
      ['k1:aaaaaaaaaaaaaaaaaaaa,k1:bbbbbbbbbbbbbbbbbbbb', /twice/],
    ] as const) {
      let error: unknown;
      try {
        load({ ASSET_URL_KEYS: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('aaaaaaaa');
    }
  });

  it('when the CloudFront signer lacks its key pair id or key file, then the start is refused', () => {
    expect(() => load({ ASSET_URL_SIGNER: 'cloudfront', ASSET_CLOUDFRONT_KEY_PAIR_ID: 'K1' })).toThrow(/ASSET_CLOUDFRONT_PRIVATE_KEY_FILE/);
  });

  it('when S3 storage is chosen, then endpoint, bucket, region and paired credentials are read', () => {
    expect(
      load({
        ASSET_STORAGE: 's3',
        ASSET_STORAGE_ENDPOINT: 'http://minio:9000',
        ASSET_STORAGE_BUCKET: 'b',
        ASSET_STORAGE_ACCESS_KEY_ID: 'id',
        ASSET_STORAGE_SECRET_ACCESS_KEY: 'secret',
      }).storage,
    ).toEqual({
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      bucket: 'b',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
      forcePathStyle: true,
    });
    expect(() => load({ ASSET_STORAGE: 's3', ASSET_STORAGE_ACCESS_KEY_ID: 'id' })).toThrow(/must be set together/);
  });
});
