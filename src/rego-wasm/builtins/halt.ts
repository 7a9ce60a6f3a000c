/**
 * An error that must fail the whole evaluation rather than leave one call undefined: OPA's Halt errors (a
 * cancelled evaluation, a result too large to build). Undefined would let a deny rule silently stop firing.
 */
export class BuiltinHalt extends Error {
  override name = 'BuiltinHalt';
}
