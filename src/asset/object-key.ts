import type { AssetKindName } from './asset.entity.js';

/** What the edge sends with a public asset: its key never names other bytes, so it may be cached for good. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Content types each kind accepts, with the file extension their keys end in. */
export const CONTENT_TYPES: Readonly<Record<AssetKindName, Readonly<Record<string, string>>>> = {
  image: { 'image/png': '.png', 'image/jpeg': '.jpg', 'image/webp': '.webp', 'image/gif': '.gif', 'image/avif': '.avif' },
  video: { 'video/mp4': '.mp4', 'video/webm': '.webm' },
  document: {
    'application/pdf': '.pdf',
    'text/plain': '.txt',
    'text/markdown': '.md',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation': '.pptx',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
    'application/vnd.oasis.opendocument.presentation': '.odp',
    'application/vnd.oasis.opendocument.text': '.odt',
  },
  other: { 'application/octet-stream': '.bin', 'application/zip': '.zip' },
};

const KEY = /^(public|private)\/[0-9a-f]{64}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[a-z0-9]+$/;

/**
 * The object key of an asset: `<public|private>/<sha256>/<asset id><ext>`.
 * Chosen once, at creation, and never reused: the hash ties it to one
 * content, the id to one asset. Lesson material lives under `private/`,
 * which the edge serves only with a valid signature; an item's own assets
 * (a cover) under `public/`, served to anyone holding the URL, which is
 * issued to everyone only while the item is published.
 */
export function objectKeyOf(asset: {
  id: string;
  sha256: string;
  kind: AssetKindName;
  contentType: string;
  lessonMaterial: boolean;
}): string {
  const ext = CONTENT_TYPES[asset.kind][asset.contentType] ?? '.bin';
  return `${asset.lessonMaterial ? 'private' : 'public'}/${asset.sha256}/${asset.id}${ext}`;
}

/** Whether the edge serves a key openly or only signed; undefined for a path that is no asset key. */
export function visibilityOfKey(key: string): 'public' | 'private' | undefined {
  const match = KEY.exec(key);
  return match ? (match[1] as 'public' | 'private') : undefined;
}
