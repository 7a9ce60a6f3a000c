import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerRevisions } from '../../../src/server/worker-revisions.js';
import { loadPolicyFromFiles } from '../../../src/policy/load.js';
import { instantiateArtifact, type PolicyArtifact } from '../../../src/rego-wasm/opa-wasm.js';
import { PolicyStore, revisionKey } from '../../../src/policy/policy-store.js';
import { buildBundleFile } from '../../helpers/server.js';

// A worker's two-phase policy change, with real WASM that `opa build` produced from rego/.
describe('WorkerRevisions', () => {
  let tmp: string;
  let v1: { key: string; artifact: PolicyArtifact };
  let v2: { key: string; artifact: PolicyArtifact };

  beforeAll(async () => {
    const built = await buildBundleFile();
    tmp = built.tmp;
    const p1 = await loadPolicyFromFiles({ bundle: built.file, dataFiles: [], entrypoint: 'mcp/authz/decision', maxMemoryPages: 2048 });
    const a2 = {
      ...p1.artifact,
      dataJson: JSON.stringify({ ...JSON.parse(p1.artifact.dataJson), mcp_authz: { approved_hosts: ['example.com'] } }),
      revision: 'v2',
    };
    const p2 = await instantiateArtifact(a2);
    v1 = { key: revisionKey(p1), artifact: p1.artifact };
    v2 = { key: revisionKey(p2), artifact: a2 };
  });
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  it('prepares beside the serving revision and swaps only on commit', async () => {
    const store = new PolicyStore(1);
    const r = new WorkerRevisions(store);
    await r.sync(v1);
    const first = store.current()!;
    expect(r.active()).toBe(v1.key);
    await r.prepare(v2.key, v2.artifact);
    expect(store.current()).toBe(first);
    r.commit(v2.key);
    expect(store.current()!.revision).toBe('v2');
    expect(r.active()).toBe(v2.key);
    expect(r.isPending(v2.key)).toBe(false);
    r.commit(null);
    expect(store.current()).toBeUndefined();
  });

  it('keeps the last good revision when a prepare fails, and refuses to commit what it never prepared', async () => {
    const store = new PolicyStore(1);
    let fail = false;
    const r = new WorkerRevisions(store, (a) => (fail ? Promise.reject(new Error('out of memory')) : instantiateArtifact(a)));
    await r.sync(v1);
    const good = store.current();
    fail = true;
    await expect(r.prepare(v2.key, v2.artifact)).rejects.toThrow('out of memory');
    expect(() => r.commit(v2.key)).toThrow('was not prepared');
    expect(store.current()).toBe(good);
    expect(r.active()).toBe(v1.key);
    await expect(r.sync(v2)).rejects.toThrow('out of memory');
    expect(store.current()).toBe(good);
  });

  it('drops an aborted revision, and re-committing the serving one changes nothing', async () => {
    const store = new PolicyStore(1);
    const r = new WorkerRevisions(store);
    await r.sync(v1);
    const serving = store.current();
    await r.prepare(v2.key, v2.artifact);
    r.abort(v2.key);
    expect(r.isPending(v2.key)).toBe(false);
    expect(() => r.commit(v2.key)).toThrow('was not prepared');
    r.commit(v1.key);
    expect(store.current()).toBe(serving);
  });
});
