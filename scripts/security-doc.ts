/**
 * `npm run docs:security`: writes the authorization rule table and the
 * audited actions, both composed from the modules of src/modules.ts (each
 * domain's `<domain>.rules.ts` and `auditActions`), into docs/security.md, between their markers. With
 * `--check` it writes nothing and fails when the document is not current.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_BEGIN, AUDIT_END, renderAuditTable } from '../src/audit/audited-actions.js';
import { renderRuleTable, SECURITY_DOC, withGenerated, withRuleTable } from '../src/auth/rule-table-doc.js';
import { ruleTableOf } from '../src/auth/rules.js';
import { AUDITED_ACTIONS, MODULES } from '../src/modules.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const file = path.join(ROOT, SECURITY_DOC);
  const before = await readFile(file, 'utf8');
  // The rules' wording does not depend on the settings.
  const rules = withRuleTable(before, renderRuleTable(ruleTableOf(MODULES, { allowSignup: true })));
  const after = withGenerated(rules, AUDIT_BEGIN, AUDIT_END, renderAuditTable(AUDITED_ACTIONS));
  if (process.argv.includes('--check')) {
    if (after !== before) {
      process.stderr.write(`${SECURITY_DOC} is not current: run npm run docs:security\n`);
      process.exit(1);
    }
    return;
  }
  if (after !== before) await writeFile(file, after);
  process.stdout.write(`${after === before ? 'unchanged' : 'wrote'} ${SECURITY_DOC}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`docs:security failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
