// cart: a shopping cart per user, the actor example of keyed namespaces (ADR 0100). Its
// Faaslet's state namespace is `cart-{user}`, so each X-User-ID gets a namespace of its own,
// a transaction scope of its own and one owner pod. Items are one key each, `item:<name>`,
// holding a count, and `items` lists the names in the order they were first added.
import { inputString, outputString, state } from '../sdk';
import { quote } from '../sdk/json';

function itemName(exportName: string): string {
  const name = inputString().trim();
  if (name.length == 0 || name.includes(',')) {
    abort('cart.' + exportName + ': the body must be an item name (no commas)');
  }
  return name;
}

function names(): string[] {
  const list = state.getString('items');
  return list === null || list.length == 0 ? [] : list.split(',');
}

/** body: an item name → its count in the cart after adding one. */
export function add_item(): void {
  const name = itemName('add');
  const count = state.increment('item:' + name, 1);
  if (count == 1) {
    const list = names();
    list.push(name);
    state.setString('items', list.join(','));
  }
  outputString(count.toString());
}

/** body: an item name → its count after removing one (0: gone from the cart). */
export function remove_item(): void {
  const name = itemName('remove');
  const key = 'item:' + name;
  const current = state.getString(key);
  if (current === null) {
    outputString('0');
    return;
  }
  const count = state.increment(key, -1);
  if (count <= 0) {
    state.delete(key);
    const all = names();
    const kept: string[] = [];
    for (let i = 0; i < all.length; i++) if (all[i] != name) kept.push(all[i]);
    state.setString('items', kept.join(','));
    outputString('0');
    return;
  }
  outputString(count.toString());
}

/** → {"name":count,...} in the order items were added. */
export function list(): void {
  const parts: string[] = [];
  const all = names();
  for (let i = 0; i < all.length; i++) {
    const count = state.getString('item:' + all[i]);
    parts.push(quote(all[i]) + ':' + (count === null ? '0' : count!));
  }
  outputString('{' + parts.join(',') + '}');
}
