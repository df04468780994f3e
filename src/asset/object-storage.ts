import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** What storage holds under a key, as far as CompleteAssetUpload checks it. */
export interface StoredObject {
  readonly sizeBytes: bigint;
  readonly contentType: string;
  /** The SHA-256 the store computed at upload (hex), when it keeps one. */
  readonly sha256: string | undefined;
}

/** A presigned PUT: the URL, the headers it must carry (they are signed), and when it expires. */
export interface UploadRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expireTime: Date;
}

/**
 * Object storage through the S3 API: S3, R2, GCS's S3 API, MinIO, Ceph and
 * the embedded S3-compatible server alike.
 */
export interface ObjectStorage {
  /** A presigned PUT of exactly these bytes: the content type and SHA-256 are signed headers. */
  presignPut(key: string, object: { contentType: string; sha256: string }, expiresInS: number): Promise<UploadRequest>;
  /** The object under `key`, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Reads the object and hashes it: for stores that keep no checksum (hex SHA-256). */
  sha256Of(key: string): Promise<string>;
  /** Removes the object; removing a missing one succeeds. */
  delete(key: string): Promise<void>;
  /** The object's bytes, for an edge serving from this store. */
  read(key: string): Promise<{ body: Readable; contentType: string; sizeBytes: bigint } | undefined>;
  close(): void;
}

export interface S3Settings {
  /** Empty for AWS S3 in `region`. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  /** Unset: the SDK's default chain (environment, profile, instance role). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. */
  readonly forcePathStyle: boolean;
}

/** ObjectStorage over the AWS SDK v3. */
export function s3Storage(settings: S3Settings): ObjectStorage {
  const client = new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    credentials: settings.credentials,
    forcePathStyle: settings.forcePathStyle,
    // Checksums only where we ask for them: a default CRC32 would be signed into every presigned URL.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;
  return {
    async presignPut(key, object, expiresInS) {
      const checksum = Buffer.from(object.sha256, 'hex').toString('base64');
      const command = new PutObjectCommand({ Bucket, Key: key, ContentType: object.contentType, ChecksumSHA256: checksum });
      const url = await getSignedUrl(client, command, {
        expiresIn: expiresInS,
        signableHeaders: new Set(['content-type', 'x-amz-checksum-sha256']),
        // A header, not a query parameter: S3 then checks the body against it and refuses other bytes.
        unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
      });
      return {
        url,
        headers: { 'content-type': object.contentType, 'x-amz-checksum-sha256': checksum },
        expireTime: new Date(Date.now() + expiresInS * 1000),
      };
    },
    async head(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: key, ChecksumMode: 'ENABLED' }));
        // A multipart checksum ("...-<parts>") is a checksum of checksums, not of the bytes.
        const stored = head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-') ? head.ChecksumSHA256 : undefined;
        return {
          sizeBytes: BigInt(head.ContentLength ?? 0),
          contentType: head.ContentType ?? '',
          sha256: stored ? Buffer.from(stored, 'base64').toString('hex') : undefined,
        };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async sha256Of(key) {
      const got = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      const hash = createHash('sha256');
      for await (const chunk of got.Body as Readable) hash.update(chunk as Buffer);
      return hash.digest('hex');
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async read(key) {
      try {
        const got = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        return {
          body: got.Body as Readable,
          contentType: got.ContentType ?? 'application/octet-stream',
          sizeBytes: BigInt(got.ContentLength ?? 0),
        };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    close: () => client.destroy(),
  };
}

function isMissing(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === 'NotFound' || err.name === 'NoSuchKey');
}
