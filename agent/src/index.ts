export { BASE_IMAGE, buildBaseImage, imageId } from './image/base-image.ts';
export {
  defaultPodmanConfig,
  type PodmanCli,
  type PodmanConfig,
  podmanCli,
  RuntimeError,
} from './runtime/podman-cli.ts';
export { createPodmanRuntime, PodmanRuntime } from './runtime/podman-runtime.ts';
export type { ContainerRuntime } from './runtime/runtime.ts';
export { AGENT_VERSION } from './version.ts';
