/**
 * The command table. To add a command (the cluster commands — init, agent, join, up, down, demo,
 * snapshot, cluster status, node drain|cordon|uncordon, leave — belong here too), write one file
 * exporting a CommandSpec and list it below; help, flag parsing, --help and completion follow.
 */
import type { CommandSpec } from '../command.ts';
import { agentCommand } from './agent.ts';
import { applyCommand } from './apply.ts';
import { clusterCommand } from './cluster-status.ts';
import { completionCommand } from './completion.ts';
import { configCommand } from './config.ts';
import { createCommand } from './create.ts';
import { deleteCommand } from './delete.ts';
import { demoCommand } from './demo.ts';
import { describeCommand } from './describe.ts';
import { exposeCommand } from './expose.ts';
import { getCommand } from './get.ts';
import { imageCommand } from './image.ts';
import { initCommand } from './init.ts';
import { leaveCommand } from './leave.ts';
import { logsCommand } from './logs.ts';
import { nodeCommand } from './node.ts';
import { rolloutCommand } from './rollout.ts';
import { runCommand } from './run.ts';
import { scaleCommand } from './scale.ts';
import { snapshotCommand } from './snapshot.ts';
import { topCommand } from './top.ts';
import { downCommand, upCommand } from './up.ts';
import { versionCommand } from './version.ts';

export const COMMANDS: readonly CommandSpec[] = [
  applyCommand,
  createCommand,
  getCommand,
  describeCommand,
  deleteCommand,
  runCommand,
  exposeCommand,
  scaleCommand,
  rolloutCommand,
  logsCommand,
  topCommand,
  configCommand,
  versionCommand,
  completionCommand(() => COMMANDS),
  imageCommand,
  initCommand,
  agentCommand,
  upCommand,
  downCommand,
  clusterCommand,
  demoCommand,
  nodeCommand,
  leaveCommand,
  snapshotCommand,
];
