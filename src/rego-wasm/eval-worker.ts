/**
 * The evaluation thread (a worker_thread started by evaluator.ts). It instantiates policies from their bytes and
 * evaluates them, one at a time, in the order received. Synchronous WebAssembly cannot be interrupted on its own
 * thread, so a runaway evaluation is stopped by terminating this thread; the main thread keeps serving.
 *
 * Messages in:  {t:'load', key, artifact} · {t:'drop', key} · {t:'eval', id, key, input: JSON text}
 * Messages out: {t:'loaded', key, error?} · {t:'done', id, result} · {t:'failed', id, error}
 */
import { parentPort, workerData } from 'node:worker_threads';
// Only what evaluation needs (not load.js: bundles, YAML, schemas), so a replacement thread starts quickly.
import { errorMessage, instantiateArtifact, type Policy, type PolicyArtifact } from './opa-wasm.js';

type In = { t: 'load'; key: string; artifact: PolicyArtifact } | { t: 'drop'; key: string } | { t: 'eval'; id: number; key: string; input: string };

const port = parentPort;
if (port) {
  const policies = new Map<string, Policy>();
  // Shared with the watchdog: [0] the id of the evaluation running now (0: none), [1] its start, ms since epoch.
  const { slot: sab, epoch } = workerData as { slot: SharedArrayBuffer; epoch: number };
  const slot = new Int32Array(sab);
  const encoder = new TextEncoder();
  port.on('message', (m: In) => {
    if (m.t === 'eval') {
      const policy = policies.get(m.key);
      if (!policy) {
        port.postMessage({ t: 'failed', id: m.id, error: 'policy not loaded in the evaluation worker' });
        return;
      }
      // The input arrives as its JSON text; the runtime copies the encoded bytes straight into the module's memory.
      const input = encoder.encode(m.input);
      Atomics.store(slot, 1, (Date.now() - epoch) | 0);
      Atomics.store(slot, 0, m.id);
      try {
        const result = policy.evaluate(input);
        Atomics.store(slot, 0, 0);
        port.postMessage({ t: 'done', id: m.id, result });
      } catch (err) {
        Atomics.store(slot, 0, 0);
        port.postMessage({ t: 'failed', id: m.id, error: errorMessage(err) });
      }
    } else if (m.t === 'load') {
      instantiateArtifact(m.artifact).then(
        (p) => {
          policies.set(m.key, p);
          port.postMessage({ t: 'loaded', key: m.key });
        },
        (err: unknown) => port.postMessage({ t: 'loaded', key: m.key, error: errorMessage(err) }),
      );
    } else if (m.t === 'drop') {
      policies.delete(m.key);
    }
  });
}
