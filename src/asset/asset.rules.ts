import { AssetServiceService as S } from '../../generated/campus/asset/v1/asset.js';
import type { MethodRule } from '../auth/access-rule.js';
import { rule } from '../auth/access-rule.js';
import type { Principal } from '../auth/principal.js';

/** Reads decided by AssetService on the asset and item it loads: hidden is NOT_FOUND, as for the item. */
const READ = {
  anonymous: ['public'],
  student: ['public', 'learner'],
  instructor: ['public', 'learner', 'teacher'],
  admin: 'all',
  service: 'all',
  byService: ['public', 'learner', 'teacher'],
  refusedAsNotFound: true,
} as const satisfies MethodRule;

/** Changes to an asset: its item's instructor; AssetService decides on the asset it loads. */
const CHANGE = {
  anonymous: 'none',
  student: 'none',
  instructor: ['teacher'],
  admin: 'all',
  service: 'all',
  byService: ['teacher'],
  note: "the asset service checks that they teach the asset's item (NOT_FOUND when they may not even see it)",
} as const satisfies MethodRule;

/** The rows of the rule table for campus.asset.v1.AssetService (see src/auth/rules.ts). */
export function assetRules(): [string, MethodRule][] {
  // biome-ignore format: one row per RPC, its grants on one line, reads as a table
  return [
    rule(S.createAsset, {
      anonymous: 'none', student: 'none', instructor: ['teacher'], admin: 'all', service: 'all',
      before: {
        teacher: async (p, req, l) => {
          const item = await l.catalogItem(req.asset?.catalogItemId ?? '');
          return item === undefined || isUser(p, item.instructorId);
        },
      },
      note: 'for items they teach',
    }),
    rule(S.completeAssetUpload, CHANGE),
    rule(S.getAsset, { ...READ, note: "visibility follows the item: an item's own assets once it is published; lesson material to its learners; a hidden asset is NOT_FOUND" }),
    rule(S.listAssets, { ...READ, note: 'lists what the caller may see; a hidden item (or lesson) is NOT_FOUND' }),
    rule(S.getAssetUrl, { ...READ, note: 'as GetAsset; public assets get a stable URL, lesson material a signed one' }),
    rule(S.batchGetAssetUrls, { ...READ, note: "the lesson's material, to its learners; a hidden lesson is NOT_FOUND" }),
    rule(S.deleteAsset, CHANGE),
  ];
}

function isUser(principal: Principal, id: string | null): boolean {
  return principal.kind === 'user' && id !== null && id.toLowerCase() === principal.id;
}
