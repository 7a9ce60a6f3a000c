/**
 * The Rego/WASM engine: loads policy modules built by `opa build -t wasm`, answers their host builtins as `opa eval`
 * does, and evaluates them in-process or on a thread that can be stopped at a deadline. It imports nothing of the
 * server; the server imports it only through this file.
 */
export { createEvaluator, type Evaluator, type EvaluatorOptions, PolicyTimeoutError } from './evaluator.js';
export { errorMessage, instantiateArtifact, type LoadOptions, loadWasmPolicy, type Policy, type PolicyArtifact, revisionKey } from './opa-wasm.js';
export { PolicyLoadError, type PolicyLoadErrorCode } from './policy-load-error.js';
