/**
 * ObjectAdmission over the API package: Kubernetes' defaults for every write (api/defaults.ts),
 * the create-only fields (a new Pod's Pending status, a Job's selector from its uid), then
 * validation with every cause reported at once (api/validation).
 */
import { applyDefaults, prepareForCreate } from '../api/defaults.ts';
import type { ResourceInfo } from '../api/registry.ts';
import type { KubeObject } from '../api/types/meta.ts';
import { validateCreate, validateUpdate } from '../api/validation/index.ts';
import type { ObjectAdmission } from './admission.ts';

const resourcePath = (info: ResourceInfo): string => `${info.group}/${info.resource}`;

export const apiAdmission: ObjectAdmission = {
  admitCreate(info, object, uid): KubeObject {
    const resource = resourcePath(info);
    applyDefaults(resource, object);
    prepareForCreate(resource, object, uid);
    const problem = validateCreate(resource, object);
    if (problem) throw problem;
    return object;
  },
  admitUpdate(info, object, old): KubeObject {
    const resource = resourcePath(info);
    applyDefaults(resource, object);
    const problem = validateUpdate(resource, object, old);
    if (problem) throw problem;
    return object;
  },
};
