/**
 * Kubernetes protobuf bodies -> the JSON form of the object. A body is the magic `k8s\0` and a
 * runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}, where `raw` is
 * the typed message. Only the kinds in schemas.ts are understood; others are 415, naming JSON as
 * the way out. Unknown field numbers are skipped, as protobuf readers do.
 */
import { badRequest, unsupportedMediaType } from '../status.ts';
import { type FieldSpec, type MessageSchema, schemasByKind } from './schemas.ts';
import { readFields, WireError, type WireField } from './wire.ts';

export const protobufContentType = 'application/vnd.kubernetes.protobuf';

const magic = [0x6b, 0x38, 0x73, 0x00];
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || !magic.every((b, i) => body[i] === b)) {
    throw badRequest('the protobuf body does not start with the Kubernetes magic "k8s\\0"');
  }
  try {
    let apiVersion = '';
    let kind = '';
    let raw: Uint8Array = new Uint8Array();
    for (const { field, data } of readFields(body.subarray(4))) {
      if (field === 1 && data.wire === 2) {
        for (const t of readFields(data.value)) {
          if (t.data.wire !== 2) continue;
          if (t.field === 1) apiVersion = utf8.decode(t.data.value);
          if (t.field === 2) kind = utf8.decode(t.data.value);
        }
      } else if (field === 2 && data.wire === 2) raw = data.value;
      else if (field === 3 && data.wire === 2 && data.value.length > 0) {
        throw badRequest(`protobuf content encoding "${utf8.decode(data.value)}" is not supported`);
      }
    }
    const schema = schemasByKind[`${apiVersion}/${kind}`];
    if (schema === undefined) {
      throw unsupportedMediaType(`${protobufContentType} (${apiVersion} ${kind})`, [
        'application/json',
        'application/yaml',
      ]);
    }
    return { apiVersion, kind, ...decodeMessage(raw, schema) };
  } catch (error) {
    if (error instanceof WireError || error instanceof TypeError) {
      throw badRequest(`the protobuf body is malformed: ${error.message}`);
    }
    throw error;
  }
}

function decodeMessage(bytes: Uint8Array, schema: MessageSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const wf of readFields(bytes)) {
    const spec = schema[wf.field];
    if (spec === undefined) continue;
    const value = decodeField(wf, spec);
    if (typeof spec.type === 'object' && 'map' in spec.type) {
      const [k, v] = value as [string, unknown];
      out[spec.name] = { ...(out[spec.name] as object | undefined), [k]: v };
    } else if (spec.repeated) {
      out[spec.name] = [...((out[spec.name] as unknown[] | undefined) ?? []), value];
    } else if (spec.presence || (value !== '' && value !== false && value !== 0)) {
      // Go writes these fields with `omitempty`: a zero value is an absent field in JSON.
      out[spec.name] = value;
    }
  }
  return out;
}

function decodeField({ field, data }: WireField, spec: FieldSpec): unknown {
  const type = spec.type;
  const lengthDelimited = (): Uint8Array => {
    if (data.wire !== 2)
      throw new WireError(`field ${field} (${spec.name}) has wire type ${data.wire}, expected 2`);
    return data.value;
  };
  const varint = (): number => {
    if (data.wire !== 0)
      throw new WireError(`field ${field} (${spec.name}) has wire type ${data.wire}, expected 0`);
    return data.value;
  };
  if (typeof type === 'object') {
    if ('message' in type) return decodeMessage(lengthDelimited(), type.message);
    let key = '';
    let value: unknown = '';
    for (const entry of readFields(lengthDelimited())) {
      if (entry.data.wire !== 2) continue;
      if (entry.field === 1) key = utf8.decode(entry.data.value);
      if (entry.field === 2) {
        if (type.map === 'string') value = utf8.decode(entry.data.value);
        else if (type.map === 'bytes') value = Buffer.from(entry.data.value).toString('base64');
        else value = decodeQuantity(entry.data.value);
      }
    }
    return [key, value];
  }
  switch (type) {
    case 'string':
      return utf8.decode(lengthDelimited());
    case 'bytes':
      return Buffer.from(lengthDelimited()).toString('base64');
    case 'bool':
      return varint() !== 0;
    case 'int':
      return varint();
    case 'time': {
      let seconds: number | undefined;
      for (const t of readFields(lengthDelimited()))
        if (t.field === 1 && t.data.wire === 0) seconds = t.data.value;
      // A zero Time (no seconds) is Go's nil timestamp: absent.
      return seconds === undefined ? '' : `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
    }
    case 'intOrString': {
      // IntOrString {type 1: 0 int | 1 string, intVal 2, strVal 3}
      let kind = 0;
      let intVal = 0;
      let strVal = '';
      for (const t of readFields(lengthDelimited())) {
        if (t.field === 1 && t.data.wire === 0) kind = t.data.value;
        if (t.field === 2 && t.data.wire === 0) intVal = t.data.value;
        if (t.field === 3 && t.data.wire === 2) strVal = utf8.decode(t.data.value);
      }
      return kind === 1 ? strVal : intVal;
    }
    case 'quantity':
      return decodeQuantity(lengthDelimited());
  }
}

/** resource.Quantity is `message Quantity { optional string string = 1; }`. */
function decodeQuantity(bytes: Uint8Array): string {
  let text = '';
  for (const t of readFields(bytes)) if (t.field === 1 && t.data.wire === 2) text = utf8.decode(t.data.value);
  return text;
}
