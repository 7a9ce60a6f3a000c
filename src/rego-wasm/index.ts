/**
 * The Rego/WASM engine: loads policy modules built by `opa build -t wasm`, answers their host builtins as `opa eval`
 * does, and evaluates them on the calling thread with a deadline kept by fuel metering (a slow evaluation finishing
 * on a thread that can be stopped). It imports nothing of the
 * server; the server imports it only through this file.
 */
export { CALLING_THREAD_SLICE_MS, createDeadlineEvaluator, type DeadlineEvaluator } from './deadline-evaluator.js';
export { createEvaluator, type Evaluator, type EvaluatorOptions, PolicyTimeoutError } from './evaluator.js';
export { errorMessage, instantiateArtifact, type LoadOptions, loadWasmPolicy, type Policy, type PolicyArtifact, revisionKey } from './opa-wasm.js';
export { PolicyLoadError, type PolicyLoadErrorCode } from './policy-load-error.js';
