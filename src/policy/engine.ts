import {
  instantiateArtifact as engineInstantiate,
  loadWasmPolicy as engineLoad,
  type LoadOptions,
  type Policy,
  type PolicyArtifact,
  PolicyLoadError,
} from '../rego-wasm/index.js';
import { AuthzError } from '../shared/errors.js';

/**
 * The server's door to the Rego/WASM engine for loading: the same calls, with the engine's PolicyLoadError turned
 * into the AuthzError (same code, message and details) that startup, reloads and the CLI report.
 */
export const loadWasmPolicy = (opts: LoadOptions): Promise<Policy> => engineLoad(opts).catch(asAuthzError);

/** Instantiate a kept policy again from its bytes (a rollback, a cluster worker, the console's playground). */
export const instantiateArtifact = (a: PolicyArtifact): Promise<Policy> => engineInstantiate(a).catch(asAuthzError);

function asAuthzError(err: unknown): never {
  if (err instanceof PolicyLoadError) throw new AuthzError(err.code, err.summary, err.details);
  throw err;
}
