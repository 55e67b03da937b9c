/**
 * The one door from the CLI into the agent's API package (types, registry, selectors, quantities,
 * table columns) and the strategic-merge schema: pure modules, shared rather than copied.
 */
export * from '../../agent/src/api/index.ts';
export {
  type FieldStrategy,
  type PatchType,
  patchTypeFor,
} from '../../agent/src/apiserver/patch/merge-keys.ts';
