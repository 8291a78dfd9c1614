// kv: a key-value store over HTTP with JSON bodies. Bytes exports, so it is called as
// `POST /invoke/kv/put` with {"key":"k","value":"v"}. Values are stored as their UTF-8
// text, so `GET /state/kv/k` shows them as written.
import { inputString, outputString, state } from '../sdk';
import { parseFlatObject, quote } from '../sdk/json';

function request(exportName: string): Map<string, string | null> {
  return parseFlatObject(inputString(), 'kv.' + exportName);
}

function requireString(
  fields: Map<string, string | null>,
  name: string,
  exportName: string,
): string {
  const value = fields.has(name) ? fields.get(name) : null;
  if (value === null || value.length == 0) {
    abort('kv.' + exportName + ': input needs a non-empty string "' + name + '"');
  }
  return value!;
}

/** {"key":"k"} → {"key":"k","value":"v"}, or "value":null when the key is absent. */
export function get(): void {
  const key = requireString(request('get'), 'key', 'get');
  const value = state.getString(key);
  const shown = value === null ? 'null' : quote(value);
  outputString('{"key":' + quote(key) + ',"value":' + shown + '}');
}

/** {"key":"k","value":"v"} → {"ok":true} */
export function put(): void {
  const fields = request('put');
  const key = requireString(fields, 'key', 'put');
  const value = fields.has('value') ? fields.get('value') : null;
  if (value === null) abort('kv.put: input needs a string "value"');
  state.setString(key, value!);
  outputString('{"ok":true}');
}

/** {"key":"k"} → {"ok":true,"deleted":true}, or "deleted":false when it was absent. */
function remove(): void {
  const key = requireString(request('delete'), 'key', 'delete');
  const deleted = state.delete(key);
  outputString('{"ok":true,"deleted":' + (deleted ? 'true' : 'false') + '}');
}

// `delete` is a reserved word, so the function gets another name and is exported as `delete`.
export { remove as delete };
