export { BASE_IMAGE, buildBaseImage, imageId } from './image/base-image.ts';
export {
  defaultPodmanConfig,
  type PodmanCli,
  type PodmanConfig,
  podmanCli,
  RuntimeError,
} from './runtime/podman-cli.ts';
export { AGENT_VERSION } from './version.ts';
